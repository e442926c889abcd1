"""Career-topic labels: the taxonomy (data/topics_fr.json), its French names, and a nearest-examples classifier.

A chapter is labelled from its opening question and from its answer: each label has several example questions and
example answers (written for many jobs); the chapter's question and answer are embedded with e5 and compared with
each label's examples (the mean of the ``top_k`` closest). The two similarities are mixed (``question_share``); each
label whose keywords the question says (the words that name the topic: "conseil", "salaire", "diplôme") gains
``keyword_boost``, because e5-small reads a question's form more than its subject ("Qu'est-ce que vous me
conseilleriez ?" is near "Qu'est-ce que vous préférez ?"). The scores become a distribution over labels (softmax,
``temperature``), and the classifier abstains ("autre") when the best label's probability is below
``min_confidence``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from vidlib.text import fold_accents, keyword_count, words

EmbedFn = Callable[[Sequence[str]], np.ndarray]
OTHER = "autre"
GREETING = "accueil"  # hello, consent to the recording, thanks and goodbye: the call's first and last moments
TAXONOMY_FILE = Path(__file__).with_name("data") / "topics_fr.json"


@dataclass(frozen=True)
class Taxonomy:
    labels: tuple[str, ...]
    names: tuple[str, ...]  # French name of each label, as students read it
    questions: tuple[tuple[str, ...], ...]
    answers: tuple[tuple[str, ...], ...]
    keywords: tuple[tuple[str, ...], ...] = ()

    def keyword_hits(self, text: str) -> np.ndarray:
        """1 for each label one of whose keywords the text says, else 0 (a keyword of 4+ letters matches the words
        it starts; a shorter one, or one of several words, matches whole words)."""
        said = [fold_accents(w) for w in words(text)]
        return np.array([float(any(keyword_count(said, k) for k in group)) for group in self.keywords])

    def subjects_named(self, text: str) -> frozenset[str]:
        """The career subjects the text names: labels, other than the greetings, one of whose keywords it says."""
        if not self.keywords:
            return frozenset()
        return frozenset(label for label, hit in zip(self.labels, self.keyword_hits(text)) if hit and label != GREETING)

    def name_of(self, topic: str) -> str:
        return self.names[self.labels.index(topic)] if topic in self.labels else "Autre"


def embedded_once(embed: EmbedFn) -> EmbedFn:
    """``embed`` that embeds each text once and keeps its vector as long as the returned function lives: a call's
    chapters are labelled again after a merge, and a title picks its phrases by the meaning of the answer its label
    was read from."""
    vectors: dict[str, np.ndarray] = {}

    def run(texts: Sequence[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in vectors]
        if todo:
            vectors.update(zip(todo, embed(todo)))
        return np.array([vectors[t] for t in texts]) if texts else embed(texts)

    return run


@lru_cache(maxsize=4)
def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    raw = json.loads(path.read_text(encoding="utf-8"))["labels"]
    return Taxonomy(
        labels=tuple(raw),
        names=tuple(v["label"] for v in raw.values()),
        questions=tuple(tuple(v["questions"]) for v in raw.values()),
        answers=tuple(tuple(v["answers"]) for v in raw.values()),
        keywords=tuple(tuple(v.get("keywords", ())) for v in raw.values()),
    )


def topic_label(topic: str) -> str:
    """The French name of a topic identifier ("salaire" -> "Le salaire"); "Autre" for an unknown one."""
    return load_taxonomy().name_of(topic)


@dataclass(frozen=True)
class TopicParams:
    question_share: float = 0.5  # weight of the opening question against the answer
    top_k: int = 2
    temperature: float = 0.02
    min_confidence: float = 0.12
    keyword_boost: float = 0.02  # chosen on the four annotated calls together: 0.01 to 0.04 give the same labels


@dataclass(frozen=True)
class TopicGuess:
    topic: str
    confidence: float  # the best label's probability (also when it abstained)


class TopicClassifier:
    """Labels chapters by their nearest taxonomy examples. ``embed`` maps texts to unit vectors (e5 queries: the
    comparison is symmetric, text with text); the examples are embedded once, on first use."""

    def __init__(self, embed: EmbedFn, taxonomy: Taxonomy | None = None, params: TopicParams = TopicParams()) -> None:
        self._embed = embed
        self.taxonomy = taxonomy or load_taxonomy()
        self.params = params
        self._examples: tuple[list[np.ndarray], list[np.ndarray]] | None = None

    @property
    def embed(self) -> EmbedFn:
        """The embedder it compares texts with (titles pick their phrases with it too)."""
        return self._embed

    def _example_vectors(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        if self._examples is None:
            tax = self.taxonomy
            flat = [t for group in (*tax.questions, *tax.answers) for t in group]
            vecs = self._embed(flat)
            out: list[np.ndarray] = []
            at = 0
            for group in (*tax.questions, *tax.answers):
                out.append(vecs[at : at + len(group)])
                at += len(group)
            n = len(tax.labels)
            self._examples = (out[:n], out[n:])
        return self._examples

    def scores_many(self, questions: Sequence[str | None], answers: Sequence[str]) -> np.ndarray:
        """Per (question, answer) pair, each label's similarity to its examples."""
        q_ex, a_ex = self._example_vectors()
        asked = [q for q in questions if q]
        q_vecs = self._embed(asked) if asked else np.zeros((0, 1))
        a_vecs = self._embed(list(answers))
        k = self.params.top_k
        top = lambda v, ex: float(np.mean(np.sort(ex @ v)[-k:]))  # noqa: E731
        out = np.zeros((len(answers), len(self.taxonomy.labels)))
        qi = 0
        for i, q in enumerate(questions):
            a_score = np.array([top(a_vecs[i], ex) for ex in a_ex])
            if q:
                q_score = np.array([top(q_vecs[qi], ex) for ex in q_ex])
                qi += 1
                share = self.params.question_share
                out[i] = share * q_score + (1 - share) * a_score
                if self.params.keyword_boost and self.taxonomy.keywords:
                    out[i] += self.params.keyword_boost * self.taxonomy.keyword_hits(q)
            else:
                out[i] = a_score
        return out

    def classify_questions(self, vectors: np.ndarray) -> list[TopicGuess]:
        """Labels for questions alone (a student's search query), given as unit vectors of the same embedding."""
        q_ex, _ = self._example_vectors()
        k = self.params.top_k
        rows = np.array([[float(np.mean(np.sort(ex @ v)[-k:])) for ex in q_ex] for v in vectors])
        return [self._guess(row) for row in rows]

    def _guess(self, row: np.ndarray, excluded: Collection[str] = ()) -> TopicGuess:
        if excluded:
            row = np.where([label in excluded for label in self.taxonomy.labels], -np.inf, row)
        probs = np.exp((row - row.max()) / self.params.temperature)
        probs /= probs.sum()
        best = int(np.argmax(row))
        conf = float(probs[best])
        return TopicGuess(self.taxonomy.labels[best] if conf >= self.params.min_confidence else OTHER, round(conf, 3))

    def classify_many(
        self,
        questions: Sequence[str | None],
        answers: Sequence[str],
        excluded: Sequence[Collection[str]] = (),
    ) -> list[TopicGuess]:
        """A label per (question, answer) pair; ``excluded[i]``: labels pair ``i`` may not take."""
        if not answers:
            return []
        rows = self.scores_many(questions, answers)
        return [self._guess(row, excluded[i] if i < len(excluded) else ()) for i, row in enumerate(rows)]
