"""`vidlib demo`: synthesise the sample call with espeak-ng, process it end to end, then search it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

from vidlib.errors import MediaError
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.ingest import ingest_recording
from vidlib.progress import run_with_progress
from vidlib.sample_call import DIALOGUE, JOB, PROFESSIONAL, SECTOR, STUDENT, TITLE
from vidlib.search_api.search import search_clips

PAUSE_S = 0.7


def _speak(text: str, voice: str, dest: Path) -> tuple[np.ndarray, int]:
    if shutil.which("espeak-ng") is None:
        raise MediaError("espeak-ng is needed for the demo sample: apt-get install espeak-ng")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(dest), text], check=True, capture_output=True)
    with wave.open(str(dest)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16), w.getframerate()


def make_sample_call(folder: Path) -> tuple[Path, Path]:
    """Write sample_call.mp4 and sample_call.consent.json into ``folder``; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    video, consent = folder / "sample_call.mp4", folder / "sample_call.consent.json"
    if video.exists() and consent.exists():
        return video, consent
    pieces, rate = [], 22050
    for i, ((_, _, voice), line) in enumerate(DIALOGUE):
        samples, rate = _speak(line, voice, folder / f".line{i}.wav")
        (folder / f".line{i}.wav").unlink()
        pieces += [np.zeros(int(PAUSE_S * rate), dtype=np.int16), samples]
    audio = folder / ".sample.wav"
    with wave.open(str(audio), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.concatenate(pieces + [np.zeros(rate, dtype=np.int16)]).tobytes())
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=25",
            "-i",
            str(audio),
            "-shortest",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            str(video),
        ],
        check=True,
    )
    audio.unlink()
    consent.write_text(
        json.dumps(
            {
                "recording": {"title": TITLE, "job": JOB, "sector": SECTOR, "language": "fr"},
                "participants": [
                    {
                        "role": PROFESSIONAL[0],
                        "name": PROFESSIONAL[1],
                        "consent": True,
                        "consented_at": "2026-11-02T17:55:00+01:00",
                        "minor": False,
                    },
                    {
                        "role": STUDENT[0],
                        "name": STUDENT[1],
                        "consent": True,
                        "consented_at": "2026-11-02T17:55:00+01:00",
                        "minor": True,
                        "guardian_consent": True,
                    },
                ],
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    return video, consent


def run_demo(ctx: RunContext) -> int:
    video, consent = make_sample_call(ctx.settings.home / "sample")
    rid = ingest_recording(ctx, video, consent).recording_id
    print(f"sample call registered as {rid}")
    manifest = run_with_progress(ctx, rid, show=sys.stderr.isatty())
    print(f"\n{len(manifest.chapters)} chapters, {len(manifest.clips)} clips (pending review):")
    clips = {c.clip_id: c for c in manifest.clips}
    for ch in manifest.chapters:
        print(f"  {ch.start:6.1f}-{ch.end:6.1f}s  [{ch.topic_label}] {ch.title}")
        for clip_id in ch.clip_ids:
            c = clips[clip_id]
            print(f"      clip {c.start:6.1f}-{c.end:6.1f}s  {c.title}")
    for query in (
        "qu'est-ce qui est dur quand on travaille la nuit",
        "combien gagne une infirmière",
        "what studies do I need",
    ):
        print(f"\nsearch (hybrid, operators' view): {query!r}")
        for h in search_clips(ctx, query, limit=3, include_unpublished=True):
            print(f"  {h.score:6.3f}  {h.start:6.1f}-{h.end:6.1f}s  {h.title}")
    return 0
