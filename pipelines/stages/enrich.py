"""Per-clip title, keyphrases and career-topic label (the clip's chapter's)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from vidlib.domain import AttributedTranscript, ChapterSpan, ClipEnrichment, ClipSpec
from vidlib.pipelines.stages.french_words import unknown_words
from vidlib.pipelines.stages.titles import TitleParams, confident_text, keyphrase_title, opening_question
from vidlib.pipelines.stages.topics import topic_label
from vidlib.text import is_stop, stem, words

_PIECES = re.compile(r"[.?!…,;:]+")


def candidate_phrases(text: str, max_n: int = 3) -> Counter[str]:
    """Word n-grams that neither start nor end with a stop word, counted by stemmed key."""
    counts: Counter[str] = Counter()
    surface: dict[str, str] = {}
    for piece in _PIECES.split(text):  # a phrase never runs across a sentence or a comma
        toks = words(piece)
        for n in range(1, max_n + 1):
            for i in range(len(toks) - n + 1):
                gram = toks[i : i + n]
                if (
                    is_stop(gram[0])
                    or is_stop(gram[-1])
                    or any(len(t) < 3 and not t.isupper() for t in (gram[0], gram[-1]))
                ):
                    continue
                key = " ".join(stem(t) for t in gram)
                counts[key] += 1
                surface.setdefault(key, " ".join(gram))
    return Counter({surface[k]: c for k, c in counts.items()})


def keyphrases(text: str, corpus: Sequence[str], k: int = 6) -> tuple[str, ...]:
    """c-TF-IDF over the recording's clips: phrases frequent here and rare in the other clips."""
    others = [candidate_phrases(t) for t in corpus]
    return _pick(candidate_phrases(text), lambda phrase: sum(1 for o in others if phrase in o), len(others), k)


def keyphrases_of_all(texts: Sequence[str], k: int = 6) -> list[tuple[str, ...]]:
    """``keyphrases(texts[i], every other text)`` for each i, finding each text's phrases once: linear in the number
    of clips, where calling ``keyphrases`` per clip is quadratic (minutes on a 2-hour call)."""
    candidates = [candidate_phrases(t) for t in texts]
    df = Counter(phrase for c in candidates for phrase in c)
    return [_pick(c, lambda phrase: df[phrase] - 1, len(texts) - 1, k) for c in candidates]


def representative_phrases(
    texts: Sequence[str],
    candidates: Sequence[Sequence[str]],
    embed: Callable[[Sequence[str]], np.ndarray],
    k: int = 2,
    diversity: float = 0.3,
    min_chars: int = 4,
) -> list[tuple[str, ...]]:
    """For each text, the ``k`` of its candidate phrases (of ``min_chars`` or more) closest in meaning to it, each
    next one also far from those already picked (maximal marginal relevance, ``diversity`` the weight of that
    distance). c-TF-IDF finds the words a chapter says more than the others, often frequent ones that say little
    ("jeune", "vois"); the chapter's meaning (e5 vectors: ``embed`` maps texts to unit vectors) picks among them
    ("revue de code", "matin au tribunal"). One call of ``embed`` for all texts and phrases."""
    kept = [[p for p in dict.fromkeys(c) if len(p) >= min_chars] for c in candidates]
    unique = list(dict.fromkeys(p for c in kept for p in c))
    if not unique:
        return [() for _ in texts]
    vectors = embed([*texts, *unique])
    of_phrase = dict(zip(unique, vectors[len(texts) :]))
    out = []
    for text_vector, phrases in zip(vectors[: len(texts)], kept):
        if not phrases:
            out.append(())
            continue
        pv = np.array([of_phrase[p] for p in phrases])
        near = pv @ text_vector
        picked: list[int] = []
        while len(picked) < min(k, len(phrases)):
            overlap = (pv @ pv[picked].T).max(axis=1) if picked else np.zeros(len(phrases))
            score = (1 - diversity) * near - diversity * overlap
            score[picked] = -np.inf
            picked.append(int(np.argmax(score)))
        out.append(tuple(phrases[i] for i in picked))
    return out


def _pick(here: Counter[str], others_with: Callable[[str], int], n_others: int, k: int) -> tuple[str, ...]:
    scored = []
    for phrase, tf in here.items():
        idf = math.log((1 + n_others) / (1 + others_with(phrase))) + 1
        scored.append((tf * idf * (1 + 0.5 * (phrase.count(" "))), phrase))
    picked: list[str] = []
    for _, phrase in sorted(scored, reverse=True):
        if any(phrase in p or p in phrase for p in picked):
            continue
        picked.append(phrase)
        if len(picked) == k:
            break
    return tuple(picked)


def enrich_clips(
    clips: Sequence[ClipSpec],
    attributed: AttributedTranscript,
    chapters: Sequence[ChapterSpan],
    params: TitleParams = TitleParams(),
) -> tuple[ClipEnrichment, ...]:
    """Title, keyphrases and topic of each clip. The first clip of a chapter takes the chapter's title; another clip
    its own opening question (cleaned, confidently recognised), else its topic's name and its keyphrases. Every clip
    carries its chapter's topic: a chapter is one topic."""
    if not clips:
        return ()
    utts, words = attributed.utterances, attributed.words
    parts = [utts[c.first_utterance : c.last_utterance + 1] for c in clips]
    texts = [confident_text(words[p[0].first_word : p[-1].last_word + 1], params) for p in parts]
    all_phrases = keyphrases_of_all(texts)
    out = []
    for i, clip in enumerate(clips):
        chapter = chapters[clip.chapter] if clip.chapter < len(chapters) else None
        topic = chapter.topic if chapter else "autre"
        first_of_chapter = chapter is not None and clip.first_utterance == chapter.first_utterance
        opening = None if first_of_chapter else opening_question(parts[i], words, params=params)
        if first_of_chapter and chapter is not None and chapter.title:
            title = chapter.title
        elif opening is not None:
            title = opening[1]
        else:
            heard = [p for p in all_phrases[i] if not unknown_words(p)]  # no misheard word in a title
            title = keyphrase_title(heard, topic_label(topic) if topic != "autre" else None)
        out.append(
            ClipEnrichment(clip.clip_id, title, all_phrases[i], topic, chapter.topic_confidence if chapter else 0.0)
        )
    return tuple(out)
