"""Styles of work of a call's job (créatif, manuel, en extérieur, contact humain, technique, scientifique), read from
what its professional says, so that students can browse jobs by the kind of work they like.

Each style has keywords (``data/styles_fr.json``). A call gets a style when its professional says that style's words
at least ``min_per_1000`` times per thousand words and uses at least ``min_distinct`` different ones (one word said
over and over is a subject, not a style); at most ``max_styles``, the most said first. A moderator can change the
styles of a call (``search_api``); a re-run keeps them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from vidlib.domain import AttributedTranscript
from vidlib.text import fold_accents, keyword_count, words

STYLES_FILE = Path(__file__).with_name("data") / "styles_fr.json"


@dataclass(frozen=True)
class Styles:
    keys: tuple[str, ...]
    names: tuple[str, ...]  # French name of each style, as students read it
    keywords: tuple[tuple[str, ...], ...]

    def name_of(self, key: str) -> str:
        return self.names[self.keys.index(key)] if key in self.keys else key


@lru_cache(maxsize=4)
def load_styles(path: Path = STYLES_FILE) -> Styles:
    raw = json.loads(path.read_text(encoding="utf-8"))["styles"]
    return Styles(
        keys=tuple(raw),
        names=tuple(v["label"] for v in raw.values()),
        keywords=tuple(tuple(v["keywords"]) for v in raw.values()),
    )


def style_label(key: str) -> str:
    """The French name of a style ("contact_humain" -> "Contact humain")."""
    return load_styles().name_of(key)


@dataclass(frozen=True)
class StyleParams:
    min_per_1000: float = 6.0
    min_distinct: int = 3
    max_styles: int = 3


@dataclass(frozen=True)
class StyleEvidence:
    style: str
    per_1000: float  # the style's words per thousand words of the professional
    words: tuple[str, ...]  # the distinct keywords said, most said first


def style_evidence(text_words: Sequence[str], styles: Styles) -> tuple[StyleEvidence, ...]:
    """Every style's words in ``text_words`` (lower case), most said style first."""
    folded = [fold_accents(w) for w in text_words]
    out = []
    for key, group in zip(styles.keys, styles.keywords):
        said = Counter({k: n for k in group if (n := keyword_count(folded, k))})
        per_1000 = 1000.0 * sum(said.values()) / max(len(folded), 1)
        out.append(StyleEvidence(key, round(per_1000, 2), tuple(k for k, _ in said.most_common())))
    return tuple(sorted(out, key=lambda e: -e.per_1000))


def professional_words(attributed: AttributedTranscript) -> list[str]:
    """The words the professional says (everyone's when no speaker is the professional)."""
    pros = {speaker for speaker, role in attributed.roles if role == "professional"}
    spoken = [u.text for u in attributed.utterances if u.speaker in pros] or [u.text for u in attributed.utterances]
    return [w for text in spoken for w in words(text)]


def assign_styles(
    attributed: AttributedTranscript, params: StyleParams = StyleParams(), styles: Styles | None = None
) -> tuple[str, ...]:
    """The call's styles, most said first."""
    evidence = style_evidence(professional_words(attributed), styles or load_styles())
    kept = [e.style for e in evidence if e.per_1000 >= params.min_per_1000 and len(e.words) >= params.min_distinct]
    return tuple(kept[: params.max_styles])
