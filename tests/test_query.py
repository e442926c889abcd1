"""Reading a student's query (search_api/query.py) and finding the moment in a clip (search_api/moment.py): the
maintained data files as shipped, no model."""

from __future__ import annotations

import random
import unicodedata

from vidlib.search_api.moment import moment
from vidlib.search_api.query import library_jobs, load_lexicon, matches, rewrite, understand
from vidlib.search_api.schemas import Word
from vidlib.search_api.snippets import highlight_snippet
from vidlib.text import analyze, fold_accents
from vidlib.wording import join_words, joined


def test_jobs_are_found_whatever_the_accents_case_gender_and_number() -> None:
    for query in ("combien gagne un avocat", "Les AVOCATES gagnent bien ?", "une avocate", "métier de juriste"):
        assert understand(query).jobs == ("avocat",), query
    assert understand("devenir Éducatrice spécialisée").jobs == ("educateur specialise",)
    assert understand("horaires d'un boulanger pâtissier").jobs == ("boulanger",)
    # the longest form wins: a cheffe de chantier is not also a chef, and two jobs can be named
    assert understand("conductrice de travaux après cheffe de chantier").jobs == (
        "chef de chantier",
        "conducteur de travaux",
    )
    assert understand("les horaires de nuit").jobs == ()


def test_folding_drops_the_marks_of_the_decomposed_text_and_writes_out_ligatures() -> None:
    def decomposed(text: str) -> str:
        text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
        return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))

    # "œ" as most keyboards type it: a student's "gros oeuvre" finds the "gros œuvre" the recogniser wrote
    assert (
        fold_accents("Éducatrice spécialisée, ça œuvre, Œil, ex æquo")
        == "Educatrice specialisee, ca oeuvre, OEil, ex aequo"
    )
    assert analyze("le gros oeuvre") == analyze("le gros œuvre")
    assert fold_accents("cafe\u0301 \ufb01n ½") == "cafe fin 1⁄2"  # a mark typed apart, a ligature, a fraction
    draw = random.Random(7)
    for _ in range(500):  # characters of every plane, marks after plain letters among them
        text = "".join(chr(draw.choice([draw.randrange(0x80), draw.randrange(0x30000)])) for _ in range(12))
        assert fold_accents(text) == decomposed(text), ascii(text)


def test_sectors_come_from_words_and_from_the_jobs_named() -> None:
    assert "aeronautique" in understand("bosser chez un fabricant d'avions").sectors
    assert understand("je veux devenir pompier").sectors == ("securite",)


def test_colloquial_words_are_rewritten_and_the_rest_is_kept_as_typed() -> None:
    lexicon = load_lexicon()
    assert rewrite("on bosse pour la thune ?", lexicon) == "on travaille pour la argent ?"
    assert rewrite("ça rapporte combien, le taf ?", lexicon) == "quel salaire, le travail ?"
    assert rewrite("les études après le bac", lexicon) == "les études après le bac"  # accents kept


def test_a_library_job_is_named_by_the_lexicon_or_by_its_own_first_words() -> None:
    lexicon = load_lexicon()
    library = library_jobs(
        [("cheffe de chantier dans le bâtiment", 3), ("souffleuse de verre à Murano", 1), ("avocate", 2)], {}, lexicon
    )
    chantier, verre, avocate = library
    assert chantier.role_model and not avocate.role_model  # a woman where women are few: a role model
    assert matches(chantier, understand("combien gagne un chef de chantier"))
    assert matches(verre, understand("le métier de souffleuse"))  # not in the lexicon: its title's first words
    assert not matches(avocate, understand("combien gagne un policier"))


def _words(*spans: tuple[str, float, str]) -> list[Word]:
    return [
        Word(index=i, text=text, start=start, end=start + 0.4, speaker=speaker, probability=1.0)
        for i, (text, start, speaker) in enumerate(spans)
    ]


def test_the_moment_is_the_sentence_where_the_searched_words_are_said() -> None:
    said = _words(
        ("Bonjour.", 0.0, "A"),
        ("Et", 3.0, "B"),
        ("le", 3.5, "B"),
        ("salaire", 4.0, "B"),
        ("?", 4.5, "B"),
        ("Au", 6.0, "A"),
        ("début,", 6.5, "A"),
        ("on", 7.0, "A"),
        ("gagne", 7.5, "A"),
        ("des", 8.0, "A"),
        ("salaires", 8.5, "A"),
        ("modestes.", 9.0, "A"),
        ("Ensuite", 10.0, "A"),
        ("ça", 11.0, "A"),
        ("augmente", 12.0, "A"),
        ("beaucoup.", 13.0, "A"),
    )
    # the densest run of the searched words, from the start of its sentence: the question, then its answer
    assert moment(said, "combien on gagne, le salaire") == 3.0
    assert moment(said, "des débuts modestes") == 6.0  # back to the sentence's start, not into the question
    assert moment(said, "les horaires") == 0.0  # not said: the clip's start
    assert moment(said, "ça augmente beaucoup") == 0.0  # said in the clip's last seconds: from its start


def test_the_moment_and_the_snippet_pick_the_words_saying_most_of_the_query() -> None:
    """The question saying "combien" and "gagne", not a later stretch that says "salaire" three times."""
    question = "Combien gagne une cheffe de chantier ? Alors au début on touche deux mille euros par mois."
    later = "Et puis le salaire monte, le salaire des conducteurs, des salaires corrects, la prime de fin d'année."
    text = f"{question} {' '.join(['On parle du béton et des grues.'] * 6)} {later} Voilà pour l'argent."
    said = _words(*((w, 2.0 * i, "A") for i, w in enumerate(text.split())))
    assert moment(said, "combien on gagne", "quel salaire") == 0.0
    assert highlight_snippet(text, "combien on gagne quel salaire").startswith(
        "<mark>Combien</mark> <mark>gagne</mark>"
    )
    # with as many different terms said in both places, the stretch saying them more often wins
    assert moment(said, "le salaire") > 60


def test_the_moment_counts_words_as_the_snippet_does() -> None:
    """Whisper writes "c'est" as two words ("c'", "est"): counted as the recogniser's words, "travaille" and "nuit"
    would be too far apart for one run, and the moment would go to a later "nuit, nuit" the snippet does not show."""
    head = ["Le", "soir,", "je", "travaille", "souvent."] + ["C'", "est", "calme."] * 10 + ["La", "nuit", "aussi."]
    tail = ["Puis", "du", "repos."] * 10 + ["Une", "nuit,", "une", "nuit."] + ["Voilà", "tout."] * 5
    said = _words(*((w, 1.0 * i, "A") for i, w in enumerate(head + tail)))
    assert moment(said, "travailler la nuit") == 0.0
    text = join_words(w.text for w in said)
    assert highlight_snippet(text, "travailler la nuit").startswith("Le soir, je <mark>travaille</mark>")


def test_joined_words_say_where_each_word_starts() -> None:
    assert joined(["Bonjour", ",", "c", "'est", "", "moi", "(", "x", ")"]) == (
        "Bonjour, c'est moi (x)",
        [0, 7, 9, 10, 14, 15, 19, 20, 21],
    )


def test_french_analysis_is_safe_on_many_threads_at_once() -> None:
    """The API serves searches on several threads; a shared Snowball stemmer raised IndexError under load."""
    import threading

    from vidlib.text import analyze

    failures: list[str] = []
    expected = analyze("les développeuses travaillent souvent la nuit dans des entreprises différentes")

    def work() -> None:
        for _ in range(300):
            got = analyze("les développeuses travaillent souvent la nuit dans des entreprises différentes")
            if got != expected:
                failures.append(str(got))

    def guarded() -> None:
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - the failure this test is about
            failures.append(repr(exc))

    threads = [threading.Thread(target=guarded) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
