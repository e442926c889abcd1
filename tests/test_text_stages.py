"""Unit tests of attribution, segmentation, clip planning, enrichment helpers and metrics."""

from collections.abc import Sequence

import numpy as np

from bench.common import boundary_f1, pk_windowdiff, reference_boundaries, spans_from_boundaries, wer, word_errors
from tests.transcripts import make_transcript
from vidlib.consent import parse_consent
from vidlib.domain import Diarization, Sentence, SpeakerTurn, Transcript, Word
from vidlib.pipelines.stages.attribute import assign_roles, attribute_speakers, is_question
from vidlib.pipelines.stages.enrich import keyphrases
from vidlib.pipelines.stages.plan import plan_clips
from vidlib.pipelines.stages.segment import ClipParams, spans_from_cuts, split_chapters
from vidlib.text import analyze, sparse_terms
from vidlib.wording import join_words

CONSENT = parse_consent(
    {
        "recording": {"title": "t", "job": "j", "sector": "s"},
        "participants": [
            {"role": "professional", "name": "A", "consent": True, "consented_at": "2026-01-01T00:00:00Z"},
            {"role": "student", "name": "B", "consent": True, "consented_at": "2026-01-01T00:00:00Z"},
        ],
    }
)


def test_words_get_the_speaker_with_the_largest_overlap() -> None:
    words = (
        Word(0.0, 1.0, "Bonjour"),
        Word(1.0, 2.0, "madame."),
        Word(2.1, 3.0, "Tu"),
        Word(3.0, 4.0, "fais"),
        Word(4.0, 5.0, "quoi ?"),
    )
    tr = Transcript(
        "fr", 1.0, 5.0, (Sentence(0, 2, "Bonjour madame.", words[:2]), Sentence(2.1, 5, "Tu fais quoi ?", words[2:]))
    )
    # the turn edge at 2.4 s cuts "Tu" (2.1-3.0): most of it overlaps S2
    dia = Diarization((SpeakerTurn(0.0, 2.4, "S1"), SpeakerTurn(2.4, 5.0, "S2")), 2)
    att = attribute_speakers(tr, dia, CONSENT)
    assert [w.speaker for w in att.words] == ["S1", "S1", "S2", "S2", "S2"]
    assert [u.text for u in att.utterances] == ["Bonjour madame.", "Tu fais quoi ?"]
    assert att.utterances[1].is_question


def test_roles_professional_talks_most_student_asks() -> None:
    utts = [
        ("S1", "Je soigne les patients la nuit.", 60.0),
        ("S2", "C'est dur ?", 2.0),
        ("S3", "Bonsoir.", 3.0),
        ("S2", "Et le salaire ?", 2.0),
    ]
    roles = assign_roles(utts, CONSENT)
    assert roles == {"S1": "professional", "S2": "student", "S3": "guest"}


def test_question_detection() -> None:
    assert is_question("Qu'est-ce que tu aimes dans ce métier ?")
    assert is_question("Comment se passe une journée")
    assert is_question("Tu peux te présenter.") and is_question("Vous pouvez m'expliquer ce que vous faites.")
    assert not is_question("Tu peux travailler avec des enfants, des adultes handicapés.")  # what one can do
    assert is_question("Tu peux présenter ton métier") and not is_question("Et tu peux m'appeler Céline.")
    assert not is_question("Je travaille la nuit.")
    # from the words when Whisper left out the question mark: openers after fillers, est-ce que, inversion
    assert is_question("Et alors, combien vous gagnez")
    assert is_question("Du coup, est-ce que tu travailles le week-end")
    assert is_question("Faut-il un diplôme pour ça")
    assert is_question("Y a-t-il des stages")
    assert not is_question("C'est peut-être le plus dur, c'est-à-dire la nuit.")
    assert not is_question("Je vais au rendez-vous avec lui-même.")
    assert not is_question("Je relis le code des collègues, c'est ce qu'on appelle la revue de code.")
    assert is_question("Et du coup est ce que tu travailles le soir")
    # an interrogative word at the end, as said aloud; a trailing "quoi" only after a verb that asks
    assert is_question("et une femme sur un chantier ça se passe comment")
    assert is_question("Et pour la sécurité, vous faites quoi.")
    assert is_question("Et après, tu habites où")
    assert not is_question("C'est pas facile tous les jours, quoi.")
    # the dashes and quotes Whisper puts before a turn hide no question
    assert is_question("– Et alors, combien vous gagnez")
    assert is_question("« Comment vous avez commencé")


def test_a_piece_glued_to_the_word_before_keeps_its_speaker_and_words_keep_their_probability() -> None:
    words = (
        Word(0.0, 0.4, "Est", 0.9),
        Word(0.4, 0.6, "-ce", 0.8),
        Word(0.6, 1.0, "que", 0.7),
        Word(1.0, 2.0, "c'est", 0.6),
        Word(2.0, 3.0, "dur", 0.5),
        Word(3.0, 3.1, "?", 0.4),
    )
    tr = Transcript("fr", 1.0, 3.1, (Sentence(0, 3.1, "Est-ce que c'est dur?", words),))
    # a turn edge at 0.45 s falls inside "Est-ce": "-ce" overlaps S2 more, but it belongs to "Est"
    dia = Diarization((SpeakerTurn(0.0, 0.45, "S1"), SpeakerTurn(0.45, 3.1, "S2")), 2)
    att = attribute_speakers(tr, dia, CONSENT)
    assert [w.speaker for w in att.words][:3] == ["S1", "S1", "S2"]
    assert [u.text for u in att.utterances] == ["Est-ce", "que c'est dur?"]
    assert [w.probability for w in att.words] == [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]


LONG_ANSWER = "je travaille la nuit dans un service de cardiologie avec les patients " * 3


def _call() -> list[tuple[str, str, float]]:
    return [
        ("student", "Bonjour, merci d'avoir accepté.", 3.0),
        ("professional", "Avec plaisir, bonjour.", 2.0),
        ("student", "Vous faites quoi au quotidien ?", 3.0),
        ("professional", LONG_ANSWER, 25.0),
        ("student", "Ah d'accord.", 1.0),
        ("student", "Et vous gagnez combien ?", 2.5),
        ("professional", "Le salaire est de deux mille euros net par mois avec les primes " * 3, 24.0),
        ("student", "Même la nuit ?", 1.5),  # follow-up after a long answer but short
        ("professional", "Oui, les primes de nuit comptent.", 4.0),
        ("student", "Quelles études faut-il faire ?", 2.5),
        ("professional", "Trois ans en institut de formation en soins infirmiers après le bac " * 3, 26.0),
    ]


def test_plan_clips_snap_to_word_edges_without_eating_neighbours() -> None:
    att = make_transcript(_call())
    chapters = spans_from_cuts(att.utterances, [4, 9])
    segs = split_chapters(att, chapters, ClipParams(min_s=10, max_s=60))
    clips = plan_clips("rec_x", att, segs, duration_s=att.words[-1].end + 1)
    for c, s in zip(clips, segs):
        first = att.words[att.utterances[s.first_utterance].first_word]
        last = att.words[att.utterances[s.last_utterance].last_word]
        assert c.start <= first.start and c.end >= last.end
        assert c.chapter == s.chapter
    for a, b in zip(clips, clips[1:]):
        assert a.end <= b.start
    assert len({c.clip_id for c in clips}) == len(clips)
    assert plan_clips("rec_x", att, segs, att.words[-1].end + 1) == clips  # deterministic ids


def test_a_cut_between_touching_words_aims_before_the_next_words_onset() -> None:
    att = make_transcript([("professional", "un deux trois.", 3.0), ("student", "Quatre cinq six ?", 3.0)], pause=0.0)
    words = att.words
    touching = tuple(w if i != 2 else type(w)(w.start, words[3].start, w.text, w.speaker) for i, w in enumerate(words))
    att = type(att)(touching, att.utterances, att.roles)
    clips = plan_clips("rec_x", att, spans_to_segments(att, [1]), duration_s=10.0)
    assert clips[0].end == clips[1].start == round(words[3].start - 0.001, 3)


def test_a_cut_between_overlapping_words_goes_halfway() -> None:
    """Whisper gave "pas." 478.46-478.70 and the next turn's "Et" from 478.68: neither clip cuts into a word by more
    than half the overlap, and the two clips meet."""
    att = make_transcript([("professional", "un deux trois.", 3.0), ("student", "Quatre cinq six ?", 3.0)], pause=0.0)
    words = att.words
    overlapping = tuple(
        w if i != 2 else type(w)(w.start, words[3].start + 0.04, w.text, w.speaker) for i, w in enumerate(words)
    )
    att = type(att)(overlapping, att.utterances, att.roles)
    clips = plan_clips("rec_x", att, spans_to_segments(att, [1]), duration_s=10.0)
    assert clips[0].end == clips[1].start == round(words[3].start + 0.02, 3)


def spans_to_segments(att, cuts):  # noqa: ANN001, ANN201 - test helper
    return split_chapters(att, spans_from_cuts(att.utterances, cuts), ClipParams(min_s=1, max_s=60))


def test_keyphrases_find_the_clip_subject() -> None:
    att = make_transcript(_call())
    text = " ".join(u.text for u in att.utterances[5:7])
    phrases = keyphrases(text, [LONG_ANSWER])
    assert 3 <= len(phrases) <= 8
    assert any("salaire" in p or "primes" in p for p in phrases)
    assert not any("gagnez" in p and "salaire" in p for p in keyphrases("Vous gagnez combien. Salaire de base", []))


def test_french_analysis_and_sparse_vectors() -> None:
    assert analyze("L'infirmière de nuit") == analyze("les infirmières de nuit") == ["infirmi", "nuit"]
    idx, val = sparse_terms("salaire salaire primes")
    assert len(idx) == 2 and sorted(idx) == idx and max(val) > min(val)


def test_join_words_glues_elisions() -> None:
    assert join_words(["qu", "'est", "-ce", "que", "c", "'est", "?"]) == "qu'est-ce que c'est?"


def test_pk_windowdiff_and_f1() -> None:
    ref = [30.0, 60.0, 90.0]

    def pk(hyp: list[float]) -> tuple[float, float]:
        return pk_windowdiff(spans_from_boundaries(ref, 120.0), spans_from_boundaries(hyp, 120.0), 120.0)

    assert pk(ref) == (0.0, 0.0)
    pk_none, _ = pk([])
    pk_close, _ = pk([32.0, 61.0, 88.0])
    assert 0.0 < pk_close < pk_none
    assert boundary_f1(ref, [32.0, 61.0, 100.0], tolerance=5.0)[2] == 2 / 3
    assert reference_boundaries([{"start": 0, "end": 10}, {"start": 12, "end": 20}]) == [11.0]


def test_personal_data_flags_carry_kinds_and_times() -> None:
    from vidlib.pipelines.stages.personal_data import detect_personal_data

    line = (
        "Bonjour je m'appelle Lina Dupont, mon numéro c'est 06 12 34 56 78, écris à lina.dupont@gmail.com "
        "ou va sur www.lina-stage.fr. J'habite 12 rue des Lilas 75011 Paris, sécu 2 85 07 75 123 456 78. "
        "Claire m'a aidée."
    )
    att = make_transcript([("student", line, 40.0)])
    flags = detect_personal_data(att.words, CONSENT_NAMED)
    kinds = {f.kind for f in flags}
    assert {"name", "phone", "email", "url", "address", "social_security_number"} <= kinds
    phone = next(f for f in flags if f.kind == "phone")
    assert phone.text == "06 12 34 56 78" and 0 < phone.start < phone.end < 40
    assert any(f.kind == "name" and f.text == "Claire" for f in flags)  # a participant named in the consent
    assert (
        detect_personal_data(
            make_transcript([("professional", "Je soigne les patients la nuit.", 5.0)]).words, CONSENT_NAMED
        )
        == ()
    )


CONSENT_NAMED = parse_consent(
    {
        "recording": {"title": "t", "job": "j", "sector": "s"},
        "participants": [
            {"role": "professional", "name": "Claire Martin", "consent": True, "consented_at": "2026-01-01T00:00:00Z"},
            {"role": "student", "name": "Lina", "consent": True, "consented_at": "2026-01-01T00:00:00Z"},
        ],
    }
)


def test_keyphrases_of_all_equals_keyphrases_per_clip() -> None:
    """The linear form (each clip's phrases found once) gives exactly the per-clip c-TF-IDF phrases."""
    from vidlib.pipelines.stages.enrich import keyphrases_of_all

    texts = [
        LONG_ANSWER,
        "Le plus dur, ce sont les gardes de nuit et la fatigue des gardes de nuit.",
        "Pour devenir infirmière, il faut un diplôme d'État après trois ans d'études en institut.",
        "Les gardes de nuit à l'hôpital, on les fait en équipe avec les aides-soignantes.",
    ]
    assert keyphrases_of_all(texts) == [keyphrases(t, texts[:i] + texts[i + 1 :]) for i, t in enumerate(texts)]


def test_representative_phrases_pick_by_meaning_then_variety() -> None:
    """Of a chapter's c-TF-IDF candidates, the title takes the ones nearest its meaning, the second one far from the
    first; phrases under 4 characters are never taken (a hand-made embedding: one axis per idea)."""
    from vidlib.pipelines.stages.enrich import representative_phrases

    axes = {"chapter": [0.8, 0.6, 0.0], "revue de code": [1.0, 0.0, 0.0], "relecture du code": [0.99, 0.14, 0.0],
            "tickets": [0.6, 0.8, 0.0], "vois": [0.0, 0.0, 1.0], "vo": [0.8, 0.6, 0.0]}  # fmt: skip

    def embed(texts: Sequence[str]) -> np.ndarray:
        return np.array([axes[t] for t in texts], dtype=float)

    candidates = [["vois", "vo", "relecture du code", "revue de code", "tickets"]]
    assert representative_phrases(["chapter"], candidates, embed, k=2, diversity=0.0) == [
        ("tickets", "relecture du code")  # nearest first
    ]
    assert representative_phrases(["chapter"], candidates, embed, k=2, diversity=0.5) == [
        ("tickets", "revue de code")  # "relecture du code" is nearer, and closer to "tickets" too: less new
    ]
    assert representative_phrases(["chapter", "chapter"], [[], ["vo"]], embed) == [(), ()]


def test_unknown_words_are_the_misheard_ones() -> None:
    """The real French word list: what Whisper made up is unknown; names, acronyms and short words are not judged."""
    from vidlib.pipelines.stages.french_words import unknown_words

    assert unknown_words("Études et parcours : bâtiment, géniaire en cinq") == ["géniaire"]
    assert unknown_words("Prêtement, c'est quoi votre travail avec les ados ?") == ["Prêtement"]
    assert unknown_words("Et Mehdi, il travaille à Clermont-Ferrand, en BTS, le week-end ?") == []
    assert unknown_words("revue de code, stand-up, gardes de nuit, aide-soignante") == []
    assert unknown_words("le gros œuvre, le cœur du métier, Œuvre, main-d'œuvre, ex æquo") == []


def test_word_errors_split_the_word_error_rate() -> None:
    ref, hyp = "le chantier de gros oeuvre".split(), "le chantiers gros oeuvre bien".split()
    assert word_errors(ref, hyp) == (1, 1, 1)  # chantier -> chantiers, "de" lost, "bien" added
    assert sum(word_errors(ref, hyp)) / len(ref) == wer(ref, hyp)
    assert word_errors([], ["a"]) == (0, 0, 1) and word_errors(["a"], []) == (0, 1, 0)
