"""Chapters and clips: the cues, the two-level segmentation, titles and topic labels (unit tests with hand-made
transcripts; the real-model tests are in test_chapters_quality.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tests.transcripts import make_transcript
from vidlib.domain import ChapterSpan, SpokenWord
from vidlib.pipelines.stages.chapters import asked_and_answered, label_and_title, same_topic_merged
from vidlib.pipelines.stages.cues import (
    about_the_call,
    closing_start,
    content_shift,
    is_aside,
    is_follow_up,
    joining_cues,
    lead_in_start,
    question_cues,
    sentence_starts,
    turn_starts,
)
from vidlib.pipelines.stages.segment import (
    ChapterParams,
    ClipParams,
    best_cuts,
    chapter_cuts,
    spans_from_cuts,
    split_chapters,
)
from vidlib.pipelines.stages.titles import clean_question, confident, keyphrase_title, opening_question
from vidlib.pipelines.stages.topics import (
    GREETING,
    OTHER,
    Taxonomy,
    TopicClassifier,
    TopicParams,
    embedded_once,
    load_taxonomy,
    topic_label,
)

ANSWER = "je travaille la nuit dans un service de cardiologie avec les patients " * 3


def test_cue_moves_back_over_a_short_acknowledgement_only() -> None:
    att = make_transcript(
        [
            ("professional", "je code des pages et des serveurs pour les restaurants " * 3, 20.0),
            ("student", "Ah d'accord.", 1.0),
            ("student", "Et tu gagnes combien ?", 2.0),
            ("professional", "deux mille euros net par mois au début " * 3, 20.0),
            ("student", "Moi aussi je voudrais faire ça plus tard.", 3.0),
            ("student", "Quelles études faut-il faire ?", 2.0),
        ]
    )
    utts = att.utterances
    starts = turn_starts(utts)
    assert lead_in_start(utts, 2, starts[2]) == 1
    assert lead_in_start(utts, 5, starts[5]) == 5
    cues = question_cues(utts)
    assert cues[1] == 1.0 and cues[2] == 0.0
    assert cues[4] == 0.0 and cues[5] == 1.0


def test_a_question_counts_whoever_asks_it() -> None:
    """A diarisation that gives the student's question to the professional does not erase the cue."""
    lines = [
        ("professional", ANSWER, 20.0),
        ("student", "Quelles études faut-il faire ?", 2.0),
        ("professional", ANSWER, 20.0),
        ("professional", "Quelles études faut-il faire ?", 2.0),
    ]
    cues = question_cues(make_transcript(lines).utterances)
    assert cues[1] == 1.0 and cues[3] == 1.0


def test_a_question_about_the_call_itself_opens_no_chapter() -> None:
    """Consent to the recording and hearing each other belong to the greetings, not to a topic."""
    lines = [
        ("student", "Bonjour maître, je rappelle que l'entretien est enregistré pour la plateforme.", 8.0),
        ("student", "Vous confirmez votre accord ?", 2.0),
        ("professional", "Je confirme, je consens à l'enregistrement.", 4.0),
        ("student", "Vous m'entendez bien ?", 2.0),
        ("professional", ANSWER, 20.0),
        ("student", "Quelles études faut-il faire ?", 2.0),
    ]
    cues = question_cues(make_transcript(lines).utterances)
    assert cues[1] == 0.0 and cues[3] == 0.0 and cues[5] == 1.0
    # consent and the first question in one breath: the question counts
    both = [
        ("professional", ANSWER, 20.0),
        ("student", "Moi aussi je suis d'accord, vous pouvez vous présenter ?", 4.0),
    ]
    assert question_cues(make_transcript(both).utterances)[1] == 1.0
    # the recording's purpose, even with its key word misheard ("enregistré" heard as "logistré")
    assert about_the_call("Bon, l'appel a bien logistré pour la plateforme du lycée, c'est ça ?")
    assert not about_the_call("Et l'appel d'offres, comment ça se passe ?")


def test_a_students_statement_answered_at_length_is_a_question_by_intonation() -> None:
    lines = [
        ("professional", ANSWER, 20.0),
        ("student", "Tu as fait des études d'informatique.", 2.0),
        ("professional", ANSWER, 20.0),
        ("student", "Ok.", 1.0),
        ("professional", ANSWER, 20.0),
    ]
    cues = question_cues(make_transcript(lines).utterances)
    assert cues[1] == 0.4 and cues[3] == 0.0  # "Ok." is too short to ask anything


def test_follow_ups_are_weak_cues() -> None:
    assert is_follow_up("Même la nuit ?") and is_follow_up("Vraiment ?") and is_follow_up("Et vous, vous aimez ça ?")
    assert not is_follow_up("Quelles études faut-il faire pour devenir infirmière ?")
    assert is_follow_up("– Et après, vous pourriez évoluer vers quoi ?")  # a dash before the turn hides nothing
    att = make_transcript(
        [
            ("student", "Bonjour.", 1.0),
            ("professional", ANSWER, 12.0),
            ("student", "Même la nuit ?", 1.0),
            ("professional", "oui souvent", 1.0),
            ("student", "Et le salaire, il est comment ?", 1.5),
        ]
    )
    cues = question_cues(att.utterances)
    assert cues[2] == 0.2
    assert cues[4] == 1.0  # the follow-up did not reset the 12 s of answer


def test_mais_before_a_thing_put_forward_opens_a_subject_as_et_does() -> None:
    assert not is_follow_up("mais l'intelligence artificielle est ce que ça change quelque chose dans votre métier")
    assert is_follow_up("Mais ça ne vous fait pas peur de quitter le terrain ?")


def test_an_aside_about_no_career_subject_is_a_follow_up() -> None:
    subjects = load_taxonomy().subjects_named
    assert is_aside("Et les parents, ils le vivent comment ?", subjects)
    assert is_aside("Et les jeunes eux, ils utilisent l'IA ?", subjects)
    assert not is_aside("Et vos horaires, ils sont comment ?", subjects)
    assert not is_aside("Et une femme sur un chantier, ça se passe comment ?", subjects)
    assert not is_aside("Et tu gagnes combien ?", subjects)  # nothing put forward
    # connectives and announcements start like a thing put forward, and are none
    assert not is_aside("Et une dernière question, quel est votre salaire ?", subjects)
    assert not is_aside("Et du coup, quelles études il faut faire ?", subjects)
    assert not is_aside("Et des fois, vous travaillez le week-end ?", subjects)
    assert is_follow_up("Mais du coup, vous faites quoi le matin ?") and is_follow_up("Mais des fois vous partez ?")
    lines = [
        ("student", "Bonjour.", 1.0),
        ("professional", ANSWER, 12.0),
        ("student", "Et les parents, ils le vivent comment ?", 2.0),
        ("professional", ANSWER, 12.0),
    ]
    utts = make_transcript(lines).utterances
    assert question_cues(utts)[2] == 1.0 and question_cues(utts, subjects=subjects)[2] == 0.2


def test_a_students_statement_that_names_a_new_subject_is_a_full_question() -> None:
    """Recognition lost the last word of "Et au niveau du salaire, ça donne quoi ?": the turn still names the salary,
    which nobody named in the minute before; a turn about the salary while they talk of it stays a weak cue."""
    subjects = load_taxonomy().subjects_named
    lines = [
        ("professional", "après le bac il faut trois ans de formation et des stages " * 3, 20.0),
        ("student", "Et au niveau du salaire, ça donne pouvoir.", 2.0),
        ("professional", "on gagne mille huit cents euros nets par mois au début " * 3, 20.0),
        ("student", "Donc le salaire augmente avec les années.", 2.0),
        ("professional", ANSWER, 20.0),
    ]
    utts = make_transcript(lines).utterances
    assert list(question_cues(utts)[[1, 3]]) == [0.4, 0.4]
    assert list(question_cues(utts, subjects=subjects)[[1, 3]]) == [1.0, 0.4]
    question, _ = asked_and_answered(utts[1:])
    assert question == "Et au niveau du salaire, ça donne pouvoir."  # it stands for the question of its chapter
    assert asked_and_answered(utts[2:])[0] is None  # a chapter the professional opens has none
    acknowledged = make_transcript(
        [("student", "D'accord.", 1.0), ("student", "Et au niveau du salaire, ça donne pouvoir.", 2.0), lines[2]]
    )
    assert asked_and_answered(acknowledged.utterances)[0] == "Et au niveau du salaire, ça donne pouvoir."
    assert asked_and_answered(make_transcript([("student", "D'accord.", 1.0), lines[2]]).utterances)[0] is None


def test_boundaries_fall_at_sentence_starts_only() -> None:
    att = make_transcript(
        [
            ("professional", "Je suis infirmière et", 3.0),
            ("professional", "je travaille.", 3.0),
            ("student", "D'accord.", 1.0),
        ],
        pause=0.0,
    )
    assert list(sentence_starts(att.utterances)) == [False, False, True]


def test_content_shift_peaks_where_the_subject_changes() -> None:
    att = make_transcript([("professional", f"phrase {i}", 6.0) for i in range(12)], pause=0.0)
    vecs = np.array([np.eye(4)[0] if i < 6 else np.eye(4)[1] for i in range(12)]) + 0.05
    shift = content_shift(att.utterances, vecs, window_s=15.0)
    assert int(np.argmax(shift)) == 6 and shift[6] == 1.0
    assert content_shift(att.utterances, np.ones((12, 4)), 15.0).max() == 0.0


def test_best_cuts_respect_the_length_bounds_even_with_strong_cues() -> None:
    att = make_transcript([("professional", "a b c.", 5.0), ("student", "Quoi ?", 1.0)] * 6)
    utts = att.utterances
    cuts = best_cuts(utts, np.full(len(utts), 5.0), np.ones(len(utts), bool), min_s=15, max_s=60, cost=0.5)
    edges = [0, *cuts, len(utts)]
    assert cuts
    for a, b in zip(edges, edges[1:]):
        assert 15 <= utts[b - 1].end - utts[a].start <= 60


def test_the_opening_may_be_shorter_than_the_other_chapters() -> None:
    lines = [("student", "Bonjour, merci.", 3.0), ("professional", "Avec plaisir.", 3.0)]
    for _ in range(3):
        lines += [("student", "Et le salaire ?", 2.0), ("professional", ANSWER, 18.0)]
    utts = make_transcript(lines).utterances
    scores = np.array([5.0 if u.is_question else 0.0 for u in utts])
    allowed = np.ones(len(utts), bool)
    assert best_cuts(utts, scores, allowed, min_s=15, max_s=90, cost=0.5)[0] == 4  # the greetings glued on
    assert best_cuts(utts, scores, allowed, min_s=15, max_s=90, cost=0.5, first_min_s=5) == [2, 4, 6]


def test_a_monologue_longer_than_the_maximum_is_cut_at_sentence_starts() -> None:
    att = make_transcript([("professional", "phrase de test numéro un.", 10.0)] * 40)
    utts = att.utterances
    cuts = best_cuts(utts, np.zeros(len(utts)), sentence_starts(utts), min_s=15, max_s=100, cost=0.5)
    edges = [0, *cuts, len(utts)]
    assert len(edges) >= 5 and all(utts[b - 1].end - utts[a].start <= 100 for a, b in zip(edges, edges[1:]))


def _interview() -> tuple[list[tuple[str, str, float]], np.ndarray]:
    """Two topics of 60 s, each a question, an answer, a follow-up and its answer; vectors say which topic."""
    lines, topic = [], []
    for t, question in enumerate(("Qu'est-ce que vous faites au quotidien ?", "Quelles études faut-il faire ?")):
        lines += [
            ("student", question, 3.0),
            ("professional", ANSWER, 25.0),
            ("student", "Et vous aimez ça ?", 2.0),
            ("professional", ANSWER, 30.0),
        ]
        topic += [t] * 4
    return lines, np.array([np.eye(4)[t] + 0.1 for t in topic])


def test_a_follow_up_on_the_same_subject_is_not_a_chapter_and_a_new_subject_is() -> None:
    lines, vecs = _interview()
    att = make_transcript(lines)
    cuts = chapter_cuts(att, lambda texts: vecs[: len(texts)], ChapterParams(), duration_s=att.utterances[-1].end)
    assert cuts == [4]


def test_a_change_of_subject_without_a_question_is_a_chapter() -> None:
    att = make_transcript([("professional", f"Phrase numéro {i}.", 10.0) for i in range(12)])
    vecs = np.array([np.eye(4)[0 if i < 6 else 1] + 0.1 for i in range(12)])
    assert chapter_cuts(att, lambda texts: vecs, ChapterParams(), duration_s=att.utterances[-1].end) == [6]


def test_clips_stay_inside_their_chapter_and_a_long_chapter_splits_at_a_question() -> None:
    lines = [
        ("student", "Vous faites quoi ?", 2.0),
        ("professional", ANSWER, 100.0),
        ("student", "Et le matin, comment ça se passe ?", 3.0),
        ("professional", ANSWER, 100.0),
        ("student", "Quelles études faut-il faire ?", 3.0),
        ("professional", ANSWER, 40.0),
    ]
    att = make_transcript(lines)
    chapters = spans_from_cuts(att.utterances, [4])
    clips = split_chapters(att, chapters, ClipParams(min_s=20, max_s=180))
    assert [(c.first_utterance, c.last_utterance, c.chapter) for c in clips] == [(0, 1, 0), (2, 3, 0), (4, 5, 1)]
    for c in clips:
        ch = chapters[c.chapter]
        assert ch.first_utterance <= c.first_utterance and c.last_utterance <= ch.last_utterance


def test_the_closing_thanks_are_a_chapter_of_their_own() -> None:
    lines = [
        ("student", "Qu'est-ce que vous me conseillez ?", 3.0),
        ("professional", ANSWER, 60.0),
        ("student", "Merci beaucoup, ça m'a aidée.", 2.5),
        ("professional", "Avec plaisir, au revoir !", 2.0),
    ]
    att = make_transcript(lines)
    assert closing_start(att.utterances, att.utterances[-1].end) == 2
    chapters = chapter_cuts(att, lambda t: np.ones((len(t), 4)), ChapterParams(), duration_s=att.utterances[-1].end)
    assert chapters[-1:] == [2]
    # a question after the thanks: the conversation went on, no closing yet
    more = make_transcript(lines + [("student", "Et vous avez un stage à proposer ?", 2.0)])
    assert closing_start(more.utterances, more.utterances[-1].end) is None


def test_participant_joining_is_a_cue() -> None:
    att = make_transcript([("professional", ANSWER, 100.0), ("student", "Oui.", 30.0), ("guardian", "Bonjour.", 2.0)])
    assert list(joining_cues(att.utterances)) == [0.0, 0.0, 1.0]


def test_clean_question_titles() -> None:
    assert (
        clean_question("Alors, euh, pour commencer, est-ce que vous pouvez vous présenter ?")
        == "Est-ce que vous pouvez vous présenter ?"
    )
    assert clean_question("C'est drôle. Et pourquoi le bâtiment, au départ?") == "Pourquoi le bâtiment, au départ ?"
    assert clean_question("Est-ce que est-ce que le le salaire il est bien") == "Est-ce que le salaire il est bien ?"
    assert clean_question("-ce qu'il est dur ?") == "Est-ce qu'il est dur ?"
    # an adverb set apart opens nothing, even misheard ("Concrètement" heard as "Prêtement")
    assert clean_question("Prêtement, c'est quoi votre travail ?") == "C'est quoi votre travail ?"
    assert clean_question("Comment, vous faites ça ?") == "Comment, vous faites ça ?"
    assert (
        clean_question("Est-ce que je peux vous demander combien gagne une infirmière ?")
        == "Combien gagne une infirmière ?"
    )
    assert clean_question("Ok.") is None
    # an agreement the recogniser ran into the question is dropped; what sets the question's subject is kept
    assert (
        clean_question("Bien sûr bien moi aussi je suis d'accord est-ce que vous pouvez vous présenter ?")
        == "Est-ce que vous pouvez vous présenter ?"
    )
    assert clean_question("Oui c'est super et qu'est-ce que vous aimez ?") == "Qu'est-ce que vous aimez ?"
    assert clean_question("Et à l'inverse, qu'est-ce qui est dur ?") == "À l'inverse, qu'est-ce qui est dur ?"
    # openers are whole words: "Bonjour" is not "Bon" + "jour", a name is kept
    assert (
        clean_question("Bonjour, est-ce que vous pouvez vous présenter ?") == "Est-ce que vous pouvez vous présenter ?"
    )
    assert clean_question("Ahmed, tu fais quoi le matin ?") == "Ahmed, tu fais quoi le matin ?"
    assert clean_question("Était-ce difficile au début ?") == "Était-ce difficile au début ?"
    assert clean_question("– Comment se passe une de vos journées?") == "Comment se passe une de vos journées ?"
    # a question whose end the recogniser lost is no title; one ending on "qui", "où" or "plus" is
    assert clean_question("Qu'est-ce que vous aimez le plus dans ce?") is None
    assert clean_question("Et qu'est-ce qu'il a le ?") is None
    assert clean_question("Vous travaillez avec qui ?") == "Vous travaillez avec qui ?"
    assert clean_question("Vous en voulez plus ?") == "Vous en voulez plus ?"
    assert clean_question("Et qu'est ce que vous aimez") == "Qu'est-ce que vous aimez ?"
    assert clean_question("L'IA est ce que ça change le métier.") == "L'IA est-ce que ça change le métier ?"
    assert clean_question("Et c'est ce que tu préfères ?") == "C'est ce que tu préfères ?"
    assert clean_question("Comment " + "vraiment " * 30 + "?") == "Comment vraiment ?"  # a stutter, not a title
    long = clean_question("Comment " + " ".join(f"mot{i}" for i in range(30)) + " ?")
    assert long is not None and len(long) <= 90 and long.endswith("…")


def _words(text: str, probability: float) -> list[SpokenWord]:
    return [SpokenWord(i, i + 0.5, w, "S1", probability) for i, w in enumerate(text.split())]


def test_a_question_recognised_with_low_probability_is_not_a_title() -> None:
    good = _words("Comment on devient sage-femme ?", 0.9)
    bad = good[:3] + [SpokenWord(3, 3.5, "fomme", "S1", 0.12)] + good[4:]
    assert confident(good) and not confident(bad)
    att = make_transcript([("student", "Comment on devient sage-femme ?", 3.0), ("professional", ANSWER, 20.0)])
    assert opening_question(att.utterances, good) == (0, "Comment on devient sage-femme ?")
    assert opening_question(att.utterances, bad) is None
    cut = make_transcript(
        [
            ("student", "En quoi consiste votre", 1.5),
            ("professional", "métier au quotidien ?", 1.5),
            ("professional", ANSWER, 20.0),
        ],
        pause=0.0,
    )
    assert opening_question(cut.utterances, _words("En quoi consiste votre métier au quotidien ?", 0.9)) == (
        1,
        "En quoi consiste votre métier au quotidien ?",
    )
    statement = make_transcript(
        [
            ("professional", "Tu peux commencer par un CAP ou un bac pro puis faire un BTS en alternance.", 6.0),
            ("professional", ANSWER, 20.0),
        ]
    )
    assert opening_question(statement.utterances, _words(statement.utterances[0].text, 0.9)) is None
    assert keyphrase_title(("gardes de nuit", "primes"), "Le salaire") == "Le salaire : gardes de nuit, primes"


def _fake_taxonomy() -> Taxonomy:
    return Taxonomy(
        labels=("salaire", "conseils"),
        names=("Le salaire", "Les conseils"),
        questions=(("q salaire",), ("q conseils",)),
        answers=(("a salaire",), ("a conseils",)),
    )


def _fake_embed(texts: list[str]) -> np.ndarray:
    """'salaire' points one way, 'conseils' another, anything else in between (the logic around the model)."""
    out = []
    for t in texts:
        v = np.array([1.0, 0.0]) if "salaire" in t else np.array([0.0, 1.0]) if "conseils" in t else np.ones(2)
        out.append(v / np.linalg.norm(v))
    return np.array(out)


def test_the_classifier_takes_the_nearest_examples_and_abstains_when_unsure() -> None:
    clf = TopicClassifier(_fake_embed, _fake_taxonomy(), TopicParams(top_k=1, min_confidence=0.6))
    sure, unsure, answer_only = clf.classify_many(["un salaire ?", "bof ?", None], ["le salaire", "rien", "conseils"])
    assert sure.topic == "salaire" and sure.confidence > 0.99
    assert unsure.topic == OTHER and unsure.confidence == 0.5
    assert answer_only.topic == "conseils"


def test_only_the_first_chapter_and_the_closing_may_be_greetings() -> None:
    """A chapter in the middle whose garbled question reads like a greeting takes its best other label: titled
    "Accueil" and hidden from search as a greeting, a student would never find its answer."""
    tax = Taxonomy(
        labels=("accueil", "salaire"),
        names=("Accueil", "Le salaire"),
        questions=(("q bonjour",), ("q salaire",)),
        answers=(("a bonjour",), ("a salaire",)),
    )

    def embed(texts: list[str]) -> np.ndarray:
        out = []
        for t in (x.lower() for x in texts):  # "bonjour" one way, "salaire" the other, both nearer "bonjour"
            v = np.array([1.0, 0.0]) if "bonjour" in t else np.array([0.0, 1.0]) if "salaire" in t else np.ones(2)
            out.append(v + (np.array([0.0, 0.6]) if "bonjour" in t and "salaire" in t else 0.0))
        return np.array([v / np.linalg.norm(v) for v in out])

    att = make_transcript(
        [
            ("student", "Bonjour, vous m'entendez ?", 2.0),
            ("professional", "Oui bonjour, je vous entends bien.", 3.0),
            ("student", "Bonjour encore, ça va ?", 2.0),
            ("professional", "Bonjour, le salaire au début est de deux mille euros.", 6.0),
            ("professional", "Merci, au revoir.", 2.0),
        ]
    )
    utts = att.utterances
    spans = [ChapterSpan(utts[a].start, utts[b].end, a, b) for a, b in ((0, 1), (2, 3), (4, 4))]
    clf = TopicClassifier(embed, tax, TopicParams(top_k=1, keyword_boost=0.0, min_confidence=0.6))
    assert clf.classify_many(["Bonjour encore, ça va ?"], ["Bonjour, le salaire au début"])[0].topic == "accueil"
    first, middle, closing = label_and_title(att, spans, clf, closing=4)
    assert first.topic == "accueil" and first.title == "Accueil"
    assert middle.topic == "salaire" and middle.title != "Accueil"
    assert closing.topic == "accueil" and closing.title == "Remerciements et au revoir"


def test_neighbours_with_one_topic_merge_unless_the_result_is_too_long() -> None:
    def chapter(n: int, start: float, end: float, topic: str) -> ChapterSpan:
        return ChapterSpan(start=start, end=end, first_utterance=n, last_utterance=n, topic=topic, title=f"t{n}")

    chapters = [
        chapter(0, 0, 30, GREETING),
        chapter(1, 30, 60, GREETING),  # a second greeting chapter stays apart (the closing must)
        chapter(2, 60, 120, "horaires"),
        chapter(3, 120, 170, "horaires"),  # "Les nuits ..." after "Vos horaires ...": one topic
        chapter(4, 170, 200, OTHER),
        chapter(5, 200, 230, OTHER),  # abstentions say nothing about a shared topic
        chapter(6, 230, 300, "salaire"),
        chapter(7, 300, 420, "salaire"),  # 190 s in all: longer than allowed, likely two topics under one label
    ]
    merged = same_topic_merged(chapters, longest_s=150.0)
    assert [(c.first_utterance, c.last_utterance) for c in merged] == [
        (0, 0),
        (1, 1),
        (2, 3),
        (4, 4),
        (5, 5),
        (6, 6),
        (7, 7),
    ]
    assert (merged[2].start, merged[2].end, merged[2].topic, merged[2].title) == (60, 170, "horaires", "t2")
    assert same_topic_merged(chapters, longest_s=1000.0)[-1] == replace(chapters[6], end=420, last_utterance=7)


def test_a_chapter_is_labelled_from_its_whole_opening_question() -> None:
    """A speaker turn cut "En quoi consiste votre | métier ?" in two: the label reads both pieces."""
    att = make_transcript(
        [
            ("student", "En quoi consiste votre", 1.5),
            ("professional", "métier au quotidien ?", 1.5),
            ("professional", ANSWER, 20.0),
        ],
        pause=0.1,
    )
    question, answer = asked_and_answered(att.utterances)
    assert question == "En quoi consiste votre métier au quotidien ?"
    assert answer == ANSWER


def test_a_keyword_of_the_topic_in_the_question_decides_between_close_labels() -> None:
    tax = Taxonomy(
        labels=("salaire", "conseils"),
        names=("Le salaire", "Les conseils"),
        questions=(("q salaire",), ("q conseils",)),
        answers=(("a salaire",), ("a conseils",)),
        keywords=(("salaire", "gagn"), ("conseil",)),
    )
    asked = ["Vous me conseilleriez quoi ?"]  # the fake model finds it as near one label as the other
    plain = TopicClassifier(_fake_embed, tax, TopicParams(top_k=1, keyword_boost=0.0, min_confidence=0.6))
    assert plain.classify_many(asked, ["rien"])[0].topic == OTHER
    boosted = TopicClassifier(_fake_embed, tax, TopicParams(top_k=1, keyword_boost=0.02, min_confidence=0.6))
    assert boosted.classify_many(asked, ["rien"])[0].topic == "conseils"
    assert boosted.classify_many([None], ["vous me conseilleriez quoi"])[0].topic == OTHER  # the question's words only


def test_the_taxonomy_keywords_match_whole_words_or_word_starts() -> None:
    tax = load_taxonomy()
    said = lambda text: {tax.labels[i] for i in np.flatnonzero(tax.keyword_hits(text))}  # noqa: E731
    assert said("Qu'est-ce que vous me conseilleriez ?") == {"conseils"}
    assert said("Est-ce que l'IA va remplacer les avocats ?") == {"ia_et_metier"}
    assert said("Et au niveau du SALAIRE, ça donne quoi ?") == {"salaire"}
    assert said("Qu'est-ce qui est le plus dur ?") == {"difficultes"}
    assert "difficultes" not in said("La formation dure trois ans.")  # "dur" is short: whole words only
    assert said("Vous travaillez la nuit et le week-end ?") == {"horaires"}
    # the conditional of "aimer" asks politely ("j'aimerais savoir", "vous aimeriez faire quoi ?"): no subject
    # named; the present and the future still say what one likes
    assert said("J'aimerais savoir ce que vous faites le matin.") == {"journee_type"}
    assert said("Nous aimerions, vous aimeriez, elles aimeraient") == set()
    assert said("Qu'est-ce que vous aimez ?") == said("Vous aimerez ce métier.") == {"ce_qu_on_aime"}


def test_the_taxonomy_has_french_names_and_several_examples_per_label() -> None:
    tax = load_taxonomy()
    assert {
        "missions",
        "journee_type",
        "horaires",
        "ce_qu_on_aime",
        "difficultes",
        "parcours_etudes",
        "evolution",
        "salaire",
        "ia_et_metier",
        "femmes_secteur",
        "conseils",
        "presentation",
        "accueil",
    } == set(tax.labels)
    assert all(len(q) >= 4 and len(a) >= 4 for q, a in zip(tax.questions, tax.answers))
    assert topic_label("ia_et_metier") == "L'IA et le métier" and topic_label("autre") == "Autre"
    assert topic_label("accueil") == "Accueil et au revoir"


def test_a_chapter_titled_by_phrases_does_not_say_its_topic_twice() -> None:
    """A chapter with no opening question is titled '<topic> : <phrase>, <phrase>'; a phrase naming the topic again
    ("niveau du salaire") or a word that does not exist is left out, and each text is embedded once though the
    chapter is labelled twice."""
    seen: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return _fake_embed(texts)

    att = make_transcript(
        [
            ("student", "Bonjour.", 1.0),
            ("professional", "conseils conseils conseils pour les jeunes du quartier", 8.0),
            ("professional", "astrarte, astrarte, le niveau du salaire, gardes de nuit, primes de salaire", 8.0),
        ]
    )
    utts = att.utterances
    spans = [ChapterSpan(utts[a].start, utts[b].end, a, b) for a, b in ((0, 1), (2, 2))]
    clf = TopicClassifier(embedded_once(embed), _fake_taxonomy(), TopicParams(top_k=1, min_confidence=0.6))
    first = label_and_title(att, spans, clf)
    again = label_and_title(att, spans, clf)
    assert first == again and first[1].topic == "salaire"
    title = first[1].title
    assert title.startswith("Le salaire : ") and "salaire" not in title.split(" : ", 1)[1], title
    assert "astrarte" not in title  # no word that does not exist (misheard "astreinte")
    assert len(seen) == len(set(seen))
