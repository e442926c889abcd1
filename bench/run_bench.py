"""End-to-end benchmark: process recordings with ground truth and print one table row per recording.

    .venv/bin/python -m bench.run_bench ../shared/data/calls/rec04_dev_web.mp4 ../shared/data/calls/rec06_avocate.mp4

Each recording is processed in a fresh child process (fresh VIDLIB_HOME) so that peak RSS is its own.
Columns: duration, wall seconds per stage and total, x real time, peak RSS, WER, DER, Pk, WindowDiff,
boundary F1 (±5 s), clip count and length range.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import (
    boundary_f1,
    ingest_in_child,
    load_truth,
    pk_windowdiff,
    reference_boundaries,
    reference_text,
    spans_from_boundaries,
    wer,
    words_for_wer,
)
from vidlib.settings import Settings


def process_in_child(media: Path, home: Path) -> tuple[dict, float, float]:
    """Ingest + process in a child `vidlib`; return (manifest, wall seconds, peak RSS in MB incl. ffmpeg)."""
    import time

    env = {**os.environ, "VIDLIB_HOME": str(home)}
    vidlib = [sys.executable, "-m", "vidlib.cli"]
    rid = ingest_in_child(media, load_truth(media), home, env)
    t0 = time.perf_counter()
    proc = subprocess.Popen([*vidlib, "process", rid, "--no-progress"], env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"processing {media.name} failed")
    show = subprocess.run([*vidlib, "show", rid, "--json"], env=env, check=True, capture_output=True, text=True)
    return json.loads(show.stdout), wall, usage.ru_maxrss / 1024


def score(media: Path, manifest: dict) -> dict[str, float]:
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    truth = load_truth(media)
    hyp_text = " ".join(w["text"] for w in manifest["words"])
    word_error_rate = wer(words_for_wer(reference_text(truth)), words_for_wer(hyp_text))
    ref, hyp = Annotation(), Annotation()
    for line in media.with_suffix(".rttm").read_text().splitlines():
        f = line.split()
        ref[Segment(float(f[3]), float(f[3]) + float(f[4]))] = f[7]
    for t in manifest["turns"]:
        hyp[Segment(t["start"], t["end"])] = t["speaker"]
    der = DiarizationErrorRate(collar=0.0)(ref, hyp)
    clips = manifest["clips"]
    duration = manifest["duration_s"]
    reference, starts = reference_boundaries(truth["topic_segments"]), [c["start"] for c in clips[1:]]
    pk, wd = pk_windowdiff(
        spans_from_boundaries(reference, duration), spans_from_boundaries(starts, duration), duration
    )
    f1 = boundary_f1(reference, starts, tolerance=5.0)[2]
    return {"wer": word_error_rate, "der": der, "pk": pk, "wd": wd, "f1": f1}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("recordings", nargs="+", type=Path)
    args = ap.parse_args()
    stages = ["audio", "transcribe", "diarize", "chapters", "segment", "cut", "enrich", "embed", "index"]
    print(
        "| recording | dur s | "
        + " | ".join(stages)
        + " | wall s | x RT | peak RSS MB | WER | DER | Pk | WD | F1±5s | clips | len s |"
    )
    print("|" + "---|" * (len(stages) + 13))
    models = Settings().resolved_models_dir  # the installed models, whatever the benchmark's own VIDLIB_HOME
    for media in args.recordings:
        with tempfile.TemporaryDirectory(prefix="vidlib-bench-") as tmp:
            home = Path(tmp)
            os.environ["VIDLIB_MODELS_DIR"] = str(models)
            manifest, wall, rss = process_in_child(media, home)
        s = score(media, manifest)
        t = manifest["timings"]
        lengths = [c["end"] - c["start"] for c in manifest["clips"]]
        dur = manifest["duration_s"]
        print(
            f"| {media.stem} | {dur:.0f} | "
            + " | ".join(f"{t.get(k, 0):.1f}" for k in stages)
            + f" | {wall:.1f} | {dur / wall:.2f} | {rss:.0f} | {s['wer']:.3f} | {s['der']:.3f} | {s['pk']:.3f}"
            f" | {s['wd']:.3f} | {s['f1']:.2f} | {len(lengths)} | {min(lengths):.0f}-{max(lengths):.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
