"""What the benchmarks share: where the data is, its loaders, and the metrics (WER, Pk / WindowDiff, boundary F1).

The data is ``../shared/data`` beside the checkout (see its SOURCES.md), or the folder ``VIDLIB_SHARED_DATA`` names.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("VIDLIB_SHARED_DATA", ROOT.parent / "shared" / "data"))
SR = 16_000


# --- annotated calls (calls/, calls_long/: an mp4 with its JSON ground truth) ------------------------------
def load_truth(media: Path) -> dict[str, Any]:
    return json.loads(media.with_suffix(".json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def consent_from_truth(truth: dict[str, Any]) -> dict[str, Any]:
    """The consent document a school would record for an annotated call (every party consented; the student is a
    minor whose guardian signed), as ../shared/tools/eval_calls.py builds it."""
    roles = {"pro": "professional", "student": "student", "parent": "guardian"}
    return {
        "recording": {
            "title": truth["job"]["title"],
            "job": truth["job"]["title"],
            "sector": truth["job"].get("sector", ""),
            "language": "fr",
        },
        "participants": [
            {
                "role": roles.get(s["id"], "guest"),
                "name": s["name"],
                "consent": True,
                "consented_at": "2026-11-01T10:00:00Z",
                "minor": s["id"] == "student",
                **({"guardian_consent": True} if s["id"] == "student" else {}),
            }
            for s in truth["speakers"]
        ],
    }


def ingest_in_child(media: Path, truth: dict[str, Any], home: Path, env: dict[str, str]) -> str:
    """``vidlib ingest`` of ``media`` in a child process, with the consent record of ``truth`` written in ``home``;
    the recording id."""
    consent = home / "consent.json"
    consent.write_text(json.dumps(consent_from_truth(truth)))
    command = [sys.executable, "-m", "vidlib.cli", "ingest", str(media), "--consent", str(consent)]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def reference_text(truth: dict[str, Any]) -> str:
    return " ".join(t["text"] for t in sorted(truth["turns"], key=lambda t: t["start"]))


# --- word error rate -----------------------------------------------------------------------------------------
def words_for_wer(text: str) -> list[str]:
    """Lower case, NFC, punctuation dropped, apostrophes and hyphens split (``l'IA`` -> ``l``, ``ia``)."""
    text = unicodedata.normalize("NFC", text.lower()).replace("\u2019", "'")
    text = re.sub(r"[^\w'\- ]+", " ", text).replace("-", " ")
    return [w for w in re.split(r"[\s']+", text) if w]


def wer(reference: Sequence[str], hypothesis: Sequence[str]) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words (Levenshtein over words)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_word in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
        previous = current
    return previous[-1] / max(1, len(reference))


def word_errors(reference: Sequence[str], hypothesis: Sequence[str]) -> tuple[int, int, int]:
    """(substitutions, deletions, insertions) of one least-cost alignment of the hypothesis to the reference: their
    sum over the reference's length is ``wer``."""
    n, m = len(reference), len(hypothesis)
    cost = [[i + j if i == 0 or j == 0 else 0 for j in range(m + 1)] for i in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            same = reference[i - 1] == hypothesis[j - 1]
            cost[i][j] = min(cost[i - 1][j] + 1, cost[i][j - 1] + 1, cost[i - 1][j - 1] + (not same))
    subs = dels = ins = 0
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            subs += reference[i - 1] != hypothesis[j - 1]
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            dels, i = dels + 1, i - 1
        else:
            ins, j = ins + 1, j - 1
    return subs, dels, ins


# --- segmentation: Pk / WindowDiff (Beeferman 1999; Pevzner & Hearst 2002) and boundary F1 ------------------
def _seconds_labels(spans: list[tuple[float, float]], duration: float) -> list[tuple[str, int]]:
    """One label per second: the index of the span holding its middle, or a numbered gap."""
    lab: list[tuple[str, int]] = []
    gaps = 0
    spans = sorted(spans)
    for sec in range(int(duration)):
        t = sec + 0.5
        hit = next((i for i, (a, b) in enumerate(spans) if a <= t < b), None)
        if hit is None:
            if not lab or lab[-1][0] != "gap":
                gaps += 1
            lab.append(("gap", gaps))
        else:
            lab.append(("s", hit))
    return lab


def pk_windowdiff(
    reference: Sequence[tuple[float, float]], hypothesis: Sequence[tuple[float, float]], duration: float
) -> tuple[float, float]:
    """Pk and WindowDiff of segmentations given as (start, end) spans, sampled each second (time outside every span
    is a segment of its own); the window is half the mean reference segment, at least 2 s."""
    r, h = _seconds_labels(list(reference), duration), _seconds_labels(list(hypothesis), duration)
    k = max(2, round(sum(b - a for a, b in reference) / max(1, len(reference)) / 2))
    n = len(r) - k
    if n <= 0:
        return 0.0, 0.0
    pk = sum((r[i] == r[i + k]) != (h[i] == h[i + k]) for i in range(n)) / n
    wd = sum(_changes(r, i, k) != _changes(h, i, k) for i in range(n)) / n
    return pk, wd


def _changes(labels: list[tuple[str, int]], start: int, k: int) -> int:
    return sum(labels[x] != labels[x + 1] for x in range(start, start + k))


def spans_from_boundaries(boundaries: Sequence[float], duration: float) -> list[tuple[float, float]]:
    edges = [0.0, *sorted(boundaries), duration]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def boundary_f1(
    reference: Sequence[float], hypothesis: Sequence[float], tolerance: float = 5.0
) -> tuple[float, float, float]:
    """Precision, recall, F1 with one-to-one matching of boundaries within ``tolerance`` seconds."""
    ref, hyp = sorted(reference), sorted(hypothesis)
    used: set[int] = set()
    hits = 0
    for h in hyp:
        best = min(
            ((abs(h - r), i) for i, r in enumerate(ref) if i not in used and abs(h - r) <= tolerance),
            default=None,
        )
        if best is not None:
            used.add(best[1])
            hits += 1
    precision = hits / len(hyp) if hyp else (1.0 if not ref else 0.0)
    recall = hits / len(ref) if ref else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def reference_boundaries(topic_segments: Sequence[dict[str, float]]) -> list[float]:
    """Boundaries of a ground-truth list of {start, end} topic segments: midpoints of the gaps between them."""
    segs = sorted(topic_segments, key=lambda s: s["start"])
    return [(a["end"] + b["start"]) / 2 for a, b in zip(segs, segs[1:])]


# --- diarisation cases: audio with an RTTM reference ----------------------------------------------------
def decode(path: Path) -> np.ndarray:
    """Any audio/video file -> float32 mono 16 kHz, with ffmpeg."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", "16000", "-f", "f32le", "-"]
    return np.frombuffer(subprocess.run(cmd, check=True, capture_output=True).stdout, dtype=np.float32).copy()


@dataclass(frozen=True)
class Item:
    uri: str
    audio: Path
    rttm: Path
    uem: Path | None = None


def dataset(data: Path) -> list[Item]:
    real, ami = data / "real", data / "real" / "pyannote_ami_excerpts"
    items = [Item("sample", real / "pyannote_sample/sample.wav", real / "pyannote_sample/sample.rttm")]
    for split, uris in (("development", ("dev00", "dev01")), ("test", ("tst00", "tst01"))):
        rttm, uem = ami / f"debug.{split}.rttm", ami / f"debug.{split}.uem"
        items += [Item(uri, ami / f"{uri}.wav", rttm, uem) for uri in uris]
    items.append(Item("mixture", real / "pyannote_ami_mixture/mixture.wav", real / "pyannote_ami_mixture/mixture.rttm"))
    for name in ("rec04_dev_web", "rec06_avocate"):
        items.append(Item(name, data / "calls" / f"{name}.mp4", data / "calls" / f"{name}.rttm"))
    return items


@dataclass(frozen=True)
class Case:
    uri: str
    waveform: np.ndarray  # float32 mono 16 kHz
    reference: Any  # pyannote.core.Annotation
    uem: Any  # pyannote.core.Timeline


def load_case(item: Item) -> Case:
    from pyannote.core import Segment, Timeline
    from pyannote.database.util import load_rttm, load_uem

    waveform = decode(item.audio)
    annotation = load_rttm(str(item.rttm))[item.uri]
    whole = Timeline([Segment(0.0, len(waveform) / SR)], uri=item.uri)
    return Case(item.uri, waveform, annotation, load_uem(str(item.uem))[item.uri] if item.uem else whole)
