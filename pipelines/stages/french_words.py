"""Words a French speaker would recognise, to keep recognition errors out of titles.

Whisper base writes what it misheard as words that do not exist ("géniaire" for "génie civil", "astrarte" for
"astreinte", "Prêtement" for "Concrètement"), often with a high word probability, so the probability alone lets them
through. The word list is pyspellchecker's French frequency list (140,000 words from film subtitles, MIT licence),
read once on first use.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from vidlib.text import without_elision, without_ligatures

# common in the calls, missing from the list: added to it
_ALSO_KNOWN = ("ado", "ados", "appli", "applis", "weekend", "weekends")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@lru_cache(maxsize=1)
def _dictionary() -> Any:
    from spellchecker import SpellChecker

    checker = SpellChecker(language="fr", distance=1)
    checker.word_frequency.load_words(_ALSO_KNOWN)
    return checker


def unknown_words(text: str) -> list[str]:
    """The words of ``text`` that are no French word. Not judged: words under 4 letters, acronyms ("BTS") and names
    (a capital past the first word: "Mehdi", "Clermont-Ferrand"); a hyphenated word is known when it or each of its
    parts is ("week-end", "peut-être"). The list writes "oe" for "œ" ("coeur", "oeuvre")."""
    known = _dictionary()
    out = []
    for n, token in enumerate(_TOKEN.findall(text)):
        word = without_elision(token)
        if len(word) < 4 or word.isupper() or (n > 0 and word[:1].isupper()):
            continue
        spelled = without_ligatures(word.lower())
        if spelled in known:
            continue
        parts = [without_elision(part) for part in spelled.split("-")]  # "main-d'oeuvre": main, oeuvre
        if "-" in spelled and all(part in known or len(part) < 4 for part in parts):
            continue
        out.append(word)
    return out
