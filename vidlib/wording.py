"""Rebuild readable text from Whisper's word tokens ("d" + "'avoir" -> "d'avoir", "est" + "-ce" -> "est-ce")."""

from __future__ import annotations

from collections.abc import Iterable

GLUE_PREFIXES = ("'", "’", "-", ",", ".", "?", "!", ";", ":", ")", "…", "%")


def join_words(tokens: Iterable[str]) -> str:
    out = ""
    for tok in tokens:
        tok = tok.strip()
        if not tok:
            continue
        if out and not tok.startswith(GLUE_PREFIXES) and not out.endswith(("'", "’", "(")):
            out += " "
        out += tok
    return out
