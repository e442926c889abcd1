"""The vocabulary of a call, given to Whisper as hotwords: the words that matter most to a student are the ones a
small model mishears (a job title, a name, an acronym of a diploma).

The call's own words come first (recording title, job, sector and participants' names from the consent record),
then a career-domain lexicon (data/career_lexicon_fr.txt), up to ``max_words``: Whisper keeps at most half its
448-token context for the prompt, and a longer prompt costs decoding time in every 30 s window.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from vidlib.domain import ConsentRecord

LEXICON_FILE = Path(__file__).with_name("data") / "career_lexicon_fr.txt"


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_FILE) -> tuple[str, ...]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def call_vocabulary(consent: ConsentRecord, lexicon: tuple[str, ...] = (), max_words: int = 60) -> str:
    """Comma-separated terms, the call's own first, each once (case-insensitive), at most ``max_words`` words."""
    info = consent.recording
    own = [info.job, info.title, info.sector, *(p.name for p in consent.participants)]
    terms: list[str] = []
    seen: set[str] = set()
    words = 0
    for term in (*own, *lexicon):
        term = re.sub(r"\s+", " ", term or "").strip(" ,;")
        key = term.lower()
        if not term or key in seen:
            continue
        n = len(term.split())
        if words + n > max_words:
            break
        seen.add(key)
        terms.append(term)
        words += n
    return ", ".join(terms)
