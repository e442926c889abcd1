"""Speed and memory against call length: 3-minute, 30-minute and 2-hour calls, side by side in one run.

    .venv/bin/python -m bench.perf_scale                      # 3 min, 30 min, 2 h (about 40 min on 2 cores)
    .venv/bin/python -m bench.perf_scale --minutes 3.5 30     # a subset

Long calls are generated from repeated real speech: ../shared/data/calls/rec04_dev_web.mp4 (212 s, two speakers)
concatenated with ffmpeg's concat demuxer (stream copy) and cut to length, so the consent record (from the
recording's ground truth) still names every voice. For each call, in a fresh VIDLIB_HOME:

- floor: ffmpeg decoding the same file to 16 kHz mono WAV, timed in the same run;
- ``vidlib ingest`` then ``vidlib process`` in a child process; a sampler reads every 0.5 s the RSS of the child
  and all its descendants (ffmpeg included) from /proc and which stage is running (the first stage of
  pipelines.timings.STAGES without a stored result; transcribe and diarize run together);
- per-stage seconds are the stage timings the pipeline stores.

Prints one table: wall, x real time, ratio to the floor, peak RSS (whole process tree, sampled, and the largest
single process from the kernel), then per-stage seconds and per-stage peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import DATA, ingest_in_child, load_truth
from vidlib.pipelines.timings import STAGES
from vidlib.settings import Settings

SOURCE = DATA / "calls" / "rec04_dev_web.mp4"
PAGE = os.sysconf("SC_PAGE_SIZE")


def make_call(source: Path, seconds: float, dest: Path) -> Path:
    """``source`` repeated and cut to ``seconds`` (stream copy: no re-encode)."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    repeats = int(seconds // float(probe.stdout.strip())) + 1
    listing = dest.with_suffix(".txt")
    listing.write_text("".join(f"file '{source}'\n" for _ in range(repeats)))
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-t",
            f"{seconds:.3f}",
            "-c",
            "copy",
            str(dest),
        ],
        check=True,
    )
    return dest


def decode_floor(media: Path, workdir: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(media),
            "-vn",
            "-ac",
            "1",
            "-ar",
            "16000",
            "-c:a",
            "pcm_s16le",
            str(workdir / "floor.wav"),
        ],
        check=True,
    )
    elapsed = time.perf_counter() - t0
    (workdir / "floor.wav").unlink()
    return elapsed


def tree_rss_mb(root_pid: int) -> float:
    """Resident memory of ``root_pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)  # fields[1] = ppid
        rss[pid] = int(fields[21]) * PAGE  # fields[21] = rss pages
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 1e6


class Sampler(threading.Thread):
    def __init__(self, pid: int, stages_dir: Path) -> None:
        super().__init__(daemon=True)
        self.pid, self.stages_dir = pid, stages_dir
        self.peak: dict[str, float] = {}
        self.stop = threading.Event()

    def current_stage(self) -> str:
        for stage in STAGES:
            if not (self.stages_dir / f"{stage}.json").exists():
                return "transcribe+diarize" if stage in ("transcribe", "diarize") else stage
        return "finishing"

    def run(self) -> None:
        while not self.stop.is_set():
            stage, mb = self.current_stage(), tree_rss_mb(self.pid)
            self.peak[stage] = max(self.peak.get(stage, 0.0), mb)
            self.stop.wait(0.5)


def run_call(media: Path, seconds: float, home: Path) -> dict[str, object]:
    home.mkdir(parents=True)
    env = {**os.environ, "VIDLIB_HOME": str(home), "VIDLIB_MODELS_DIR": str(Settings().resolved_models_dir)}
    vidlib = [sys.executable, "-m", "vidlib.cli"]
    floor = decode_floor(media, home)
    rid = ingest_in_child(media, load_truth(SOURCE), home, env)
    t0 = time.perf_counter()
    proc = subprocess.Popen([*vidlib, "process", rid, "--no-progress"], env=env)
    sampler = Sampler(proc.pid, home / "store" / "recordings" / rid / "stages")
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    if status != 0:
        raise SystemExit(f"vidlib process failed on {media.name} (status {status})")
    stages_dir = home / "store" / "recordings" / rid / "stages" / "timings"
    timings = {p.stem: json.loads(p.read_text())["seconds"] for p in stages_dir.glob("*.json")}
    manifest = json.loads((home / "store" / "recordings" / rid / "manifest.json").read_text())
    return {
        "seconds": seconds,
        "floor": floor,
        "wall": wall,
        "max_single_mb": usage.ru_maxrss / 1024,
        "peak_tree_mb": max(sampler.peak.values(), default=0.0),
        "stage_peaks": sampler.peak,
        "timings": timings,
        "clips": len(manifest["clips"]),
        "words": sum(len(s["words"]) for s in manifest["transcript"]["sentences"]),
    }


def report(rows: list[dict[str, object]]) -> None:
    print(
        "| call | wall s | x real time | floor s (decode) | wall / floor | peak RSS, process tree | "
        "largest process | clips | words |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['seconds'] / 60:.1f} min | {r['wall']:.0f} | {r['seconds'] / r['wall']:.2f}x | {r['floor']:.1f} | "
            f"{r['wall'] / r['floor']:.0f} | {r['peak_tree_mb'] / 1000:.2f} GB | {r['max_single_mb'] / 1000:.2f} GB | "
            f"{r['clips']} | {r['words']} |"
        )
    print("\nPer-stage seconds (stored stage timings; transcribe and diarize overlap):\n")
    print("| stage | " + " | ".join(f"{r['seconds'] / 60:.1f} min" for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for stage in STAGES:
        print(f"| {stage} | " + " | ".join(f"{r['timings'].get(stage, float('nan')):.1f}" for r in rows) + " |")
    print("\nPeak RSS of the process tree while each stage ran (GB, sampled every 0.5 s):\n")
    phases = ["probe", "audio", "transcribe+diarize", *STAGES[4:], "finishing"]
    print("| stage | " + " | ".join(f"{r['seconds'] / 60:.1f} min" for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for phase in phases:
        cells = [r["stage_peaks"].get(phase) for r in rows]
        if any(cells):
            print(f"| {phase} | " + " | ".join("-" if c is None else f"{c / 1000:.2f}" for c in cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", nargs="+", type=float, default=[3.5, 30.0, 120.0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    args = parser.parse_args()
    print(f"$ {shlex.join([os.path.relpath(sys.executable, Path.cwd()), *sys.argv])}")
    print(f"load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="vidlib-perf-") as tmp:
        for minutes in args.minutes:
            media = make_call(args.source, minutes * 60, Path(tmp) / f"call_{minutes:g}min.mp4")
            rows.append(run_call(media, minutes * 60, Path(tmp) / f"home_{minutes:g}"))
            print(
                f"- {minutes:g} min done: wall {rows[-1]['wall']:.0f} s, load average "
                f"{os.getloadavg()[0]:.2f}; {json.dumps(rows[-1])}",
                flush=True,
            )  # kept if a later call fails
    print()
    report(rows)
    print(f"\nload average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
