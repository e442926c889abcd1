"""Give each word a speaker (largest time overlap) and each speaker a participant role.

Role heuristic (docs/design.md): in a rencontre métier the professional talks most; the student is
the other participant who asks the most questions; anyone else is the guardian when the consent record
names one, else a guest.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict

from vidlib.domain import (
    AttributedTranscript,
    ConsentRecord,
    Diarization,
    Role,
    SpeakerTurn,
    SpokenWord,
    Transcript,
    Utterance,
)
from vidlib.wording import GLUE_PREFIXES as _GLUE_PREFIXES
from vidlib.wording import join_words

UNKNOWN_SPEAKER = "SPEAKER_UNKNOWN"
_SENTENCE_END = (".", "?", "!", "…")
_OPENERS = (
    r"(?:(?:et|alors|mais|donc|bon|ok|okay|d'accord|ah|oh|euh|bah|ben|pour finir|pour commencer|sinon|du coup)[\s,]+)*"
)
# "Tu peux / vous pouvez" asks when a pronoun or a verb of telling follows ("Tu peux te présenter", "vous pouvez
# m'expliquer", "tu peux raconter"); with another verb, the professional is stating what one can do ("Tu peux
# travailler avec des enfants, ..."), as in "tu peux m'appeler Céline"
_CLITIC = (
    r"(?!m'appeler\b)(?:(?:me|te|nous|vous|se|en|y|le|la|les|lui|leur)\b|[mtsl]'|"
    r"(?:présenter|expliquer|parler|raconter|dire|décrire)\b)"
)
_QUESTION_START = re.compile(
    r"^" + _OPENERS + r"(est[- ]ce|qu'est[- ]ce|comment|pourquoi|combien|quel|quelle|quels|quelles|c'est quoi|"
    r"(?:tu peux|vous pouvez|tu pourrais|vous pourriez)(?=[\s,]+(?:" + _CLITIC + r"))|"
    r"what|how|why|when|where|which|who|do you|did you|can you|could you|is it|are you)\b",
    re.IGNORECASE,
)
# French inversion: a verb glued to its subject pronoun ("faut-il", "pouvez-vous", "as-tu", "a-t-on")
_INVERSION = re.compile(r"\b\w+-(?:t-)?(?:tu|vous|il|elle|on|ils|elles|je|nous)\b", re.IGNORECASE)
_NOT_INVERSION = re.compile(
    r"\b(?:peut-être|c'est-à-dire|vis-à-vis|au-dessus|au-delà|rendez-vous|vous-même|"
    r"lui-même|elle-même|moi-même|toi-même|nous-mêmes|là-dessus|là-bas|celle-ci|celui-ci)\b",
    re.IGNORECASE,
)
# "est-ce que" anywhere, but not "c'est ce que" (a statement: "c'est ce qu'on appelle la revue de code")
_QUESTION_INSIDE = re.compile(r"(?<![\w'])(?:est[- ]ce que|est[- ]ce qu'|qu'est[- ]ce)", re.IGNORECASE)


# an interrogative word at the end, as said aloud ("et une femme sur un chantier, ça se passe comment"); "quoi" only
# after a verb that asks ("vous faites quoi"): alone at the end it is mostly a filler ("c'est dur, quoi")
_QUESTION_END = re.compile(
    r"(?:\b(?:comment|combien|pourquoi)|(?<![\w'])où|\b(?:fai(?:s|t|tes)|c'est|donne|ressemble|consiste)\s+quoi)"
    r"\s*[.!…]*$",
    re.IGNORECASE,
)
_LEADING_MARKS = re.compile(r"^[^\w'’]+")


def without_leading_marks(text: str) -> str:
    """``text`` without the dashes and quotes Whisper puts before a turn ("– Et après...", "« Comment...")."""
    return _LEADING_MARKS.sub("", text)


def is_question(text: str) -> bool:
    """A question from its words as well as its punctuation: a question mark, an interrogative opening (after
    fillers: "Et alors, comment..."), "est-ce que" anywhere, an interrogative word at the end ("ça se passe
    comment"), or a verb-subject inversion ("faut-il", "pouvez-vous")."""
    stripped = without_leading_marks(text.strip().replace("’", "'"))
    if (
        stripped.endswith("?")
        or _QUESTION_START.match(stripped)
        or _QUESTION_INSIDE.search(stripped)
        or _QUESTION_END.search(stripped)
    ):
        return True
    return bool(_INVERSION.search(_NOT_INVERSION.sub(" ", stripped)))


def speaker_for(start: float, end: float, turns: tuple[SpeakerTurn, ...], starts: list[float]) -> str:
    """The speaker whose turns overlap [start, end] the most; the nearest turn when none overlaps."""
    if not turns:
        return UNKNOWN_SPEAKER
    overlap: dict[str, float] = defaultdict(float)
    i = max(0, bisect.bisect_right(starts, end) - 1)
    j = i
    while j >= 0 and turns[j].start < end + 30.0:  # turns are sorted; look back a bounded distance
        t = turns[j]
        ov = min(end, t.end) - max(start, t.start)
        if ov > 0:
            overlap[t.speaker] += ov
        if t.end < start - 30.0:
            break
        j -= 1
    if overlap:
        return max(overlap.items(), key=lambda kv: kv[1])[0]
    mid = (start + end) / 2
    nearest = min(turns[max(0, i - 1) : i + 2], key=lambda t: min(abs(t.start - mid), abs(t.end - mid)))
    return nearest.speaker


def assign_roles(utterances: list[tuple[str, str, float]], consent: ConsentRecord) -> dict[str, Role]:
    """Map speaker labels to roles from (speaker, text, duration) triples."""
    talk: Counter[str] = Counter()
    questions: Counter[str] = Counter()
    for speaker, text, duration in utterances:
        talk[speaker] += duration
        questions[speaker] += int(is_question(text))
    ranked = [s for s, _ in talk.most_common()]
    roles: dict[str, Role] = {}
    if not ranked:
        return roles
    roles[ranked[0]] = "professional"
    others = ranked[1:]
    if others:
        student = max(others, key=lambda s: (questions[s], talk[s]))
        roles[student] = "student"
    has_guardian = any(p.role == "guardian" for p in consent.participants)
    for s in others:
        roles.setdefault(s, "guardian" if has_guardian else "guest")
    return roles


def attribute_speakers(
    transcript: Transcript, diarization: Diarization, consent: ConsentRecord
) -> AttributedTranscript:
    turns = tuple(sorted(diarization.turns, key=lambda t: t.start))
    starts = [t.start for t in turns]
    words: list[SpokenWord] = []
    pieces: list[tuple[str, int, int]] = []  # speaker, first word, last word
    for sentence in transcript.sentences:
        current: str | None = None
        for w in sentence.words:
            # a piece glued to the word before it ("-ce", "'est", "?") belongs to the same speaker: a turn edge
            # falling inside "est-ce" must not leave "-ce qu'il..." to the other speaker
            glued = current is not None and w.text.strip().startswith(_GLUE_PREFIXES)
            spk = current if glued and current is not None else speaker_for(w.start, w.end, turns, starts)
            words.append(
                SpokenWord(start=w.start, end=w.end, text=w.text, speaker=spk, probability=round(w.probability, 3))
            )
            idx = len(words) - 1
            # a new utterance at each change of speaker and after each full stop: Whisper's segments often hold
            # several sentences ("Moi aussi, je suis d'accord. Tu peux te présenter ?"), and a topic starts at one
            if spk != current or (idx > 0 and words[idx - 1].text.rstrip().endswith(_SENTENCE_END)):
                pieces.append((spk, idx, idx))
                current = spk
            else:
                s, first, _ = pieces[-1]
                pieces[-1] = (s, first, idx)
    texts = [(spk, join_words(w.text for w in words[a : b + 1]), words[b].end - words[a].start) for spk, a, b in pieces]
    roles = assign_roles(texts, consent)
    utterances = tuple(
        Utterance(
            start=words[a].start,
            end=words[b].end,
            speaker=spk,
            role=roles.get(spk, "guest"),
            text=text,
            first_word=a,
            last_word=b,
            is_question=is_question(text),
        )
        for (spk, a, b), (_, text, _) in zip(pieces, texts)
    )
    return AttributedTranscript(words=tuple(words), utterances=utterances, roles=tuple(sorted(roles.items())))
