"""Search-result snippets: a window of the clip's words with the query's matched words in ``<mark>``.

A word matches when its French stem (as used by the keyword index) is one of the query's terms, so
"métiers" highlights "métier". The result is HTML: everything but the ``<mark>`` tags is escaped.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from vidlib.text import stem, term_set, words

_TOKEN = re.compile(r"[\w]+(?:[-'’][\w]+)*", re.UNICODE)


@lru_cache(maxsize=1 << 16)
def token_stems(raw: str) -> frozenset[str]:
    """The stems of one token or word of a text (kept: a page of results shows the same words over and over)."""
    return frozenset(stem(w) for w in words(raw))


def _matches(raw: str, terms: set[str]) -> bool:
    return not terms.isdisjoint(token_stems(raw))


def _densest(hits: list[int], span: int) -> int:
    """The first hit of the ``span`` positions holding the most hits (the earliest of equals)."""
    best, most, end = hits[0], 0, 0
    for start, h in enumerate(hits):
        while end < len(hits) and hits[end] < h + span:
            end += 1
        if end - start > most:
            best, most = h, end - start
    return best


def highlight_snippet(text: str, query: str, *, width: int = 32, before: int = 6) -> str:
    """About ``width`` words of ``text`` around the densest run of matches, as escaped HTML with <mark>."""
    terms = term_set(query)  # one query highlighted in every hit of a page: analysed once
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        return html.escape(text[:200])
    hits: list[int] = []
    if terms:
        said = [m.group() for m in tokens]
        matching = {t for t in set(said) if _matches(t, terms)}
        hits = [i for i, t in enumerate(said) if t in matching] if matching else []
    first = 0
    if hits:
        first = max(0, _densest(hits, width - before) - before)
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
