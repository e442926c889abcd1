"""Styles of work read from what the professional says (hand-made transcripts; the API side is in test_api.py)."""

from __future__ import annotations

from tests.transcripts import make_transcript
from vidlib.pipelines.stages.styles import StyleParams, assign_styles, load_styles, style_evidence, style_label

OUTDOORS = (
    "je suis dehors toute la journée sur le chantier, par tous les temps, la pluie, le vent, le froid l'hiver, "
    "et l'été le soleil tape fort sur le terrain "
)
FILLER = "alors en fait c'est un travail où on fait beaucoup de choses différentes avec une équipe de dix collègues "


def test_the_six_styles_have_french_names() -> None:
    styles = load_styles()
    assert set(styles.keys) == {"creatif", "manuel", "exterieur", "contact_humain", "technique", "scientifique"}
    assert style_label("exterieur") == "En extérieur" and style_label("contact_humain") == "Contact humain"


def test_a_style_needs_its_words_often_and_several_of_them() -> None:
    outdoors = make_transcript([("student", "Vous travaillez où ?", 2.0), ("professional", OUTDOORS + FILLER, 30.0)])
    assert assign_styles(outdoors) == ("exterieur",)
    # one word said over and over is the subject of the talk, not a style of work
    code = make_transcript([("professional", "le code, le code et encore le code " + FILLER * 2, 30.0)])
    assert "technique" not in assign_styles(code)
    assert assign_styles(code, StyleParams(min_distinct=1)) == ("technique",)
    # the same words said rarely, in a long talk, are no style either
    rare = make_transcript([("professional", OUTDOORS + FILLER * 100, 900.0)])
    assert assign_styles(rare) == ()


def test_only_the_professional_words_count() -> None:
    asked = make_transcript([("student", OUTDOORS, 20.0), ("professional", FILLER * 2, 30.0)])
    assert assign_styles(asked) == ()


def test_the_evidence_names_the_words_said() -> None:
    evidence = style_evidence(OUTDOORS.split(), load_styles())
    assert evidence[0].style == "exterieur"
    assert {"dehors", "chantier", "pluie", "vent", "froid"} <= set(evidence[0].words)
    assert evidence[0].per_1000 > 100
