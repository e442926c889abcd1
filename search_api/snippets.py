"""Search-result snippets: a window of the clip's words with the query's matched words in ``<mark>``.

A word matches when its French stem (as used by the keyword index) is one of the query's terms, so
"métiers" highlights "métier". The result is HTML: everything but the ``<mark>`` tags is escaped.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from vidlib.text import analyze, stem, words

_TOKEN = re.compile(r"[\w]+(?:[-'’][\w]+)*", re.UNICODE)


@lru_cache(maxsize=1 << 16)
def token_stems(raw: str) -> frozenset[str]:
    """The stems of one token or word of a text (kept: a page of results shows the same words over and over)."""
    return frozenset(stem(w) for w in words(raw))


def _matches(raw: str, terms: set[str]) -> bool:
    return not terms.isdisjoint(token_stems(raw))


def highlight_snippet(text: str, query: str, *, width: int = 32, before: int = 6) -> str:
    """About ``width`` words of ``text`` around the densest run of matches, as escaped HTML with <mark>."""
    terms = set(analyze(query))
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        return html.escape(text[:200])
    hits = [i for i, m in enumerate(tokens) if terms and _matches(m.group(), terms)]
    first = 0
    if hits:
        best = max(hits, key=lambda h: sum(1 for j in hits if h <= j < h + width - before))
        first = max(0, best - before)
    last = min(len(tokens), first + width)
    first = max(0, min(first, last - width))
    marked, hit_set = [], set(hits)
    pos = tokens[first].start()
    for i in range(first, last):
        m = tokens[i]
        marked.append(html.escape(text[pos : m.start()]))
        word = html.escape(m.group())
        marked.append(f"<mark>{word}</mark>" if i in hit_set else word)
        pos = m.end()
    tail = text[pos : tokens[last].start()] if last < len(tokens) else text[pos:]
    out = "".join(marked) + html.escape(tail if last == len(tokens) else "")
    prefix = "… " if first > 0 else ""
    suffix = " …" if last < len(tokens) else ""
    return prefix + out.strip() + suffix
