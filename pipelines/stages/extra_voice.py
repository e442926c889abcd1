"""Find speech by a voice that is not one of the consented participants: two checks, one set of thresholds.

Diarisation keeps the consented participant count n (``num_speakers``): it gives the best DER in the normal
case, but it can never *show* an extra voice, which it merges into someone else's turns. So the stage looks
twice more, and the turns either look flags go into ``Diarization.unconsented``; the clips they are heard in
cannot be published (pipelines/stages/publication.py) until the newcomer's consent is recorded (``vidlib consent
amend``), an admin who listened confirms nobody else was there (``vidlib consent confirm-voices``), or a
moderator rejects them.

**The clustering check.** Cluster once more, on the same segmentation and embeddings (only the cheap clustering
step runs again), with n + 1 speakers. Forcing one cluster too many always splits something off; the split is
believed only when **every** one of the n + 1 speakers speaks at least ``min_speech_s`` (a spurious split is a
few seconds of one participant) and has a centroid at cosine distance >= ``min_distance`` from every other
speaker's (a split of one voice leaves two close centroids). Which of the n + 1 is the newcomer cannot be read
from the clusters (a voice unlike everyone else takes a cluster of its own even at the consented count, merging
two consented voices instead), so every speaker but the one who speaks most (in a "rencontre métier", the
professional) is flagged.

**The window check.** The clustering check sees a parent who says a few short things only through the 10 s
segmentation chunks, where one or two 1.5 s turns are folded into a participant's cluster. This check embeds each
turn of the known diarisation again in windows of ``WINDOW_S`` (CAM++, the diarisation's own speaker model), and
gives each participant a voice print: the mean of their windows. A window is an **outlier** when it lies at
cosine distance >= ``window_distance`` from every print. The outliers are believed to be one voice nobody
consented for when they cover at least ``window_min_speech_s`` of the call (one odd window is a cough or a laugh)
and their own mean lies >= ``window_voice_distance`` from every print (windows of a participant that the
diarisation gave to the other one sit near that other print). They are flagged where they are, as turns of
``UNKNOWN_VOICE``.

The thresholds, how they were chosen and the rates measured on held-out splices: docs/unconsented-voices.md
(``python -m bench.eval_extra_voice``). Settings may override the clustering check's two thresholds and turn
the window check off (``VIDLIB_EXTRA_VOICE_*``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from vidlib.domain import Diarization, SpeakerTurn

WINDOW_S = 1.5  # as long as a parent's median turn (CFPP2000): one window, one contribution
MIN_WINDOW_S = 0.5  # shorter turns give no usable voice print
UNKNOWN_VOICE = "unknown-voice"

Embed = Callable[[Sequence[tuple[float, float]]], np.ndarray]  # spans (s) -> (len(spans), dim) embeddings


@dataclass(frozen=True)
class VoiceCheckThresholds:
    """The thresholds of both checks (module docstring); the defaults are the measured ones."""

    min_speech_s: float = 6.0  # clustering check: each of the n + 1 speakers speaks this long
    min_distance: float = 0.2  # ... and lies this far (cosine) from every other centroid
    windows: bool = True  # run the window check
    window_distance: float = 0.5  # window check: a window this far from every print is an outlier
    window_min_speech_s: float = 3.0  # outliers covering this long ...
    window_voice_distance: float = 0.5  # ... whose mean lies this far from every print are believed


# --- the clustering check --------------------------------------------------------------------------------
@contextmanager
def reused_features(pipeline: Any) -> Iterator[None]:
    """Inside the block, the pipeline computes segmentation and embeddings once and reuses them."""
    cache: dict[str, Any] = {}
    segmentations, embeddings = pipeline.get_segmentations, pipeline.get_embeddings

    def cached_segmentations(*args: Any, **kwargs: Any) -> Any:
        if "segmentations" not in cache:
            cache["segmentations"] = segmentations(*args, **kwargs)
        return cache["segmentations"]

    def cached_embeddings(*args: Any, **kwargs: Any) -> Any:
        if "embeddings" not in cache:
            cache["embeddings"] = embeddings(*args, **kwargs)
        return cache["embeddings"]

    pipeline.get_segmentations, pipeline.get_embeddings = cached_segmentations, cached_embeddings
    try:
        yield
    finally:
        del pipeline.get_segmentations, pipeline.get_embeddings  # back to the class's methods


def one_more_speaker(pipeline: Any, waveform: np.ndarray, count: int) -> tuple[Diarization, dict[str, float]]:
    """Diarisation forced to ``count`` speakers, and each speaker's cosine distance to the nearest other one."""
    from vidlib.models.diarization import as_pyannote_file, speaker_turns

    output = pipeline(as_pyannote_file(waveform), num_speakers=count)
    turns = speaker_turns(output.exclusive_speaker_diarization)
    labels = sorted(output.speaker_diarization.labels())  # rows of speaker_embeddings follow this order
    centroids = np.asarray(output.speaker_embeddings, dtype=float)[: len(labels)]
    unit = _unit(centroids)
    distance = 1.0 - unit @ unit.T
    np.fill_diagonal(distance, np.inf)
    nearest = {label: float(distance[i].min()) if len(labels) > 1 else float("inf") for i, label in enumerate(labels)}
    return Diarization(turns=turns, num_speakers=len({t.speaker for t in turns})), nearest


def flagged_speakers(
    speech: dict[str, float], distances: dict[str, float], count: int, thresholds: VoiceCheckThresholds
) -> set[str]:
    """The speakers to flag, given each speaker's seconds of ``speech`` and cosine distance to the nearest other
    speaker's centroid (``distances``) in a clustering forced to ``count`` (consented + 1) speakers.

    Nothing, unless all ``count`` speakers are there, each with ``min_speech_s`` of speech and ``min_distance`` from
    every other: then every speaker but the one who speaks most (module docstring)."""
    if len(speech) < count:
        return set()
    if any(
        seconds < thresholds.min_speech_s or distances.get(s, float("inf")) < thresholds.min_distance
        for s, seconds in speech.items()
    ):
        return set()
    dominant = max(speech, key=lambda s: speech[s])
    return set(speech) - {dominant}


def extra_voice_turns(
    one_more: Diarization, distances: dict[str, float], count: int, thresholds: VoiceCheckThresholds
) -> tuple[SpeakerTurn, ...]:
    """The turns of the ``one_more`` speakers (a clustering forced to ``count`` speakers) that ``flagged_speakers``
    flags."""
    speech: dict[str, float] = defaultdict(float)
    for t in one_more.turns:
        speech[t.speaker] += t.end - t.start
    extra = flagged_speakers(speech, distances, count, thresholds)
    return tuple(t for t in one_more.turns if t.speaker in extra)


# --- the window check ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    speaker: str  # the participant the known diarisation gave it to
    start: float
    end: float


@dataclass(frozen=True)
class Outliers:
    """The windows far from every participant's print, how much of the call they cover, and how far their mean
    lies from the nearest print (``inf`` when there are none)."""

    windows: tuple[Window, ...]
    speech_s: float
    voice_distance: float


def speech_windows(turns: Sequence[SpeakerTurn]) -> tuple[Window, ...]:
    """Each turn cut into back-to-back windows of ``WINDOW_S``; the rest, if >= ``MIN_WINDOW_S``, as a window that
    ends with the turn; a turn shorter than ``WINDOW_S`` (and >= ``MIN_WINDOW_S``) as one window."""
    windows: list[Window] = []
    for turn in turns:
        start = turn.start
        while start + WINDOW_S <= turn.end + 1e-9:
            windows.append(Window(turn.speaker, start, start + WINDOW_S))
            start += WINDOW_S
        if turn.end - start >= MIN_WINDOW_S:
            windows.append(Window(turn.speaker, max(turn.start, turn.end - WINDOW_S), turn.end))
    return tuple(windows)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)


def _merged(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The stretches of the call the spans cover, overlapping or touching ones merged, in order."""
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1e-6:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def covered_s(windows: Sequence[Window]) -> float:
    """Seconds of the call the windows cover (overlaps counted once)."""
    return sum(b - a for a, b in _merged([(w.start, w.end) for w in windows]))


def outliers(windows: Sequence[Window], embeddings: np.ndarray, min_window_distance: float) -> Outliers:
    """The windows at cosine distance >= ``min_window_distance`` from every participant's print (the mean of the
    windows the diarisation gave them). ``embeddings``: one row per window; rows with NaN are left out."""
    embeddings = np.asarray(embeddings, dtype=float)
    usable = ~np.isnan(embeddings).any(axis=1)
    kept = [w for w, ok in zip(windows, usable) if ok]
    if not kept:
        return Outliers((), 0.0, float("inf"))
    vectors = _unit(embeddings[usable])
    labels = np.array([w.speaker for w in kept])
    prints = _unit(np.stack([vectors[labels == s].mean(axis=0) for s in sorted(set(labels))]))
    far = (1.0 - vectors @ prints.T).min(axis=1) >= min_window_distance
    if not far.any():
        return Outliers((), 0.0, float("inf"))
    chosen = tuple(w for w, f in zip(kept, far) if f)
    voice = _unit(vectors[far].mean(axis=0))
    return Outliers(chosen, covered_s(chosen), float((1.0 - prints @ voice).min()))


def believed(found: Outliers, thresholds: VoiceCheckThresholds) -> bool:
    return found.speech_s >= thresholds.window_min_speech_s and found.voice_distance >= thresholds.window_voice_distance


def as_turns(windows: Sequence[Window]) -> tuple[SpeakerTurn, ...]:
    """The windows as turns of ``UNKNOWN_VOICE``, overlapping or touching ones merged."""
    spans = _merged([(w.start, w.end) for w in windows])
    return tuple(SpeakerTurn(start=round(a, 3), end=round(b, 3), speaker=UNKNOWN_VOICE) for a, b in spans)


def odd_window_turns(
    turns: Sequence[SpeakerTurn], embed: Embed, thresholds: VoiceCheckThresholds
) -> tuple[SpeakerTurn, ...]:
    """The turns of a voice unlike every participant's print, as the window check believes them; () if none."""
    windows = speech_windows(turns)
    if not windows:
        return ()
    found = outliers(windows, embed([(w.start, w.end) for w in windows]), thresholds.window_distance)
    return as_turns(found.windows) if believed(found, thresholds) else ()


# --- the stage -------------------------------------------------------------------------------------------
def united(flagged: tuple[SpeakerTurn, ...], unknown: tuple[SpeakerTurn, ...]) -> tuple[SpeakerTurn, ...]:
    """The clustering check's turns, plus the parts of the window check's turns they do not already cover, sorted:
    no second of the call counted twice (``publication.consent_flags`` adds the flagged seconds up)."""
    extra: list[SpeakerTurn] = []
    for turn in unknown:
        pieces = [(turn.start, turn.end)]
        for other in flagged:
            pieces = [p for a, b in pieces for p in ((a, min(b, other.start)), (max(a, other.end), b)) if p[1] > p[0]]
        extra += [SpeakerTurn(a, b, turn.speaker) for a, b in pieces]
    return tuple(sorted((*flagged, *extra), key=lambda t: (t.start, t.end)))


def diarize_checking_extra_voice(
    pipeline: Any,
    waveform: np.ndarray,
    participants: int,
    check_stop: Callable[[], None] | None = None,
    thresholds: VoiceCheckThresholds = VoiceCheckThresholds(),
) -> Diarization:
    """Turns with the consented count, plus the turns of any extra voice (``unconsented``) that either check finds.
    ``check_stop``: as in ``models.diarization.diarize``."""
    from vidlib.models.diarization import diarize, embed_spans

    with reused_features(pipeline):
        known = diarize(pipeline, waveform, num_speakers=participants, check_stop=check_stop)
        if not known.turns:
            return known
        one_more, distances = one_more_speaker(pipeline, waveform, participants + 1)
    flagged = extra_voice_turns(one_more, distances, participants + 1, thresholds)
    odd: tuple[SpeakerTurn, ...] = ()
    if thresholds.windows:
        odd = odd_window_turns(
            known.turns, lambda spans: embed_spans(pipeline, waveform, spans, check_stop), thresholds
        )
    return replace(known, unconsented=united(flagged, odd), consented=participants)
