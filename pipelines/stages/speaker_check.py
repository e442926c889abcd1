"""Find speech by a voice that is not one of the consented participants.

Diarisation keeps the consented participant count n (``num_speakers``): it gives the best DER in the normal
case, but it can never *show* an extra voice, which it merges into someone else's turns. So the stage
clusters once more, on the same segmentation and embeddings (only the cheap clustering step runs again),
with n + 1 speakers. Forcing one cluster too many always splits something off; the split is believed (a voice
nobody consented for was heard) only when **every** one of the n + 1 speakers

* speaks at least ``MIN_EXTRA_SPEECH_S`` (a spurious split is a few seconds of one participant), and
* has a centroid at cosine distance >= ``MIN_EXTRA_DISTANCE`` from every other speaker's (a split of one
  voice leaves two close centroids).

Which of the n + 1 is the newcomer cannot be read from the clusters: a voice unlike everyone else takes a
cluster of its own even at the consented count, merging two consented voices instead, so matching the two
clusterings names a consented participant about as often as the newcomer (``bench/eval_extra_voice.py``).
So once the split is believed, every speaker but the one who speaks most (in a "rencontre métier", the
professional) is flagged: the newcomer's clips and, in a two-person call, the student's are blocked until the
newcomer's consent is recorded (``vidlib consent amend``), an admin who listened confirms nobody else was there
(``vidlib consent confirm-voices``), or a moderator rejects them. The measured rates and the choice of the two
constants (settings ``VIDLIB_EXTRA_VOICE_MIN_SPEECH_S`` / ``_MIN_DISTANCE``) are in docs/unconsented-voices.md.
Flagged turns go into
``Diarization.unconsented``; the clips they are heard in cannot be published (pipelines/stages/publication.py).

This check misses a parent who says a few short things; a second one, on short windows of the known turns
(``pipelines.stages.voice_windows``), runs with it by default, and the turns either one flags are kept. When that
window check has a hint of a voice that fits no participant's print, this check believes speakers of the window
check's ``min_speech_s`` (3 s) instead of ``MIN_EXTRA_SPEECH_S``: the newcomer's own cluster is then often that small.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np

from vidlib.domain import Diarization, SpeakerTurn
from vidlib.pipelines.stages.voice_windows import WindowCheck, WindowThresholds, check_windows
from vidlib.settings import Settings

# the defaults of VIDLIB_EXTRA_VOICE_MIN_SPEECH_S / _MIN_DISTANCE: one value, kept in vidlib.settings
MIN_EXTRA_SPEECH_S: float = Settings.model_fields["extra_voice_min_speech_s"].default
MIN_EXTRA_DISTANCE: float = Settings.model_fields["extra_voice_min_distance"].default


@contextmanager
def _reused_features(pipeline: Any) -> Iterator[None]:
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


def diarize_checking_extra_voice(
    pipeline: Any,
    waveform: np.ndarray,
    participants: int,
    check_stop: Callable[[], None] | None = None,
    *,
    min_speech_s: float = MIN_EXTRA_SPEECH_S,
    min_distance: float = MIN_EXTRA_DISTANCE,
    windows: WindowThresholds | None = WindowThresholds(),
) -> Diarization:
    """Turns with the consented count, plus the turns of any extra voice (``unconsented``): those this clustering
    check flags and, unless ``windows`` is None, those the window check (``pipelines.stages.voice_windows``) finds.
    ``check_stop``: as in ``models.diarization.diarize``; the two thresholds: as in ``flagged_speakers`` (on the
    window check's hint, ``min_speech_s`` drops to ``windows.min_speech_s``: module docstring)."""
    from vidlib.models.diarization import diarize, embed_spans

    with _reused_features(pipeline):
        known = diarize(pipeline, waveform, num_speakers=participants, check_stop=check_stop)
        if not known.turns:
            return known
        one_more, distances = _one_more_speaker(pipeline, waveform, participants + 1)
    speech_s, checked = min_speech_s, WindowCheck((), hint=False)
    if windows is not None:
        checked = check_windows(known.turns, lambda spans: embed_spans(pipeline, waveform, spans, check_stop), windows)
        speech_s = min_speech_on(checked.hint, min_speech_s, windows)
    flagged = extra_voice_turns(one_more, distances, participants + 1, min_speech_s=speech_s, min_distance=min_distance)
    return replace(known, unconsented=united(flagged, checked.turns), consented=participants)


def min_speech_on(hint: bool, min_speech_s: float, windows: WindowThresholds) -> float:
    """This check's speech minimum: down to the window check's own on its hint (module docstring)."""
    return min(min_speech_s, windows.min_speech_s) if hint else min_speech_s


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


def _one_more_speaker(pipeline: Any, waveform: np.ndarray, count: int) -> tuple[Diarization, dict[str, float]]:
    """Diarisation forced to ``count`` speakers, and each speaker's cosine distance to the nearest other one."""
    from vidlib.models.diarization import as_pyannote_file, speaker_turns

    output = pipeline(as_pyannote_file(waveform), num_speakers=count)
    turns = speaker_turns(output.exclusive_speaker_diarization)
    labels = sorted(output.speaker_diarization.labels())  # rows of speaker_embeddings follow this order
    centroids = np.asarray(output.speaker_embeddings, dtype=float)[: len(labels)]
    unit = centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
    distance = 1.0 - unit @ unit.T
    np.fill_diagonal(distance, np.inf)
    nearest = {label: float(distance[i].min()) if len(labels) > 1 else float("inf") for i, label in enumerate(labels)}
    return Diarization(turns=turns, num_speakers=len({t.speaker for t in turns})), nearest


def extra_voice_turns(
    one_more: Diarization,
    distances: dict[str, float],
    count: int,
    *,
    min_speech_s: float = MIN_EXTRA_SPEECH_S,
    min_distance: float = MIN_EXTRA_DISTANCE,
) -> tuple[SpeakerTurn, ...]:
    """The turns of the ``one_more`` speakers (a clustering forced to ``count`` speakers) that ``flagged_speakers``
    flags."""
    speech: dict[str, float] = defaultdict(float)
    for t in one_more.turns:
        speech[t.speaker] += t.end - t.start
    extra = flagged_speakers(speech, distances, count, min_speech_s=min_speech_s, min_distance=min_distance)
    return tuple(t for t in one_more.turns if t.speaker in extra)


def flagged_speakers(
    speech: dict[str, float],
    distances: dict[str, float],
    count: int,
    *,
    min_speech_s: float = MIN_EXTRA_SPEECH_S,
    min_distance: float = MIN_EXTRA_DISTANCE,
) -> set[str]:
    """The speakers to flag, given each speaker's seconds of ``speech`` and cosine distance to the nearest other
    speaker's centroid (``distances``) in a clustering forced to ``count`` (consented + 1) speakers.

    Nothing, unless all ``count`` speakers are there, each with ``min_speech_s`` of speech and ``min_distance`` from
    every other: then every speaker but the one who speaks most (see the module's docstring for why)."""
    if len(speech) < count:
        return set()
    if any(seconds < min_speech_s or distances.get(s, float("inf")) < min_distance for s, seconds in speech.items()):
        return set()
    dominant = max(speech, key=lambda s: speech[s])
    return set(speech) - {dominant}
