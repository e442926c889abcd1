"""The "pour toi" shelf (search_api/suggestions.py) on a real embedded index and a real object store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from vidlib.pipelines.context import RunContext
from vidlib.search_api.suggestions import for_you, record
from vidlib.settings import Settings
from vidlib.storage.index import IndexedClip

JOBS = {"infirmière": "santé", "avocate": "droit", "cheffe de chantier": "bâtiment", "développeuse": "numérique"}
TOPICS = ("salaire", "missions", "horaires", "parcours_etudes", "conseils")
PUBLISHED = {"state": "published"}


def _vector(job: str, topic: str) -> tuple[float, ...]:
    """Clips of one call (one job) are each other's nearest in meaning, as on real calls."""
    call = np.random.default_rng(sum(map(ord, job))).normal(size=384)
    own = np.random.default_rng(sum(map(ord, job + topic))).normal(size=384) * 0.4
    v = call + own
    return tuple(float(x) for x in v / np.linalg.norm(v))


@pytest.fixture()
def ctx(tmp_path: Path) -> Iterator[RunContext]:
    context = RunContext(Settings(home=tmp_path))
    context.index.upsert(
        [
            IndexedClip(
                clip_id=f"{job[:3]}-{topic}",
                dense=_vector(job, topic),
                sparse_indices=(),
                sparse_values=(),
                payload={
                    "job": job,
                    "sector": sector,
                    "topic": topic,
                    "state": "published",
                    "recording_id": job[:3],
                    "start": 0.0,
                    "end": 60.0,
                },
            )
            for job, sector in JOBS.items()
            for topic in TOPICS
        ]
    )
    yield context
    context.close()


def _react(ctx: RunContext, token: str, wants: str, clip_ids: list[str]) -> None:
    for clip_id in clip_ids:
        hit = ctx.index.get(clip_id)
        assert hit is not None
        wanted = wants in (hit.payload["job"], hit.payload["topic"])
        record(ctx, token, hit, "utile" if wanted else "pas_pour_moi")


def test_a_student_who_likes_a_topic_is_offered_it_in_other_jobs(ctx: RunContext) -> None:
    _react(ctx, "t-salary", "salaire", ["inf-salaire", "inf-missions", "inf-horaires", "avo-missions"])
    shelf = for_you(ctx, "t-salary", PUBLISHED, limit=3, seed=1)
    assert {h.clip_id for h in shelf} == {"avo-salaire", "che-salaire", "dév-salaire"}


def test_a_student_who_likes_a_job_is_offered_more_of_it(ctx: RunContext) -> None:
    seen = ["che-salaire", "che-missions", "inf-salaire", "avo-conseils", "dév-missions"]
    _react(ctx, "t-site", "cheffe de chantier", seen)
    shelf = for_you(ctx, "t-site", PUBLISHED, limit=3, seed=1)
    assert [h.payload["job"] for h in shelf] == ["cheffe de chantier"] * 3
    assert not {h.clip_id for h in shelf} & set(seen)  # never a clip already reacted to


def test_after_repeated_disinterest_and_no_like_the_shelf_offers_other_sectors(ctx: RunContext) -> None:
    _react(ctx, "t-none", "pompier", ["inf-salaire", "inf-missions"])
    shelf = for_you(ctx, "t-none", PUBLISHED, limit=4, seed=1)
    assert len(shelf) == 4 and all(h.payload["sector"] != "santé" for h in shelf)


def test_the_shelf_stays_empty_until_a_like_or_repeated_disinterest(ctx: RunContext) -> None:
    assert for_you(ctx, "t-new", PUBLISHED, limit=3, seed=1) == []
    _react(ctx, "t-new", "pompier", ["inf-salaire"])
    assert for_you(ctx, "t-new", PUBLISHED, limit=3, seed=1) == []  # one turn-down says little
    _react(ctx, "t-new", "avocate", ["avo-salaire"])
    assert len(for_you(ctx, "t-new", PUBLISHED, limit=3, seed=1)) == 3


def test_one_like_leaves_room_for_both_readings_of_it(ctx: RunContext) -> None:
    """One liked salary clip of the nurse: the student may like nurses or salaries; the shelf offers both."""
    _react(ctx, "t-one", "salaire", ["inf-salaire"])
    shelf = for_you(ctx, "t-one", PUBLISHED, limit=6, seed=1)
    ids = {h.clip_id for h in shelf}
    assert {"avo-salaire", "che-salaire", "dév-salaire"} <= ids  # every other job's salary clip ...
    assert len([h for h in shelf if h.payload["job"] == "infirmière"]) >= 2  # ... and more of the nurse
