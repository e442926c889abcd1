"""A second look for a voice nobody consented for: short windows of speech that sound like none of the participants.

The clustering check (``pipelines.stages.speaker_check``) sees a parent who says a few short things only through
the 10 s segmentation chunks, where one or two 1.5 s turns are folded into a participant's cluster. This check
embeds each turn of the known diarisation again in windows of ``WINDOW_S`` (CAM++, the diarisation's own speaker
model), and gives each participant a voice print: the mean of their windows. A window is an **outlier** when it
lies at cosine distance >= ``min_window_distance`` from every print. The outliers are believed to be one voice
nobody consented for when

* they cover at least ``min_speech_s`` of the call (one odd window is a cough or a laugh), and
* their own mean lies >= ``min_voice_distance`` from every print (windows of a participant that the diarisation
  gave to the other one sit near that other print; scattered noise averages back towards the participants).

The windows believed are flagged, each as a turn of ``UNKNOWN_VOICE``: unlike the clustering check, this one says
where the voice is.

Outliers that cover ``min_speech_s`` and whose mean lies >= ``hint_voice_distance`` from every print, but not
``min_voice_distance``, are not flagged; they are a **hint**: some voice fits no print well. That is what this
check sees when the consented-count diarisation gives a distinct newcomer a cluster of its own and merges two
participants instead: the outliers are then one participant's windows, far from a print that is the mean of two
voices. On a hint the clustering check believes smaller splits (``pipelines.stages.speaker_check``). The constants
and the measured rates: docs/unconsented-voices.md (``bench/eval_extra_voice.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vidlib.domain import SpeakerTurn
from vidlib.settings import Settings

WINDOW_S = 1.5  # as long as a parent's median turn (CFPP2000): one window, one contribution
MIN_WINDOW_S = 0.5  # shorter turns give no usable voice print
UNKNOWN_VOICE = "unknown-voice"

Embed = Callable[[Sequence[tuple[float, float]]], np.ndarray]  # spans (s) -> (len(spans), dim) embeddings


def _default(name: str) -> float:
    """A threshold's default: one value, kept in ``settings`` (``VIDLIB_EXTRA_VOICE_WINDOW_*``)."""
    return float(Settings.model_fields[name].default)


@dataclass(frozen=True)
class WindowThresholds:
    min_window_distance: float = _default("extra_voice_window_distance")
    min_speech_s: float = _default("extra_voice_window_min_speech_s")
    min_voice_distance: float = _default("extra_voice_window_voice_distance")
    hint_voice_distance: float = _default("extra_voice_window_hint_distance")


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


def _merged(windows: Sequence[Window]) -> list[tuple[float, float]]:
    """The stretches of the call the windows cover, overlapping or touching ones merged, in order."""
    merged: list[list[float]] = []
    for w in sorted(windows, key=lambda w: w.start):
        if merged and w.start <= merged[-1][1] + 1e-6:
            merged[-1][1] = max(merged[-1][1], w.end)
        else:
            merged.append([w.start, w.end])
    return [(a, b) for a, b in merged]


def covered_s(windows: Sequence[Window]) -> float:
    """Seconds of the call the windows cover (overlaps counted once)."""
    return sum(b - a for a, b in _merged(windows))


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


def believed(found: Outliers, thresholds: WindowThresholds) -> bool:
    return found.speech_s >= thresholds.min_speech_s and found.voice_distance >= thresholds.min_voice_distance


def hinted(found: Outliers, thresholds: WindowThresholds) -> bool:
    """Whether the outliers are a hint of a voice that fits no print (module docstring); true whenever believed."""
    return found.speech_s >= thresholds.min_speech_s and found.voice_distance >= min(
        thresholds.hint_voice_distance, thresholds.min_voice_distance
    )


@dataclass(frozen=True)
class WindowCheck:
    turns: tuple[SpeakerTurn, ...]  # the believed outliers as turns of UNKNOWN_VOICE; () if none
    hint: bool


def as_turns(windows: Sequence[Window]) -> tuple[SpeakerTurn, ...]:
    """The windows as turns of ``UNKNOWN_VOICE``, overlapping or touching ones merged."""
    return tuple(SpeakerTurn(start=round(a, 3), end=round(b, 3), speaker=UNKNOWN_VOICE) for a, b in _merged(windows))


def check_windows(
    turns: Sequence[SpeakerTurn], embed: Embed, thresholds: WindowThresholds = WindowThresholds()
) -> WindowCheck:
    """The turns of a voice unlike every participant's, and whether there is a hint of one (module docstring)."""
    windows = speech_windows(turns)
    if not windows:
        return WindowCheck((), False)
    found = outliers(windows, embed([(w.start, w.end) for w in windows]), thresholds.min_window_distance)
    return WindowCheck(as_turns(found.windows) if believed(found, thresholds) else (), hinted(found, thresholds))
