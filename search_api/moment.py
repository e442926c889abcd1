"""Where in a clip the searched words are said: the student's player starts there, not at the clip's start.

The clip's words are scanned for the query's terms (French stems, as the keyword index matches them, of the query
and of its rewriting in standard French). The run of matches the result's snippet shows wins (``snippets.best_run``
over ``snippets.RUN`` words: the most different terms, then the most matches, then the earliest), so the player
starts on the words the student read under the result, at the beginning of the sentence they fall in (back to the
previous sentence end or speaker change, at most ``BACK_S`` before the first match). A clip with no matching word
starts at its start: it was found for its meaning, and a clip is one question and its answer; so does a clip whose
words are said in its last ``MIN_LEFT_S``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from vidlib.search_api.schemas import Word
from vidlib.search_api.snippets import RUN, TOKEN, best_run, matches
from vidlib.text import analyze
from vidlib.wording import joined

BACK_S = 8.0
MIN_LEFT_S = 6.0  # a moment closer than this to the clip's end plays the clip from its start
_SENTENCE_END = (".", "?", "!", "…")


def moment(clip_words: Sequence[Word], *queries: str) -> float:
    """Seconds from the clip's start where what was searched is said (0 when no word of it is)."""
    terms = frozenset(t for q in queries for t in analyze(q))
    if not terms:
        return 0.0
    # the clip's text cut as the snippet cuts it ("c'" + "est" is one word there), each piece traced to the
    # recogniser's word it starts in, so that both count the same positions
    text, starts = joined(w.text for w in clip_words)
    pieces = list(TOKEN.finditer(text))
    at, found = matches([m.group() for m in pieces], terms)
    if not at:
        return 0.0
    best = bisect_right(starts, pieces[at[best_run(at, found, RUN)]].start()) - 1
    first = best
    while first > 0:
        before = clip_words[first - 1]
        if before.text.rstrip().endswith(_SENTENCE_END) or before.speaker != clip_words[first].speaker:
            break
        if clip_words[best].start - before.start > BACK_S:
            break
        first -= 1
    if clip_words[-1].end - clip_words[first].start < MIN_LEFT_S:
        return 0.0
    return round(clip_words[first].start, 2)
