"""Flag personal data in a transcript: phone numbers, e-mails, URLs, postal addresses, French
social-security numbers, participants' names (from the consent record) and "je m'appelle X" introductions.

Flags carry the time span of the words they cover, so a moderator sees where to listen and what to redact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vidlib.domain import ConsentRecord, PersonalDataFlag, SpokenWord
from vidlib.wording import join_words

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"\b[\w.+-]+\s?(?:@|arobase)\s?[\w-]+(?:\.[\w-]+)+\b", re.IGNORECASE)),
    ("url", re.compile(r"\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:fr|com|org|net|io|eu)\b(?:/\S*)?", re.IGNORECASE)),
    (
        "social_security_number",
        re.compile(r"\b[12][\s.]?\d{2}[\s.]?(?:0[1-9]|1[0-2])[\s.]?\d{2}[\s.]?\d{3}[\s.]?\d{3}(?:[\s.]?\d{2})?\b"),
    ),
    ("phone", re.compile(r"(?:\+33\s?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b")),
    (
        "address",
        re.compile(
            r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s(?:rue|avenue|av\.|boulevard|bd|place|impasse|allée|chemin|route|quai|cours)"
            r"(?:\s(?:de|du|des|la|le|l'|d')?\s?[A-Za-zÀ-ÿ'-]+){1,4}|\b\d{5}\s[A-ZÀ-Ý][a-zà-ÿ-]+",
            re.IGNORECASE,
        ),
    ),
    (
        "self_introduction",
        re.compile(
            r"\b(?:je m'appelle|mon nom est|mon prénom c'est|moi c'est)\s+([A-ZÀ-Ý][\w-]+(?:\s[A-ZÀ-Ý][\w-]+)?)"
        ),
    ),
)


def _char_spans(words: Sequence[SpokenWord]) -> tuple[str, list[tuple[int, int]]]:
    """The joined text and, for each word, its [start, end) character span in it."""
    text, spans = "", []
    for w in words:
        joined = join_words([text, w.text]) if text else w.text.strip()
        start = len(joined) - len(w.text.strip())
        spans.append((start, len(joined)))
        text = joined
    return text, spans


def _words_in(spans: list[tuple[int, int]], a: int, b: int) -> list[int]:
    return [i for i, (s, e) in enumerate(spans) if s < b and e > a]


def detect_personal_data(words: Sequence[SpokenWord], consent: ConsentRecord) -> tuple[PersonalDataFlag, ...]:
    text, spans = _char_spans(words)
    flags: list[PersonalDataFlag] = []

    def add(kind: str, a: int, b: int) -> None:
        idx = _words_in(spans, a, b)
        if idx:
            flags.append(PersonalDataFlag(kind, text[a:b], words[idx[0]].start, words[idx[-1]].end))

    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            a, b = m.span(1) if kind == "self_introduction" else m.span()
            add("name" if kind == "self_introduction" else kind, a, b)
    names = {part for p in consent.participants for part in re.split(r"[\s-]+", p.name) if len(part) >= 3}
    for name in names:
        for m in re.finditer(rf"\b{re.escape(name)}\b", text, re.IGNORECASE):
            add("name", *m.span())
    unique = {(f.kind, f.start, f.end): f for f in flags}
    return tuple(sorted(unique.values(), key=lambda f: (f.start, f.kind)))
