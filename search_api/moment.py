"""Where in a clip the searched words are said: the student's player starts there, not at the clip's start.

The clip's words are scanned for the query's terms (French stems, as the keyword index matches them, of the query
and of its rewriting in standard French); the densest run of matches within ``WINDOW_S`` wins, and the player
starts at the beginning of the sentence it falls in (back to the previous sentence end or speaker change, at most
``BACK_S`` before the first match). A clip with no matching word starts at its start: it was found for its meaning,
and a clip is one question and its answer; so does a clip whose words are said in its last ``MIN_LEFT_S``.
"""

from __future__ import annotations

from collections.abc import Sequence

from vidlib.search_api.schemas import Word
from vidlib.search_api.snippets import token_stems
from vidlib.text import analyze

WINDOW_S = 20.0
BACK_S = 8.0
MIN_LEFT_S = 6.0  # a moment closer than this to the clip's end plays the clip from its start
_SENTENCE_END = (".", "?", "!", "…")


def moment(clip_words: Sequence[Word], *queries: str) -> float:
    """Seconds from the clip's start where what was searched is said (0 when no word of it is)."""
    terms = {t for q in queries for t in analyze(q)}
    if not terms:
        return 0.0
    hits = [i for i, w in enumerate(clip_words) if not terms.isdisjoint(token_stems(w.text))]
    if not hits:
        return 0.0
    best = max(hits, key=lambda h: sum(1 for j in hits if 0 <= clip_words[j].start - clip_words[h].start < WINDOW_S))
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
