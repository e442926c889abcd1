"""Per-clip title, keyphrases and career-topic label."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from search_api.text import is_stop, stem, words
from vidlib.domain import AttributedTranscript, ClipEnrichment, ClipSpec, Utterance

EmbedFn = Callable[[Sequence[str]], np.ndarray]

# Career-topic taxonomy: label -> a French description used as the label's prototype text.
TOPICS: dict[str, str] = {
    "missions": "les missions du métier, ce que je fais concrètement au quotidien, mes tâches, mes activités, en quoi "
    "consiste le travail, je m'occupe de, je prépare, je fabrique, je reçois les clients",
    "journee_type": "une journée type, le déroulement de ma journée, le matin, l'après-midi, les réunions",
    "horaires": "les horaires de travail, travailler la nuit, le week-end, les gardes, le temps de travail",
    "ce_qu_on_aime": "ce que j'aime dans ce métier, ce qui me plaît, la satisfaction, la passion",
    "difficultes": "les difficultés du métier, ce qui est dur, le stress, la fatigue, les contraintes",
    "parcours_etudes": "mon parcours, les études, les diplômes, l'école, l'université, la licence, le master, le BTS, la "
    "formation, la reconversion, comment je suis arrivé à ce métier",
    "evolution": "l'évolution de carrière, les perspectives, devenir responsable, changer de poste",
    "salaire": "le salaire, la rémunération, combien on gagne, payé, les revenus",
    "ia_et_metier": "l'intelligence artificielle et le métier, l'IA va-t-elle remplacer mon travail, les logiciels d'IA, "
    "ChatGPT, l'avenir du métier face à l'IA",
    "femmes_secteur": "les femmes dans le secteur, être une fille dans ce métier, la parité, l'égalité",
    "conseils": "des conseils pour les jeunes, ce que je te conseille, comment commencer, les stages",
    "presentation": "se présenter, qui je suis, mon poste, mon entreprise, mon métier en quelques mots",
    "accueil": "bonjour, merci d'avoir accepté, l'enregistrement, on commence, au revoir, merci beaucoup",
}
_FILLERS = re.compile(r"^(?:(?:et|alors|ok|okay|d'accord|ah|oh|euh|bon|bah|ben|super|génial|merci|oui|ouais|très bien|je vois)[\s,.!]*)+", re.IGNORECASE)
MAX_TITLE_CHARS = 90


def question_title(utts: Sequence[Utterance]) -> str | None:
    """The non-professional question that opens the clip (within its first utterances), tidied up."""
    for u in utts[:4]:
        if u.role != "professional" and u.is_question:
            text = _FILLERS.sub("", u.text.strip()).strip()
            if len(text) < 6:
                continue
            text = text[0].upper() + text[1:]
            return text if len(text) <= MAX_TITLE_CHARS else text[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
        if u.role == "professional" and u.end - utts[0].start > 20:
            break
    return None


def candidate_phrases(text: str, max_n: int = 3) -> Counter[str]:
    """Word n-grams that neither start nor end with a stop word, counted by stemmed key."""
    toks = words(text)
    counts: Counter[str] = Counter()
    surface: dict[str, str] = {}
    for n in range(1, max_n + 1):
        for i in range(len(toks) - n + 1):
            gram = toks[i : i + n]
            if is_stop(gram[0]) or is_stop(gram[-1]) or any(len(t) < 3 and not t.isupper() for t in (gram[0], gram[-1])):
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


def label_topic(clip_vector: np.ndarray, topic_vectors: np.ndarray, labels: Sequence[str]) -> tuple[str, float]:
    """Nearest taxonomy label by cosine; confidence = softmax over labels (temperature 0.02)."""
    sims = topic_vectors @ clip_vector
    probs = np.exp((sims - sims.max()) / 0.02)
    probs /= probs.sum()
    best = int(np.argmax(sims))
    return labels[best], float(probs[best])


def enrich_clips(
    clips: Sequence[ClipSpec],
    attributed: AttributedTranscript,
    embed_passages: EmbedFn,
    embed_queries: EmbedFn,
) -> tuple[ClipEnrichment, ...]:
    utts = attributed.utterances
    texts = [" ".join(u.text for u in utts[c.first_utterance : c.last_utterance + 1]) for c in clips]
    if not clips:
        return ()
    clip_vecs = embed_passages(texts)
    labels = list(TOPICS)
    topic_vecs = embed_queries([TOPICS[label] for label in labels])
    out = []
    all_phrases = keyphrases_of_all(texts)
    for i, clip in enumerate(clips):
        phrases = all_phrases[i]
        title = question_title(utts[clip.first_utterance : clip.last_utterance + 1])
        if title is None:
            title = (phrases[0][0].upper() + phrases[0][1:]) if phrases else texts[i]
            title = title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
        topic, conf = label_topic(clip_vecs[i], topic_vecs, labels)
        out.append(ClipEnrichment(clip.clip_id, title, phrases, topic, round(conf, 3)))
    return tuple(out)
