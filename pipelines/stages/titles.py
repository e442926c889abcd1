"""Readable titles for chapters and clips.

A title is the opening question, cleaned: fillers and discourse openers removed ("Alors, euh, pour commencer"),
an agreement run into the question dropped ("moi aussi je suis d'accord est-ce que..."),
restarts collapsed ("est-ce que est-ce que"), a broken leading fragment dropped ("-ce qu'il..."), only the asking
sentence kept, capitalised, "?" at the end. A question resting on words the recogniser was unsure of (``min_word``,
``min_mean`` probability) is not used: the title falls back to the topic's name and the keyphrases, made of
confident words only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vidlib.domain import SpokenWord, Utterance
from vidlib.pipelines.stages.cues import sentence_start
from vidlib.text import is_stop
from vidlib.wording import join_words

MAX_TITLE_CHARS = 90
_OPENER = re.compile(
    r"^(?:(?:et|alors|mais|donc|ok|okay|d'accord|ah|oh|euh|heu|hum|bon|bah|ben|super|génial|merci|oui|ouais|"
    r"bonjour|bonsoir|salut|"
    r"très bien|je vois|pour commencer|pour finir|pour terminer|enfin|sinon|du coup|en fait|dernière question|"
    r"autre question|j'ai une question|une question|c'est drôle|c'est intéressant|ça a l'air \w+|"
    r"est-ce que je peux vous demander|est-ce que je peux te demander|je voulais savoir|je voudrais savoir|"
    r"j'aimerais savoir|"
    r"(?!comment\b)\w+ment(?=\s*,))(?![\w'’])[\s,.!:;…-]*)+",  # whole words: "Bonjour" is not "bon" + "jour";
    # an adverb set apart by a comma ("Concrètement, ...", "Franchement, ...", or misheard: "Prêtement, ...")
    re.IGNORECASE,
)
_FILLER_WORD = re.compile(r"(?<![\w'-])(?:euh|heu|hum|hmm|bah|ben)(?![\w'-])[,]?\s*", re.IGNORECASE)
_RESTART = re.compile(r"(?<![\w'-])((?:[\w'-]+\s+){0,2}[\w'-]+)(?:\s*,?\s+\1)+(?![\w'-])", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.?!…]+[.?!…]*")
_INTERROGATIVE = re.compile(
    r"(?<![\w'])(?:est[- ]ce|qu'est[- ]ce|pourquoi|combien|comment|quel(?:le)?s?|\w+-(?:t-)?(?:vous|tu|il|elle|on))\b",
    re.IGNORECASE,
)

# agreeing before asking, run into the question with no stop between ("Bien sûr bien moi aussi je suis d'accord
# est-ce que vous pouvez vous présenter ?"): what comes before the question's "est-ce" is no part of it
_AGREEING = re.compile(
    r"(?<![\w'])(?:d'accord|bien sûr|merci|ok|okay|oui|ouais|parfait|super|très bien|entendu)(?![\w'])",
    re.IGNORECASE,
)
_CLAUSE_QUESTION = re.compile(r"(?<![\w'])(?:qu')?est-ce\b", re.IGNORECASE)


# a question that stops on a word that cannot end one ("Qu'est-ce que vous aimez le plus dans ce ?", "Qu'est-ce
# qu'il a le ?"): the recogniser lost its end, so the title falls back to the chapter's keyphrases
_DANGLING = re.compile(
    r"(?<![\w'-])(?:le|la|les|l'|un|une|des|du|de|d'|ce|cet|cette|ces|mon|ma|mes|ton|ta|tes|son|sa|ses|notre|votre|"
    r"leur|leurs|dans|pour|avec|sur|sous|par|à|au|aux|et|ou|mais|qu'|très)\s*[?!]?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TitleParams:
    min_word: float = 0.35  # a content word recognised with less probability makes the question unusable
    min_mean: float = 0.7  # so does a mean word probability below this
    min_words: int = 2


def clean_question(text: str) -> str | None:
    """The asking sentence of ``text``, tidied for a title; None when too little is left."""
    text = re.sub(r"\s+", " ", text.replace("’", "'")).strip()
    text = re.sub(r"(?<![\w'])(est|qu'est) ce\b", r"\1-ce", text, flags=re.IGNORECASE)  # Whisper drops the hyphen
    sentences = [s.strip() for s in _SENTENCE.findall(text) if s.strip()]
    asking = [s for s in sentences if s.endswith("?")]
    text = asking[0] if asking else (sentences[-1] if sentences else text)
    text = re.sub(r"^[–—«»\"“”…•*]+\s*", "", text)  # the dash or quote Whisper put before a turn
    if re.match(r"-ce\b", text):  # "Est" went to the sentence before: "-ce qu'il..."
        text = "Est" + text
    elif text[:1] in ("-", "'"):  # another broken start: drop the fragment
        text = re.sub(r"^[-']\S*\s*", "", text)
    text = _FILLER_WORD.sub("", text)
    for _ in range(3):
        text = _RESTART.sub(r"\1", text)
    text = _OPENER.sub("", text).strip(" ,;:-")
    asked = _CLAUSE_QUESTION.search(text)
    if asked and _AGREEING.search(text[: asked.start()]):
        text = text[asked.start() :]
    text = re.sub(r"\s*([?!])\s*$", r"\1", text).rstrip(" .,;:")
    if len(text.rstrip("?!").split()) < TitleParams.min_words or _DANGLING.search(text):
        return None
    text = re.sub(r"\s*\?$", " ?", text if text.endswith("?") else text + " ?")
    text = text[0].upper() + text[1:]
    return shorten(text)


def shorten(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def confident(words: Sequence[SpokenWord], params: TitleParams = TitleParams()) -> bool:
    """Whether the recogniser was sure enough of these words to show them as a title."""
    if not words:
        return False
    probs = [w.probability for w in words]
    content = [w.probability for w in words if len(w.text.strip(".,?!'-")) >= 3 and not is_stop(w.text.lower())]
    return sum(probs) / len(probs) >= params.min_mean and min(content, default=1.0) >= params.min_word


def opening_question(
    utts: Sequence[Utterance],
    words: Sequence[SpokenWord],
    *,
    within_s: float = 25.0,
    params: TitleParams = TitleParams(),
) -> tuple[int, str] | None:
    """(index in ``utts``, cleaned text) of the question that opens these utterances: the first question heard
    within ``within_s`` of their start, when it is clean and confidently recognised (a later follow-up does not
    stand in for it: it would title the topic by a detail)."""
    for i, u in enumerate(utts):
        if u.start - utts[0].start > within_s:
            break
        if not u.is_question:
            continue
        # the whole sentence, when a speaker turn cut it ("En quoi consiste votre | métier au quotidien ?")
        first = sentence_start(utts, i)
        text = " ".join(x.text for x in utts[first : i + 1])
        if not text.rstrip().endswith("?") and len(text.split()) > 12 and not _INTERROGATIVE.search(text):
            return None  # a long sentence with no question word is rather an answer ("Tu peux commencer par...")
        cleaned = clean_question(text)
        if cleaned is None or not confident(words[utts[first].first_word : u.last_word + 1], params):
            return None
        return i, cleaned
    return None


def keyphrase_title(phrases: Sequence[str], topic_name: str | None) -> str:
    """'<topic> : <phrase>, <phrase>' (or the phrases alone when the topic is unknown)."""
    picked = [p for p in phrases if len(p) >= 4][:2]
    body = ", ".join(picked)
    if topic_name and body:
        return shorten(f"{topic_name} : {body}")
    if body:
        return shorten(body[0].upper() + body[1:])
    return topic_name or "Extrait"


def confident_text(words: Sequence[SpokenWord], params: TitleParams = TitleParams()) -> str:
    """The words' text with each unsure content word replaced by a break ('.'), so no keyphrase is built on it."""
    out = []
    for w in words:
        unsure = w.probability < params.min_word and len(w.text.strip(".,?!'-")) >= 3
        out.append(" ." if unsure else w.text)
    return join_words(out)
