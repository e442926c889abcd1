"""French-aware text analysis for keyword search and keyphrases.

Lower-casing, elision ("l'", "qu'"...), accent folding, Snowball stop words and the Snowball stemmer
(package ``snowballstemmer``). Tokens map to sparse-vector indices by a stable hash, so the keyword index
needs no vocabulary file and a re-index gives the same vectors.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[\w]+(?:[-'][\w]+)*", re.UNICODE)
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)

# Snowball's French stop-word list (snowballstem.org/algorithms/french/stop.txt) plus common oral fillers.
FRENCH_STOP_WORDS = frozenset(
    """au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même mes moi
    mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos
    votre vous c d j l à m n s t y été étée étées étés étant étante étants étantes suis es est sommes êtes
    sont serai seras sera serons serez seront serais serait serions seriez seraient étais était étions
    étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez soient fusse fusses fût fussions
    fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai as avons avez ont aurai auras aura
    aurons aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut eûmes
    eûtes eurent aie aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent
    ça cela ceci celle celui ceux alors donc bon ben bah euh hum oui non ouais ok okay voilà enfin
    aussi très plus moins tout tous toute toutes faire fait fais peu beaucoup bien comme quand quoi
    est-ce qu'est-ce c'est y'a il_y_a là ici si oh ah hein truc chose choses vraiment peut être avoir
    va vais vas allez aller dit dire sais savoir puis ensuite après avant encore déjà jamais toujours
    quelque quelques chaque autre autres même mêmes cette cet entre vers chez sans sous depuis pendant
    the a an and or of to in is are was were be it this that for on with as at by from you i we they
    what how why do does did can could""".split()
)


def fold_accents(text: str) -> str:
    """``text`` decomposed (NFKD) without its combining marks, ligatures written out: "Éducatrice" -> "Educatrice",
    "œuvre" -> "oeuvre" (as most keyboards type it)."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda m: m.group().translate(_FOLDED), text)


def _fold_char(char: str) -> str:
    if char in _LIGATURES:  # NFKD keeps them
        return _LIGATURES[char]
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


_LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"}
_WRITTEN_OUT = str.maketrans(_LIGATURES)


def without_ligatures(text: str) -> str:
    """``text`` with "œ" and "æ" written out ("cœur" -> "coeur"), accents kept: as keyboards and word lists write
    them (``fold_accents`` writes them out too)."""
    return text.translate(_WRITTEN_OUT)


class _FoldedChars(dict[int, str]):
    """Each character's folded form, worked out the first time it is met (``str.translate`` reads it in C): the
    same as folding the whole text, as only combining marks move when a text is decomposed, and they are dropped.
    Characters of the scripts a French query or transcript uses are kept; any other is folded each time."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if code < 0x3000:
            self[code] = folded
        return folded


_FOLDED = _FoldedChars()
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


_LOCAL = threading.local()


def _stemmer() -> snowballstemmer.stemmer:
    """This thread's stemmer: a Snowball stemmer keeps state between words, so threads must not share one (the API
    serves requests on several threads)."""
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        stemmer = _LOCAL.stemmer = snowballstemmer.stemmer("french")
    return stemmer


def without_elision(word: str) -> str:
    """``word`` without the article or pronoun elided before it ("l'appel" -> "appel", "qu'on" -> "on")."""
    return _ELISION.sub("", word)


def words(text: str) -> list[str]:
    """Lower-cased words with elisions removed (accents kept)."""
    out = []
    for raw in _WORD.findall(text.lower().replace("’", "'")):
        w = without_elision(raw) if "'" in raw else raw
        if w:
            out.append(w)
    return out


def keyword_count(said: Sequence[str], keyword: str) -> int:
    """How often ``keyword`` (lower case, no accents) is said in ``said`` (words, accents folded): one of 4+ letters
    counts the words it starts ("conseil": "conseilleriez"), but not the conditional of a verb it ends ("aime":
    "j'aimerais savoir..." asks politely, it says nothing of liking); a shorter one ("ia", "dur") or one of
    several words ("plein air") counts whole words."""
    if " " in keyword:
        return f" {' '.join(said)} ".count(f" {keyword} ")
    if len(keyword) < 4:
        return sum(w == keyword for w in said)
    conditional = f"{keyword}r" if keyword.endswith("e") else None
    return sum(
        w.startswith(keyword) and not (conditional and w.startswith(conditional) and w[len(conditional) :] in _IF)
        for w in said
    )


_IF = frozenset({"ais", "ait", "ions", "iez", "aient"})  # the endings of the conditional after the verb's "-er"


@lru_cache(maxsize=1 << 16)
def is_stop(word: str) -> bool:
    return word in FRENCH_STOP_WORDS or fold_accents(word) in FRENCH_STOP_WORDS or word.isdigit() and len(word) < 2


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """The word's French stem, accents folded (kept for the last 65,536 words: a search stems the same words over
    and over)."""
    return fold_accents(_stemmer().stemWord(word))


def analyze(text: str) -> list[str]:
    """Search terms: content words, stemmed, accents folded."""
    return [stem(w) for w in words(text) if not is_stop(w) and len(w) > 1]


@lru_cache(maxsize=8192)
def term_set(text: str) -> frozenset[str]:
    """The set of ``analyze(text)``, kept for the texts analysed last (the search asks again for the same clips'
    and queries' terms, a snippet per hit of one query)."""
    return frozenset(analyze(text))


def term_index(term: str) -> int:
    """Stable 31-bit index of a term in the sparse vector space."""
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "big") & 0x7FFFFFFF


def sparse_terms(text: str) -> tuple[list[int], list[float]]:
    """Term-frequency sparse vector (Qdrant applies IDF with the collection's IDF modifier)."""
    counts = Counter(analyze(text))
    merged: dict[int, float] = {}
    for term, tf in counts.items():
        idx = term_index(term)
        merged[idx] = merged.get(idx, 0.0) + float(tf)
    # BM25-style saturation of term frequency (k1 = 1.2), length normalisation left to the clip sizes
    indices = sorted(merged)
    values = [merged[i] * 2.2 / (merged[i] + 1.2) for i in indices]
    return indices, values
