"""Topic segmentation of an attributed transcript.

Boundaries are only placed before an utterance (a sentence piece of one speaker), never mid-word.
Each candidate boundary gets a score from three cues:

* question cue: the student (or a guest) opens a turn with a question after the professional talked for a
  while — the shape of a rencontre métier. A follow-up after a short answer scores less;
* lexical/semantic shift: TextTiling-style depth of the similarity dip between the embedded windows of
  utterances before and after the candidate;
* pause: the silence before the candidate.

A dynamic programme then picks the boundaries that maximise the summed scores minus a per-boundary cost,
under the segment length bounds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vidlib.domain import AttributedTranscript, TopicSegment, Utterance

EmbedFn = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class SegmenterParams:
    """Defaults tuned with bench/eval_segmentation.py (French calls + QMSum, leave-one-file-out)."""

    min_s: float = 12.0
    max_s: float = 180.0
    window: int = 2  # utterances each side for the similarity cue
    question_weight: float = 1.0
    followup_weight: float = 0.35
    similarity_weight: float = 0.8  # with boundary_cost: similarity alone cuts only at the deepest dips
    pause_weight: float = 0.25
    long_answer_s: float = 8.0  # professional talk before a question that makes it a full-strength topic cue
    boundary_cost: float = 0.75


_FOLLOW_UP = re.compile(
    r"^(?:même|mais|donc|du coup|ah bon|vraiment|c'est-à-dire|pourquoi ça|comment ça|genre|sinon pour|et ça|et là)\b",
    re.IGNORECASE,
)


def is_follow_up(text: str) -> bool:
    """A short or anaphoric question that continues the current topic ("Même la nuit ?", "Vraiment ?")."""
    stripped = text.strip()
    return len(stripped.split()) <= 3 or bool(_FOLLOW_UP.match(stripped))


def turn_starts(utts: Sequence[Utterance]) -> list[int]:
    """Index of the first utterance of the speaker run that contains each utterance."""
    starts: list[int] = []
    for i, u in enumerate(utts):
        starts.append(starts[-1] if i and utts[i - 1].speaker == u.speaker else i)
    return starts


def question_cues(utts: Sequence[Utterance], params: SegmenterParams) -> np.ndarray:
    """Score each question by a non-professional, placed where the asking turn starts.

    The cue grows with the professional's talk since the last opening question: ``question_weight`` once
    they have talked ``long_answer_s``, down towards ``followup_weight`` right after a short reply. A
    follow-up ("Même la nuit ?", "Vraiment ?") always scores ``followup_weight`` and does not reset the talk.
    The cue moves back over short acknowledgements that open the turn ("Ah d'accord. Et le salaire ?"),
    not over a full sentence of the same speaker ("Moi aussi, je suis d'accord. Tu peux te présenter ?").
    """
    cues = np.zeros(len(utts))
    starts = turn_starts(utts)
    talk_since_topic = 0.0
    for i, u in enumerate(utts):
        if u.role == "professional":
            talk_since_topic += u.end - u.start
            continue
        if not u.is_question:
            continue
        at = lead_in_start(utts, i, starts[i])
        if at == 0:
            continue
        if is_follow_up(u.text):
            weight = params.followup_weight
        else:
            share = min(talk_since_topic / params.long_answer_s, 1.0) if params.long_answer_s > 0 else 1.0
            weight = params.followup_weight + (params.question_weight - params.followup_weight) * share
            talk_since_topic = 0.0
        cues[at] = max(cues[at], weight)
    return cues


def lead_in_start(utts: Sequence[Utterance], i: int, turn_start: int, max_words: int = 3) -> int:
    """First utterance of the short acknowledgements ("Ah d'accord.", "Ok.") right before utterance ``i``
    in the same turn; ``i`` itself when the one before it is a full sentence or a question."""
    at = i
    while at > turn_start and not utts[at - 1].is_question and len(utts[at - 1].text.split()) <= max_words:
        at -= 1
    return at


def similarity_depth(vectors: np.ndarray, window: int) -> np.ndarray:
    """Depth score at each candidate: how far the left/right window similarity dips below its neighbours."""
    n = len(vectors)
    sims = np.ones(n)
    for i in range(1, n):
        left = vectors[max(0, i - window) : i].mean(axis=0)
        right = vectors[i : i + window].mean(axis=0)
        denom = float(np.linalg.norm(left) * np.linalg.norm(right)) or 1.0
        sims[i] = float(left @ right) / denom
    depth = np.zeros(n)
    for i in range(1, n):
        lpeak = sims[max(1, i - window) : i + 1].max()
        rpeak = sims[i : i + window + 1].max()
        depth[i] = (lpeak - sims[i]) + (rpeak - sims[i])
    if depth.max() > 0:
        depth = depth / depth.max()
    return depth


def pause_cues(utts: Sequence[Utterance]) -> np.ndarray:
    cues = np.zeros(len(utts))
    for i in range(1, len(utts)):
        cues[i] = min(max(utts[i].start - utts[i - 1].end, 0.0) / 2.0, 1.0)
    return cues


def boundary_scores(utts: Sequence[Utterance], vectors: np.ndarray, params: SegmenterParams) -> np.ndarray:
    return (
        question_cues(utts, params)
        + params.similarity_weight * similarity_depth(vectors, params.window)
        + params.pause_weight * pause_cues(utts)
    )


def choose_boundaries(utts: Sequence[Utterance], scores: np.ndarray, params: SegmenterParams) -> list[int]:
    """Best boundary set under the length bounds (dynamic programme over utterance starts)."""
    n = len(utts)
    total = utts[-1].end - utts[0].start
    if n < 2 or total < 2 * params.min_s:
        return []
    span = lambda a, b: utts[b - 1].end - utts[a].start  # noqa: E731 - segment [a, b)
    best = np.full(n + 1, -np.inf)
    back = np.zeros(n + 1, dtype=int)
    best[0] = 0.0
    for b in range(1, n + 1):
        for a in range(b - 1, -1, -1):
            length = span(a, b)
            if length > params.max_s:
                break
            if best[a] == -np.inf or (length < params.min_s and not (a == 0 and b == n)):
                continue
            gain = 0.0 if a == 0 else scores[a] - params.boundary_cost
            if best[a] + gain > best[b]:
                best[b], back[b] = best[a] + gain, a
    if best[n] == -np.inf:  # bounds cannot be met (e.g. one very long monologue): fall back to max-length cuts
        return _greedy_cuts(utts, params.max_s)
    cuts, b = [], n
    while b > 0:
        a = int(back[b])
        if a > 0:
            cuts.append(a)
        b = a
    return sorted(cuts)


def _greedy_cuts(utts: Sequence[Utterance], max_s: float) -> list[int]:
    cuts, start = [], utts[0].start
    for i, u in enumerate(utts[1:], start=1):
        if u.end - start > max_s:
            cuts.append(i)
            start = u.start
    return cuts


def segments_from_cuts(utts: Sequence[Utterance], cuts: Sequence[int]) -> tuple[TopicSegment, ...]:
    edges = [0, *cuts, len(utts)]
    return tuple(
        TopicSegment(start=utts[a].start, end=utts[b - 1].end, first_utterance=a, last_utterance=b - 1)
        for a, b in zip(edges, edges[1:])
        if b > a
    )


def segment_topics(
    attributed: AttributedTranscript, embed: EmbedFn, params: SegmenterParams = SegmenterParams()
) -> tuple[TopicSegment, ...]:
    utts = attributed.utterances
    if not utts:
        return ()
    vectors = embed([u.text for u in utts])
    scores = boundary_scores(utts, vectors, params)
    return segments_from_cuts(utts, choose_boundaries(utts, scores, params))
