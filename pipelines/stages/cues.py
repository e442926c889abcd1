"""Boundary cues over the utterances of an attributed transcript, each a score per candidate utterance start.

* question cue: a question (found from its words, ``attribute.is_question``) opens a topic, placed where the
  asking sentence starts. Whoever asks counts the same, so a diarisation mix-up does not erase the structure
  (weighting the professional's questions down measured no better on the annotated calls). A follow-up ("Même la
  nuit ?", "Et vous, ... ?") is a weak cue; so is a question right after a short reply, and one that puts forward a
  thing that is no career subject ("Et les parents, ils le vivent comment ?"). A student's turn in no question form
  that the professional answers at length is a question asked by intonation; a full one when it names a career
  subject not heard in the minute before ("Et au niveau du salaire, ça donne..." with its last word lost).
* content shift: how far the meaning of the talk after a candidate moves from the talk before it (e5 vectors of
  the utterances, averaged over a time window on each side, weighted by duration).
* pause: the silence before the candidate.
* joining: the first words of a speaker who was not heard in the first minutes (someone joins the call).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vidlib.domain import Utterance
from vidlib.pipelines.stages.attribute import without_leading_marks


@dataclass(frozen=True)
class QuestionWeights:
    question: float = 1.0
    follow_up: float = 0.2
    long_answer_s: float = 8.0  # answer talk before a question that makes it a full-strength cue
    # a turn of the student (or a guest) in no question form that the professional answers at length: often a
    # question asked by intonation alone ("Tu as fait des études d'informatique.")
    prompting_turn: float = 0.4
    # a prompting turn that names a career subject nobody named in the ``recent_s`` before it ("Et au niveau du
    # salaire, ça donne..." with its last word lost) asks as a question does
    new_subject_turn: float = 1.0
    recent_s: float = 60.0  # 30, 60 and 120 s measured alike


# the career subjects a text names: labels of the taxonomy whose keywords it says (topics.Taxonomy.subjects_named)
SubjectsFn = Callable[[str], frozenset[str]]


# a determiner that puts a thing forward ("Et les parents, ...", "Mais l'intelligence artificielle, ..."); not the
# connectives that start like one ("du coup", "des fois") nor an announcement ("Et une dernière question, ...")
_PUTS_FORWARD = (
    r"(?!du coup\b|des fois\b|(?:la|une) (?:\w+ )?question\b)"
    r"(?:le|la|les|l'|un|une|des|du|ce|cet|cette|ces|mon|ma|mes|ton|ta|tes|son|sa|ses|votre|vos)\b"
)
_FOLLOW_UP = re.compile(
    # "mais" as "et": a follow-up, unless a thing is put forward ("Mais l'intelligence artificielle, est-ce que ...",
    # which recognition may hear for "Et l'intelligence artificielle, ...")
    r"^(?:même|mais(?![\s,]+" + _PUTS_FORWARD + r")|donc|du coup|ah bon|vraiment|"
    r"c'est-à-dire|pourquoi ça|comment ça|genre|et ça|et là|"
    r"et (?:vous|toi|eux|lui|elle|ils|elles|c'est|ça|il|on|après)\b)",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"^(?:(?:ok|okay|d'accord|ah|oh|euh|bon|bah|ben|super|génial|oui|ouais|très bien|je vois|"
    r"c'est drôle|c'est fou|ça a l'air [\w ]+?|waouh|trop bien)[\s,.!]*)+",
    re.IGNORECASE,
)
_TERMINAL = (".", "?", "!", "…", ":")
# questions about the call itself (consent to the recording, hearing each other): part of the greetings, no topic
_CALL_SETUP = re.compile(
    r"\b(?:accord|consen\w*|enregistr\w*|m'entend\w*|m'entends|nous entend\w*|me vo(?:is|yez)|le son|micro|"
    r"l'appel(?! d'offres?)|la plateforme)\b",
    re.IGNORECASE,
)


_ASKING = re.compile(
    r"(?<![\w'])(?:est[- ]ce|qu'est[- ]ce|comment|pourquoi|combien|quel(?:le)?s?|tu peux|vous pouvez|c'est quoi)\b",
    re.IGNORECASE,
)


def about_the_call(sentence: str) -> bool:
    """Whether the question asks about the call itself ("Vous confirmez votre accord ?", "Tu m'entends ?"); only
    what follows its last asking words counts: "Moi aussi je suis d'accord, est-ce que vous pouvez vous présenter ?"
    asks about the job."""
    asked = _ASKING.split(sentence.replace("’", "'"))[-1]
    return bool(_CALL_SETUP.search(asked))


def without_fillers(text: str) -> str:
    """``text`` without the marks and the acknowledgements before it ("– Ok, d'accord. Et ..." -> "Et ...")."""
    return _FILLER.sub("", without_leading_marks(text.strip().replace("’", "'")))


def is_follow_up(text: str) -> bool:
    """A short or anaphoric question that continues the current subject ("Même la nuit ?", "Et les drones, vous en
    utilisez ?"). "Et le salaire ?" is anaphoric too: the content-shift cue tells a new subject apart."""
    stripped = without_fillers(text)
    return len(stripped.split()) <= 3 or bool(_FOLLOW_UP.match(stripped))


_PUT_FORWARD = re.compile(r"^(?:et|mais)[\s,]+(" + _PUTS_FORWARD + r"[^,?]{1,40}),", re.IGNORECASE)


def is_aside(text: str, subjects: SubjectsFn) -> bool:
    """A question that puts forward a thing that is no career subject, to ask about it within the current topic ("Et
    les parents, ils le vivent comment ?", "Et les jeunes, eux, ils utilisent l'IA ?"); one that puts forward a
    subject opens it ("Et vos horaires, ils sont comment ?")."""
    put = _PUT_FORWARD.match(without_fillers(text))
    return put is not None and not subjects(put.group(1))


def new_subject(utts: Sequence[Utterance], first: int, last: int, subjects: SubjectsFn, recent_s: float) -> bool:
    """Whether utterances ``first..last`` name a career subject that nobody named in the ``recent_s`` before them."""
    named = subjects(" ".join(u.text for u in utts[first : last + 1]))
    if not named:
        return False
    since = utts[first].start - recent_s
    heard = subjects(" ".join(u.text for u in utts[:first] if u.end >= since))
    return bool(named - heard)


def turn_starts(utts: Sequence[Utterance]) -> list[int]:
    """Index of the first utterance of the speaker run that contains each utterance."""
    starts: list[int] = []
    for i, u in enumerate(utts):
        starts.append(starts[-1] if i and utts[i - 1].speaker == u.speaker else i)
    return starts


def lead_in_start(utts: Sequence[Utterance], i: int, turn_start: int, max_words: int = 3) -> int:
    """Where the question in utterance ``i`` starts being heard: the start of its sentence (a diarisation edge may
    have cut "En quoi consiste votre | métier ?" in two), then back over the short acknowledgements ("Ah d'accord.",
    "Ok.") right before it in the same turn; not over a full sentence or a question."""
    at = sentence_start(utts, i)
    while at > turn_start and not utts[at - 1].is_question and len(utts[at - 1].text.split()) <= max_words:
        at -= 1
    return at


def starts_sentence(utts: Sequence[Utterance], i: int, min_gap_s: float = 0.25) -> bool:
    """Whether utterance ``i`` (> 0) starts a sentence: the one before it ends on a full stop or a question mark, or a
    pause comes first. A boundary placed elsewhere would start a chapter or a clip mid-sentence."""
    return utts[i - 1].text.rstrip().endswith(_TERMINAL) or utts[i].start - utts[i - 1].end >= min_gap_s


def sentence_start(utts: Sequence[Utterance], i: int) -> int:
    """The first utterance of the sentence that utterance ``i`` ends (pieces of one sentence cut by speaker turns)."""
    at = i
    while at > 0 and not starts_sentence(utts, at):
        at -= 1
    return at


def sentence_starts(utts: Sequence[Utterance]) -> np.ndarray:
    """``starts_sentence`` of every utterance (the first one: False, no boundary goes before it)."""
    return np.array([i > 0 and starts_sentence(utts, i) for i in range(len(utts))], dtype=bool)


def question_cues(
    utts: Sequence[Utterance], weights: QuestionWeights = QuestionWeights(), subjects: SubjectsFn | None = None
) -> np.ndarray:
    """Score each question, placed where the asking turn starts (before its short acknowledgements).

    The cue grows with the talk since the last opening question: ``weights.question`` once they
    have talked ``long_answer_s``, down towards ``follow_up`` right after a short reply. A follow-up always scores
    ``follow_up`` and does not reset the talk count. With ``subjects`` (what the taxonomy calls career subjects), an
    aside (``is_aside``) is a follow-up, and a prompting turn that names a new subject scores ``question``."""
    cues = np.zeros(len(utts))
    starts = turn_starts(utts)
    talk_since_topic = 0.0
    for i, u in enumerate(utts):
        if not u.is_question:
            talk_since_topic += u.end - u.start
            continue
        at = lead_in_start(utts, i, starts[i])
        if at == 0:
            continue
        sentence = " ".join(x.text for x in utts[sentence_start(utts, i) : i + 1])
        if about_the_call(sentence):
            continue
        if is_follow_up(sentence) or (subjects is not None and is_aside(sentence, subjects)):
            weight = weights.follow_up
        else:
            share = min(talk_since_topic / weights.long_answer_s, 1.0) if weights.long_answer_s > 0 else 1.0
            weight = weights.follow_up + (weights.question - weights.follow_up) * share
            talk_since_topic = 0.0
        cues[at] = max(cues[at], weight)
    for at, last, answer_s in prompting_turns(utts, starts):
        if answer_s >= weights.long_answer_s and cues[at] == 0.0:
            opens = subjects is not None and new_subject(utts, at, last, subjects, weights.recent_s)
            cues[at] = weights.new_subject_turn if opens else weights.prompting_turn
    return cues


def prompting_turns(
    utts: Sequence[Utterance], starts: Sequence[int], min_words: int = 4
) -> list[tuple[int, int, float]]:
    """(first utterance, last utterance, seconds of the professional's talk right after) for each turn of a
    non-professional of at least ``min_words`` words with no question in it."""
    out = []
    i = 0
    while i < len(utts):
        j = i
        while j + 1 < len(utts) and starts[j + 1] == starts[i]:
            j += 1
        turn = utts[i : j + 1]
        if (
            i > 0
            and turn[0].role != "professional"
            and not any(u.is_question for u in turn)
            and sum(len(u.text.split()) for u in turn) >= min_words
        ):
            k, answer = j + 1, 0.0
            while k < len(utts) and utts[k].role == "professional":
                answer += utts[k].end - utts[k].start
                k += 1
            out.append((i, j, answer))
        i = j + 1
    return out


def window_means(utts: Sequence[Utterance], vectors: np.ndarray, window_s: float) -> tuple[np.ndarray, np.ndarray]:
    """For each utterance start, the duration-weighted mean vector of the utterances heard within ``window_s`` before
    it and of those starting within ``window_s`` from it (at least one utterance each side)."""
    n = len(utts)
    starts = np.array([u.start for u in utts])
    ends = np.maximum.accumulate(np.array([u.end for u in utts]))
    weights = np.array([max(u.end - u.start, 0.2) for u in utts])[:, None]
    cum = np.vstack([np.zeros((1, vectors.shape[1])), np.cumsum(vectors * weights, axis=0)])
    wcum = np.concatenate([[0.0], np.cumsum(weights[:, 0])])
    left, right = np.zeros_like(vectors), np.zeros_like(vectors)
    for i in range(n):
        a = min(int(np.searchsorted(ends, starts[i] - window_s, side="right")), max(i - 1, 0))
        b = max(int(np.searchsorted(starts, starts[i] + window_s, side="left")), min(i + 1, n))
        if i > a:
            left[i] = (cum[i] - cum[a]) / (wcum[i] - wcum[a])
        if b > i:
            right[i] = (cum[b] - cum[i]) / (wcum[b] - wcum[i])
    return left, right


def content_shift(utts: Sequence[Utterance], vectors: np.ndarray, window_s: float) -> np.ndarray:
    """How much the talk after each candidate differs from the talk before it, in [0, 1]: the cosine distance of the
    two window means, as a z-score over the call (0 at or below the call's median distance, 1 at 3 deviations
    above). Relative to the call, so that a call whose topics are all close still shows its shifts."""
    n = len(utts)
    if n < 3:
        return np.zeros(n)
    left, right = window_means(utts, vectors, window_s)
    norms = np.linalg.norm(left, axis=1) * np.linalg.norm(right, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        dist = 1.0 - np.where(norms > 0, np.sum(left * right, axis=1) / np.where(norms > 0, norms, 1.0), 1.0)
    dist[0] = 0.0
    inner = dist[1:]
    med, sd = float(np.median(inner)), float(np.std(inner)) or 1.0
    return np.clip((dist - med) / (3.0 * sd), 0.0, 1.0)


_THANKS = re.compile(
    r"\b(?:merci (?:beaucoup|infiniment|encore|pour|à vous|à toi|d'avoir)|au revoir|bonne (?:journée|soirée|"
    r"continuation)|bon courage|à bientôt)",
    re.IGNORECASE,
)


def closing_start(
    utts: Sequence[Utterance], duration_s: float, zone_share: float = 0.08, zone_min_s: float = 30.0
) -> int | None:
    """The utterance where the call's closing thanks start: the first sentence of thanks or goodbye in the last
    ``zone_share`` of the call (at least ``zone_min_s``) after which nobody asks a question any more."""
    zone = duration_s - max(zone_share * duration_s, zone_min_s)
    found = None
    for i in range(len(utts) - 1, 0, -1):
        u = utts[i]
        if u.start < zone:
            break
        if u.is_question:
            break
        if _THANKS.search(u.text.replace("’", "'")) and sentence_start(utts, i) == i:
            found = i
    return found


def pause_cues(utts: Sequence[Utterance], full_s: float = 2.0) -> np.ndarray:
    cues = np.zeros(len(utts))
    for i in range(1, len(utts)):
        cues[i] = min(max(utts[i].start - utts[i - 1].end, 0.0) / full_s, 1.0)
    return cues


def joining_cues(utts: Sequence[Utterance], settled_s: float = 120.0) -> np.ndarray:
    """1 at the first utterance of a speaker first heard after ``settled_s`` (a participant joins), else 0."""
    cues = np.zeros(len(utts))
    seen: set[str] = set()
    for i, u in enumerate(utts):
        if u.speaker not in seen:
            seen.add(u.speaker)
            if i and u.start >= settled_s:
                cues[i] = 1.0
    return cues
