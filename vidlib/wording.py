"""Rebuild readable text from Whisper's word tokens ("d" + "'avoir" -> "d'avoir", "est" + "-ce" -> "est-ce")."""

from __future__ import annotations

from collections.abc import Iterable

GLUE_PREFIXES = ("'", "’", "-", ",", ".", "?", "!", ";", ":", ")", "…", "%")


def join_words(tokens: Iterable[str]) -> str:
    return joined(tokens)[0]


def joined(tokens: Iterable[str]) -> tuple[str, list[int]]:
    """The text ``join_words`` makes, and where each token starts in it (an empty token: where it would)."""
    out, starts = "", []
    for tok in tokens:
        tok = tok.strip()
        if tok and out and not tok.startswith(GLUE_PREFIXES) and not out.endswith(("'", "’", "(")):
            out += " "
        starts.append(len(out))
        out += tok
    return out, starts
