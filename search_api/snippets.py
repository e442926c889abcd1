"""Search-result snippets: a window of the clip's words with the query's matched words in ``<mark>``.

A word matches when its French stem (as used by the keyword index) is one of the query's terms, so
"métiers" highlights "métier". The result is HTML: everything but the ``<mark>`` tags is escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache

from vidlib.text import stem, term_set, words

TOKEN = re.compile(r"[\w]+(?:[-'’][\w]+)*", re.UNICODE)  # a snippet's words; the moment counts the same
WIDTH = 32  # words a snippet shows
BEFORE = 6  # of which before its first match
RUN = WIDTH - BEFORE  # words a run of matches may span: the snippet shows a whole run


@lru_cache(maxsize=1 << 16)
def token_stems(raw: str) -> frozenset[str]:
    """The stems of one token or word of a text (kept: a page of results shows the same words over and over)."""
    return frozenset(stem(w) for w in words(raw))


def matches(tokens: Sequence[str], terms: frozenset[str]) -> tuple[list[int], list[frozenset[str]]]:
    """The positions of the ``tokens`` that say some of ``terms``, and which terms each says."""
    at: list[int] = []
    found: list[frozenset[str]] = []
    for i, token in enumerate(tokens):
        if said := terms & token_stems(token):
            at.append(i)
            found.append(said)
    return at, found


def best_run(at: Sequence[float], found: Sequence[frozenset[str]], span: float) -> int:
    """Which of the matches (at positions ``at``, in order, each saying the terms ``found``) starts the run of
    ``span`` that says the most different terms, then holds the most matches; the earliest of equals. The snippet
    and the player's moment pick with it, so that the words a result shows are the words its video starts on."""
    best, score, end = 0, (0, 0), 0
    for start in range(len(at)):
        while end < len(at) and at[end] < at[start] + span:
            end += 1
        run = (len(frozenset().union(*found[start:end])), end - start)
        if run > score:
            best, score = start, run
    return best


def highlight_snippet(text: str, query: str, *, width: int = WIDTH, before: int = BEFORE) -> str:
    """About ``width`` words of ``text`` around the run of matches saying the most of the query (``best_run``), as
    escaped HTML with <mark>."""
    terms = term_set(query)  # one query highlighted in every hit of a page: analysed once
    tokens = list(TOKEN.finditer(text))
    if not tokens:
        return html.escape(text[:200])
    hits, found = matches([m.group() for m in tokens], terms)
    first = 0
    if hits:
        first = max(0, hits[best_run(hits, found, width - before)] - before)
    last = min(len(tokens), first + width)
    first = max(0, min(first, last - width))
    # the words from the first to the last, and the text after them when they end the clip; escaping is per
    # character, so the runs between two marks are escaped whole
    end = len(text) if last == len(tokens) else tokens[last - 1].end()
    marked, pos = [], tokens[first].start()
    for i in hits:
        if first <= i < last:
            m = tokens[i]
            marked.append(html.escape(text[pos : m.start()]))
            marked.append(f"<mark>{html.escape(m.group())}</mark>")
            pos = m.end()
    marked.append(html.escape(text[pos:end]))
    prefix = "… " if first > 0 else ""
    suffix = " …" if last < len(tokens) else ""
    return prefix + "".join(marked).strip() + suffix
