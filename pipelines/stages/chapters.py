"""Chapters of a call: where its topics change (segment.py), what each is about (topics.py), and its title
(titles.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from vidlib.domain import AttributedTranscript, ChapterSpan, TopicSegment, Utterance
from vidlib.pipelines.stages.cues import closing_start, sentence_start, starts_sentence, without_fillers
from vidlib.pipelines.stages.enrich import keyphrases_of_all, representative_phrases
from vidlib.pipelines.stages.french_words import unknown_words
from vidlib.pipelines.stages.segment import ChapterParams, chapter_cuts, spans_from_cuts
from vidlib.pipelines.stages.titles import TitleParams, confident_text, keyphrase_title, opening_question
from vidlib.pipelines.stages.topics import GREETING, OTHER, TopicClassifier, TopicParams, embedded_once
from vidlib.text import term_set

EmbedFn = Callable[[Sequence[str]], np.ndarray]
ANSWER_CHARS = 1500  # the start of an answer says most about its topic; the rest costs embedding time
TITLE_CANDIDATES = 20  # a chapter's best c-TF-IDF phrases among which its title's two are picked by meaning


@dataclass(frozen=True)
class ChapteringParams:
    segment: ChapterParams = field(default_factory=ChapterParams)
    topics: TopicParams = field(default_factory=TopicParams)
    titles: TitleParams = field(default_factory=TitleParams)


def asked_and_answered(utts: Sequence[Utterance], within_s: float = 25.0) -> tuple[str | None, str]:
    """The question that opens these utterances (the sentence of the first one heard within ``within_s``, raw text: a
    speaker turn may have cut "En quoi consiste votre | métier ?" in two) and the rest. With no question, the first
    sentence of a student's (or a guest's) opening turn stands for it: "Et au niveau du salaire, ça donne..." whose
    last word recognition lost still says what the chapter is about."""
    q = next((i for i, u in enumerate(utts) if u.is_question and u.start - utts[0].start <= within_s), None)
    if q is None and utts and utts[0].role != "professional":
        q = _statement_end(utts)
    asked = range(sentence_start(utts, q), q + 1) if q is not None else range(0)
    question = " ".join(utts[i].text for i in asked) or None
    answer = " ".join(u.text for i, u in enumerate(utts) if i not in asked)
    return question, (answer or question or "")[:ANSWER_CHARS]


def _statement_end(utts: Sequence[Utterance], min_words: int = 4) -> int | None:
    """The last utterance of the first sentence of the opening speaker's turn that says something (``min_words``
    words past its acknowledgements: not "D'accord."), or None."""
    start = 0
    for i in range(len(utts)):
        last_of_turn = i + 1 == len(utts) or utts[i + 1].speaker != utts[i].speaker
        if last_of_turn or starts_sentence(utts, i + 1):
            if len(without_fillers(" ".join(u.text for u in utts[start : i + 1])).split()) >= min_words:
                return i
            start = i + 1
        if last_of_turn:
            return None
    return None


CLOSING_TITLE = "Remerciements et au revoir"
OPENING_TITLE = "Accueil"


def label_and_title(
    attributed: AttributedTranscript,
    spans: Sequence[ChapterSpan],
    classifier: TopicClassifier,
    params: TitleParams = TitleParams(),
    closing: int | None = None,
) -> tuple[ChapterSpan, ...]:
    """Label and title each chapter; the one that starts at utterance ``closing`` (the closing thanks) is
    'accueil', titled as such. Only the first chapter may be labelled 'accueil' otherwise: greetings open and close a
    call, and a chapter between them that reads like one (a question garbled by recognition, "Il a muté ou ? Ça
    vous gêne ?") takes its best other label, so that it is not titled "Accueil" and hidden from search as a
    greeting."""
    utts, words = attributed.utterances, attributed.words
    parts = [utts[s.first_utterance : s.last_utterance + 1] for s in spans]
    pairs = [asked_and_answered(p) for p in parts]
    excluded = [frozenset() if n == 0 else frozenset({GREETING}) for n in range(len(spans))]
    guesses = classifier.classify_many([q for q, _ in pairs], [a for _, a in pairs], excluded)
    texts = [confident_text(words[p[0].first_word : p[-1].last_word + 1], params) for p in parts]
    openings = [opening_question(part, words, params=params) for part in parts]
    # a chapter with no clean opening question is titled by its phrases: the c-TF-IDF candidates, picked by meaning
    by_phrases = [
        i
        for i, (span, guess) in enumerate(zip(spans, guesses))
        if span.first_utterance != closing and guess.topic != GREETING and openings[i] is None
    ]
    candidates = keyphrases_of_all(texts, k=TITLE_CANDIDATES)
    names = [term_set(classifier.taxonomy.name_of(guesses[i].topic)) for i in by_phrases]
    picked = representative_phrases(
        [pairs[i][1] for i in by_phrases],  # the answers the labels were read from: embedded already
        # a phrase that says the topic's name again ("Le salaire : niveau du salaire, ...") or a word that does not
        # exist (misheard: "nuits astrarte") is left out
        [
            [p for p in candidates[i] if not term_set(p) & name and not unknown_words(p)]
            for i, name in zip(by_phrases, names)
        ],
        classifier.embed,
    )
    phrases = dict(zip(by_phrases, picked))
    out = []
    for n, (span, guess, opening) in enumerate(zip(spans, guesses, openings)):
        if span.first_utterance == closing:
            out.append(replace(span, topic=GREETING, topic_confidence=1.0, title=CLOSING_TITLE))
            continue
        name = classifier.taxonomy.name_of(guess.topic) if guess.topic in classifier.taxonomy.labels else None
        if guess.topic == GREETING:  # greetings: their questions ("Vous m'entendez ?") and keyphrases say nothing
            title = OPENING_TITLE
        elif opening:
            title = opening[1]
        else:
            title = keyphrase_title(phrases.get(n, ()), name)
        out.append(replace(span, topic=guess.topic, topic_confidence=guess.confidence, title=title))
    return tuple(out)


def chapters_from_segments(
    attributed: AttributedTranscript,
    segments: Sequence[TopicSegment],
    embed_queries: EmbedFn,
    params: ChapteringParams = ChapteringParams(),
) -> tuple[ChapterSpan, ...]:
    """Chapters of a recording whose clips were planned before chapters existed: one per clip segment, labelled and
    titled, so that its clips and their review decisions stay as they are."""
    spans = tuple(
        ChapterSpan(start=s.start, end=s.end, first_utterance=s.first_utterance, last_utterance=s.last_utterance)
        for s in segments
    )
    classifier = TopicClassifier(embedded_once(embed_queries), params=params.topics)
    return label_and_title(attributed, spans, classifier, params.titles)


def plan_chapters(
    attributed: AttributedTranscript,
    embed_passages: EmbedFn,
    embed_queries: EmbedFn,
    params: ChapteringParams = ChapteringParams(),
    duration_s: float | None = None,
) -> tuple[ChapterSpan, ...]:
    """The chapters of the call, labelled and titled."""
    utts = attributed.utterances
    if not utts:
        return ()
    classifier = TopicClassifier(embedded_once(embed_queries), params=params.topics)
    subjects = classifier.taxonomy.subjects_named
    spans = spans_from_cuts(utts, chapter_cuts(attributed, embed_passages, params.segment, duration_s, subjects))
    closing = closing_start(utts, duration_s if duration_s is not None else utts[-1].end)
    labelled = label_and_title(attributed, spans, classifier, params.titles, closing)
    segment = params.segment
    longest = min(segment.merge_max_share * segment.typical_s(duration_s or utts[-1].end), segment.max_s)
    merged = same_topic_merged(labelled, longest)
    if len(merged) == len(labelled):
        return labelled
    return label_and_title(attributed, merged, classifier, params.titles, closing)


def same_topic_merged(chapters: Sequence[ChapterSpan], longest_s: float) -> tuple[ChapterSpan, ...]:
    """Neighbouring chapters with the same career topic as one chapter, when it lasts at most ``longest_s``: a topic
    goes on across a follow-up the segmentation took for a new subject ("Vos horaires ..." then "Les nuits ..."),
    while two chapters that would make one much longer than the call's typical topic are more likely two topics
    under one wrong label. A chapter the classifier abstained on ("autre") and the greetings stay apart."""
    out: list[ChapterSpan] = []
    for chapter in chapters:
        last = out[-1] if out else None
        if (
            last is not None
            and chapter.topic == last.topic
            and chapter.topic not in (OTHER, GREETING)
            and chapter.end - last.start <= longest_s
        ):
            out[-1] = replace(last, end=chapter.end, last_utterance=chapter.last_utterance)
        else:
            out.append(chapter)
    return tuple(out)
