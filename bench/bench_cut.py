"""Time ``cut_clips`` on one recording with N evenly spaced, back-to-back windows.

    python -m bench.bench_cut /work/shared/data/calls/rec04_dev_web.mp4 --clips 3

Prints the seconds of each step (encode, copy, thumbnails), the total, and each as a fraction of the
recording's duration (and how many times faster than real time).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from vidlib.pipelines.stages.media import CutOptions, cut_clips, probe_media


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recording", type=Path)
    parser.add_argument("--clips", type=int, default=3, help="number of evenly spaced windows (default 3)")
    parser.add_argument("--preset", default=CutOptions.preset)
    parser.add_argument("--crf", type=int, default=CutOptions.crf)
    parser.add_argument("--reencode-audio", action="store_true", help="encode AAC audio again, not copy it")
    parser.add_argument("--out", type=Path, help="keep the clips in this folder (default: a temporary one)")
    args = parser.parse_args(argv)

    info = probe_media(args.recording, max_duration_s=float("inf"), max_file_bytes=2**63)
    step = info.duration_s / args.clips
    windows = [(f"clip{i:03d}", i * step, min((i + 1) * step, info.duration_s)) for i in range(args.clips)]
    steps: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-cut-") as tmp:
        out_dir = args.out or Path(tmp)
        t0 = time.perf_counter()
        results = cut_clips(
            args.recording,
            windows,
            out_dir,
            has_video=info.has_video,
            options=CutOptions(preset=args.preset, crf=args.crf, copy_aac_audio=not args.reencode_audio),
            on_step=lambda name, seconds: steps.__setitem__(name, seconds),
        )
        total = time.perf_counter() - t0
        size = sum(r.video_path.stat().st_size for r in results)

    video = f"{info.video_codec} {info.width}x{info.height} @ {info.fps:g} fps" if info.has_video else "audio only"
    print(f"recording   {args.recording.name}: {info.duration_s:.1f} s, {video}, {info.audio_codec}")
    audio = "re-encoded" if args.reencode_audio else "copied if AAC"
    print(
        f"windows     {len(windows)} x {step:.1f} s, preset {args.preset}, crf {args.crf}, audio {audio}; "
        f"clips total {size / 1024**2:.1f} MiB"
    )
    for name, seconds in [*steps.items(), ("total", total)]:
        print(
            f"{name:<16} {seconds:7.2f} s   {seconds / info.duration_s:6.3f} x duration   "
            f"{info.duration_s / seconds:7.1f} x real time"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
