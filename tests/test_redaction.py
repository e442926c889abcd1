"""Redaction on request, on the real processed excerpt: the word is gone from subtitles, text, transcript and
index, and the audio of its span is a 1 kHz tone (measured on the re-cut media with ffmpeg + numpy)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.api_fixtures import Library, api, library  # noqa: F401 - fixtures
from tests.pipeline_fixtures import models_dir, prefect_harness  # noqa: F401 - fixtures
from tests.test_api import auth
from vidlib.domain import AttributedTranscript, PersonalDataFlag, Redaction, SpokenWord, Utterance
from vidlib.pipelines.stages.redact import MASK, collapse_masks, mask_attributed, widen_to_words
from vidlib.storage.audit import load_audit
from vidlib.storage.layout import stage_key

SR = 16_000


def test_masking_rebuilds_utterances_and_collapses_neighbours() -> None:
    words = tuple(
        SpokenWord(i, i + 0.8, t, "S0") for i, t in enumerate([" Je", " m'appelle", " Claire", " Martin", "."])
    )
    attributed = AttributedTranscript(
        words,
        (Utterance(0, 4.8, "S0", "professional", "Je m'appelle Claire Martin.", 0, 4),),
        (("S0", "professional"),),
    )
    spans = widen_to_words([Redaction(2.1, 3.5)], attributed)
    assert spans == (Redaction(2.0, 3.8),)
    masked, count = mask_attributed(attributed, spans)
    assert count == 2 and masked.utterances[0].text == f"Je m'appelle {MASK}."
    assert mask_attributed(masked, spans)[1] == 0  # idempotent
    assert collapse_masks(f"a {MASK} {MASK} b") == f"a {MASK} b"


def decode(data: bytes) -> np.ndarray:
    """Mono 16 kHz float samples of an mp4/m4a held in memory (ffmpeg reads it from stdin)."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", "pipe:0", "-vn", "-ac", "1", "-ar", str(SR), "-f", "f32le", "pipe:1"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, dtype=np.float32)


def tone_share(samples: np.ndarray, hz: float = 1000.0) -> tuple[float, float]:
    """(share of the energy within ±50 Hz of ``hz``, RMS in dBFS)."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / SR)
    share = float(spectrum[np.abs(freqs - hz) <= 50].sum() / spectrum.sum())
    return share, float(20 * np.log10(np.sqrt(np.mean(samples**2)) + 1e-12))


@pytest.mark.slow
def test_redacting_a_word_bleeps_it_and_masks_it_everywhere(api: tuple[TestClient, Library]) -> None:
    client, lib = api
    manifest = lib.ctx.repo.load(lib.recording_id)
    clip = manifest.clips[1]
    inside = [w for w in manifest.attributed.words if clip.start + 2 < w.start and w.end < clip.end - 2]
    counts = {}
    for w in manifest.attributed.words:  # a word heard once in the whole recording
        counts[w.text.strip().lower()] = counts.get(w.text.strip().lower(), 0) + 1
    word = max(
        (
            w
            for w in inside
            if re.fullmatch(r"\w{6,}", w.text.strip())
            and counts[w.text.strip().lower()] == 1
            and w.end - w.start >= 0.3
        ),
        key=lambda w: w.end - w.start,
    )
    secret = word.text.strip()
    # a flag on a neighbouring word: redaction by flag index too
    flag = PersonalDataFlag("name", "x", word.start, word.end)
    lib.ctx.repo.save(
        replace(
            manifest, clips=tuple(replace(c, flags=(flag,)) if c.clip_id == clip.clip_id else c for c in manifest.clips)
        )
    )
    headers = auth(lib, "moderator")
    before = client.get(f"/clips/{clip.clip_id}", headers=headers).json()
    assert secret in before["text"]
    res = client.post(
        f"/clips/{clip.clip_id}/redact",
        headers=headers,
        json={"version": before["version"], "flags": [0], "reason": "nom d'un collègue"},
    )
    assert res.status_code == 200, res.text
    out = res.json()
    assert out["entry"]["action"] == "redact" and out["entry"]["details"]["masked_words"] == 1
    assert secret not in str(out["entry"])  # the audit log never keeps the redacted words
    after = out["clip"]
    assert secret not in after["text"] and MASK in after["text"]
    assert after["flags"] == [] and len(after["redactions"]) == 1
    assert not any(secret in t["text"] for t in after["transcript"])

    stored = lib.ctx.repo.load(lib.recording_id)
    new = next(c for c in stored.clips if c.clip_id == clip.clip_id)
    vtt = lib.ctx.store.get_bytes(new.subtitles_key).decode()
    assert secret not in vtt and MASK in vtt
    assert not any(w.text.strip() == secret for w in stored.attributed.words)
    assert secret not in " ".join(s.text for s in stored.transcript.sentences)
    for stage in ("attribute", "transcribe", "enrich"):  # a re-run of the flow cannot bring the word back
        assert secret not in lib.ctx.store.get_bytes(stage_key(lib.recording_id, stage)).decode(), stage
    assert secret not in lib.ctx.index.get(clip.clip_id).payload["text"]
    search = client.get(
        "/search", params={"q": secret, "mode": "keyword", "include_unpublished": "true"}, headers=headers
    ).json()["hits"]
    assert clip.clip_id not in [h["clip_id"] for h in search]
    assert [e.action for e in load_audit(lib.ctx.store, lib.recording_id)] == ["redact"]

    audio = decode(lib.ctx.store.get_bytes(new.video_key))
    span = after["redactions"][0]
    a, b = int((span["start"] - new.start + 0.03) * SR), int((span["end"] - new.start - 0.03) * SR)
    share, level = tone_share(audio[a:b])
    assert share > 0.95 and level > -25.0, (share, level)  # the bleep, and nothing of the voice under it
    outside = audio[int((span["end"] - new.start + 0.3) * SR) : int((span["end"] - new.start + 2.3) * SR)]
    assert tone_share(outside)[0] < 0.2  # the speech around it is untouched

    # a trim re-cuts from the original: the bleep must survive it
    version = after["version"]
    res = client.post(
        f"/clips/{clip.clip_id}/trim",
        headers=headers,
        json={"version": version, "start": new.start + 0.5, "end": new.end},
    )
    assert res.status_code == 200, res.text
    trimmed = next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id == clip.clip_id)
    audio = decode(lib.ctx.store.get_bytes(trimmed.video_key))
    a, b = int((span["start"] - trimmed.start + 0.03) * SR), int((span["end"] - trimmed.start - 0.03) * SR)
    assert tone_share(audio[a:b])[0] > 0.95


@pytest.mark.slow
def test_redaction_requests_outside_the_clip_are_refused(api: tuple[TestClient, Library]) -> None:
    client, lib = api
    clip = lib.ctx.repo.load(lib.recording_id).clips[0]
    headers = auth(lib, "moderator")
    version = client.get(f"/clips/{clip.clip_id}", headers=headers).json()["version"]
    for body in ({"spans": [{"start": clip.end + 5, "end": clip.end + 6}]}, {"flags": [7]}, {}):
        res = client.post(f"/clips/{clip.clip_id}/redact", headers=headers, json={"version": version, **body})
        assert res.status_code == 422, (body, res.text)
    student = client.post(
        f"/clips/{clip.clip_id}/redact",
        headers=auth(lib, "student"),
        json={"version": version, "spans": [{"start": clip.start, "end": clip.start + 1}]},
    )
    assert student.status_code == 403
