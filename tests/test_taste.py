"""A student's taste learnt from reactions (search_api/taste.py): what the likes have in common gets the weight."""

from __future__ import annotations

from vidlib.search_api.taste import Seen, learn_taste

JOBS = {"infirmière": "santé", "avocate": "droit", "cheffe de chantier": "bâtiment", "développeuse": "numérique"}
TOPICS = ("salaire", "missions", "horaires", "parcours_etudes")


def _seen(wants: str) -> list[Seen]:
    """Every job on every topic, liked where the job or the topic is ``wants``."""
    return [
        Seen({"job": job, "sector": sector, "topic": topic}, wants in (job, topic))
        for job, sector in JOBS.items()
        for topic in TOPICS
    ]


def test_a_topic_liked_across_jobs_outweighs_the_jobs_of_the_liked_clips() -> None:
    taste = learn_taste(_seen("salaire"))
    salary = taste.score({"job": "pompière", "sector": "sécurité", "topic": "salaire"})  # a job never seen
    nurse = taste.score({"job": "infirmière", "sector": "santé", "topic": "journee_type"})
    assert salary > 0 > nurse
    assert taste.liked_values(1) == [("topic", "salaire")]


def test_a_job_liked_on_every_topic_outweighs_the_topics() -> None:
    taste = learn_taste(_seen("cheffe de chantier"))
    assert taste.score({"job": "cheffe de chantier", "sector": "bâtiment", "topic": "journee_type"}) > 0
    assert taste.score({"job": "avocate", "sector": "droit", "topic": "missions"}) < 0
    assert set(taste.liked_values(2)) == {("job", "cheffe de chantier"), ("sector", "bâtiment")}


def test_one_like_among_turn_downs_points_at_what_only_the_like_has() -> None:
    seen = [
        Seen({"job": "infirmière", "sector": "santé", "topic": "salaire"}, True),
        Seen({"job": "infirmière", "sector": "santé", "topic": "missions"}, False),
        Seen({"job": "avocate", "sector": "droit", "topic": "missions"}, False),
        Seen({"job": "avocate", "sector": "droit", "topic": "horaires"}, False),
    ]
    taste = learn_taste(seen)
    other_salary = taste.score({"job": "avocate", "sector": "droit", "topic": "salaire"})
    other_nurse = taste.score({"job": "infirmière", "sector": "santé", "topic": "horaires"})
    assert other_salary > other_nurse


def test_no_reaction_no_taste() -> None:
    taste = learn_taste([])
    assert taste.score({"job": "avocate"}) == 0.0 and taste.liked_values(3) == []
