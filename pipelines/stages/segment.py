"""Two levels of segmentation of an attributed transcript: chapters (topics of the conversation), then clips inside
each chapter (self-contained moments a student can watch alone).

Boundaries only fall before an utterance that starts a sentence (``cues.sentence_starts``), never mid-word.

Chapters: every candidate scores ``question * question cue + shift * content shift + pause * pause cue + joining``
(pipelines/stages/cues.py); a dynamic programme keeps the boundaries whose summed score beats a cost per boundary,
with chapters no shorter than a floor. The floor and the content-shift window follow the call's length: a
rencontre métier covers about ``expected_topics`` topics of the taxonomy whatever its length, so a 3-minute call
has topics of about 15 s and an hour-long one of about 5 min. The closing thanks (``cues.closing_start``) are a
chapter of their own.

Clips: a chapter up to ``clip_max_s`` long is one clip. A longer one is cut into the fewest pieces of
``clip_min_s``..``clip_max_s``, at the strongest question cues (a question with its whole answer and follow-ups).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from vidlib.domain import AttributedTranscript, ChapterSpan, TopicSegment, Utterance
from vidlib.pipelines.stages.cues import (
    QuestionWeights,
    SubjectsFn,
    closing_start,
    content_shift,
    joining_cues,
    pause_cues,
    question_cues,
    sentence_starts,
)

EmbedFn = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class ChapterParams:
    """Chosen with bench/eval_chapters.py --grid on two transcriptions of each of the four annotated calls together
    (docs/benchmarks.md)."""

    expected_topics: float = 12.0
    min_share: float = 0.6  # a chapter lasts at least this share of duration / expected_topics ...
    min_floor_s: float = 8.0  # ... never less than this ...
    min_ceiling_s: float = 90.0  # ... and the floor never exceeds this (hour-long calls still get 1.5-min topics)
    max_s: float = 900.0  # a longer chapter is cut at its best cue
    window_share: float = 0.5  # content-shift window: this share of duration / expected_topics, within 10-60 s
    question_weight: float = 1.0
    shift_weight: float = 0.4
    pause_weight: float = 0.2
    joining_weight: float = 0.3
    boundary_cost: float = 0.45
    # the greetings and consent open every call and take what they take: the first chapter may be shorter
    opening_min_share: float = 0.25
    # neighbouring chapters given the same topic become one when it lasts at most this many typical topics
    merge_max_share: float = 2.0
    questions: QuestionWeights = field(default_factory=QuestionWeights)

    def typical_s(self, duration_s: float) -> float:
        return duration_s / self.expected_topics

    def min_s(self, duration_s: float) -> float:
        return self._floor_s(self.min_share, duration_s)

    def opening_min_s(self, duration_s: float) -> float:
        return self._floor_s(self.opening_min_share, duration_s)

    def _floor_s(self, share: float, duration_s: float) -> float:
        return min(max(share * self.typical_s(duration_s), self.min_floor_s), self.min_ceiling_s)

    def window_s(self, duration_s: float) -> float:
        return min(max(self.window_share * self.typical_s(duration_s), 10.0), 60.0)


@dataclass(frozen=True)
class ClipParams:
    min_s: float = 20.0
    max_s: float = 180.0


def best_cuts(
    utts: Sequence[Utterance],
    scores: np.ndarray,
    allowed: np.ndarray,
    *,
    min_s: float,
    max_s: float,
    cost: float,
    lo: int = 0,
    hi: int | None = None,
    first_min_s: float | None = None,
) -> list[int]:
    """Boundaries (utterance indices in ``lo+1..hi-1``, where ``allowed``) maximising the summed ``scores - cost``,
    every piece of ``utts[lo:hi]`` lasting ``min_s``..``max_s`` (the first one at least ``first_min_s`` when given).
    When the bounds cannot be met (a monologue longer than ``max_s`` with no allowed start), pieces are cut at the
    latest allowed start before ``max_s``."""
    hi = len(utts) if hi is None else hi
    if hi - lo < 2 or utts[hi - 1].end - utts[lo].start < 2 * min_s:
        return []
    span = lambda a, b: utts[b - 1].end - utts[a].start  # noqa: E731 - piece [a, b)
    best = {lo: 0.0}
    back: dict[int, int] = {}
    reached = [lo]  # the keys of ``best``, ascending
    ends = [b for b in range(lo + 1, hi) if allowed[b]] + [hi]
    for b in ends:
        top, arg = -np.inf, -1
        for a in reversed(reached):
            length = span(a, b)
            if length > max_s:
                break
            shortest = first_min_s if a == lo and first_min_s is not None else min_s
            if length < shortest and not (a == lo and b == hi):
                continue
            gain = best[a] + (0.0 if a == lo else float(scores[a]) - cost)
            if gain > top:
                top, arg = gain, a
        if arg >= 0:
            best[b], back[b] = top, arg
            reached.append(b)
    if hi not in best:
        return _greedy_cuts(utts, allowed, max_s, lo, hi)
    cuts, b = [], hi
    while b != lo:
        a = back[b]
        if a != lo:
            cuts.append(a)
        b = a
    return sorted(cuts)


def _greedy_cuts(utts: Sequence[Utterance], allowed: np.ndarray, max_s: float, lo: int, hi: int) -> list[int]:
    cuts, start, last_ok = [], utts[lo].start, None
    for i in range(lo + 1, hi):
        if utts[i].end - start > max_s:
            at = last_ok if last_ok is not None and last_ok > (cuts[-1] if cuts else lo) else i
            cuts.append(at)
            start, last_ok = utts[at].start, None
        if allowed[i]:
            last_ok = i
    return cuts


def chapter_scores(
    utts: Sequence[Utterance],
    vectors: np.ndarray,
    params: ChapterParams,
    duration_s: float,
    subjects: SubjectsFn | None = None,
) -> np.ndarray:
    return (
        params.question_weight * question_cues(utts, params.questions, subjects)
        + params.shift_weight * content_shift(utts, vectors, params.window_s(duration_s))
        + params.pause_weight * pause_cues(utts)
        + params.joining_weight * joining_cues(utts)
    )


def chapter_cuts(
    attributed: AttributedTranscript,
    embed: EmbedFn,
    params: ChapterParams = ChapterParams(),
    duration_s: float | None = None,
    subjects: SubjectsFn | None = None,
) -> list[int]:
    """Indices of the utterances that open a chapter (the first chapter's excluded); ``subjects``: the career subjects
    a text names (``cues.question_cues``)."""
    utts = attributed.utterances
    if len(utts) < 2:
        return []
    duration = duration_s if duration_s is not None else utts[-1].end
    vectors = embed([u.text for u in utts])
    scores = chapter_scores(utts, vectors, params, duration, subjects)
    cuts = best_cuts(
        utts,
        scores,
        sentence_starts(utts),
        min_s=params.min_s(duration),
        max_s=params.max_s,
        cost=params.boundary_cost,
        first_min_s=params.opening_min_s(duration),
    )
    return with_closing(utts, cuts, duration, params.min_s(duration))


def with_closing(utts: Sequence[Utterance], cuts: list[int], duration_s: float, min_rest_s: float) -> list[int]:
    """``cuts`` and a cut where the closing thanks start (``cues.closing_start``): a student watching the advice need
    not sit through the goodbyes, and they are no topic. A chapter left shorter than ``min_rest_s`` before the thanks
    joins the one before it."""
    at = closing_start(utts, duration_s)
    if at is None or at in cuts:
        return cuts
    kept = [c for c in cuts if c < at]
    while kept and utts[at - 1].end - utts[kept[-1]].start < min_rest_s:
        kept.pop()  # a chapter too short between it and the thanks goes back into the one before
    if utts[at - 1].end - utts[kept[-1] if kept else 0].start < min_rest_s:
        return cuts
    return [*kept, at]


def spans_from_cuts(utts: Sequence[Utterance], cuts: Sequence[int]) -> tuple[ChapterSpan, ...]:
    edges = [0, *cuts, len(utts)]
    return tuple(
        ChapterSpan(start=utts[a].start, end=utts[b - 1].end, first_utterance=a, last_utterance=b - 1)
        for a, b in zip(edges, edges[1:])
        if b > a
    )


def split_chapters(
    attributed: AttributedTranscript, chapters: Sequence[ChapterSpan], params: ClipParams = ClipParams()
) -> tuple[TopicSegment, ...]:
    """The clips of each chapter, in order; a clip never crosses a chapter edge."""
    utts = attributed.utterances
    if not utts:
        return ()
    allowed = sentence_starts(utts)
    # inside a chapter every question continues its subject: the cut goes where a question opens a turn, at the
    # strongest, and a large cost keeps the number of pieces to the fewest the length bound allows
    scores = question_cues(utts) + 0.2 * pause_cues(utts) + 0.01
    out: list[TopicSegment] = []
    for index, ch in enumerate(chapters):
        lo, hi = ch.first_utterance, ch.last_utterance + 1
        cuts = (
            []
            if ch.end - ch.start <= params.max_s
            else best_cuts(utts, scores, allowed, min_s=params.min_s, max_s=params.max_s, cost=10.0, lo=lo, hi=hi)
        )
        edges = [lo, *cuts, hi]
        out.extend(
            TopicSegment(
                start=utts[a].start, end=utts[b - 1].end, first_utterance=a, last_utterance=b - 1, chapter=index
            )
            for a, b in zip(edges, edges[1:])
            if b > a
        )
    return tuple(out)
