"""The student's home page without typing: shelves of clips and the library's catalogue.

* **au hasard**: random published clips;
* **métiers rares**: one clip of each of the least represented jobs of the library (the third with the fewest clips);
* **modèles**: one clip of each woman whose job is in a sector where women are few (``data/jobs_fr.json``: its
  feminine forms and ``women_underrepresented_sectors``), from her chapter about it when there is one;
* **by topic**: the career topics with their number of clips;
* **catalogue**: the library's sectors, each with its jobs (as the consent records name them) and clip counts;
* **by style of work**: créatif, manuel, en extérieur... (``pipelines/stages/styles.py``) with their clip counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from vidlib.search_api.query import Lexicon, library_jobs
from vidlib.storage.index import ClipIndex, Filters, Hit

SHELF_SIZE = 8
WOMEN_TOPIC = "femmes_secteur"


@dataclass(frozen=True)
class Shelf:
    key: str
    title: str
    hits: list[Hit]


@dataclass(frozen=True)
class Catalogue:
    topics: dict[str, int]  # topic -> clips
    sectors: dict[str, dict[str, int]]  # sector -> job -> clips
    styles: dict[str, int]  # style of work -> clips


def shelves(index: ClipIndex, state: Filters, lexicon: Lexicon) -> list[Shelf]:
    jobs = index.facet("job", state)
    library = library_jobs(jobs.items(), {}, lexicon)
    out = [Shelf("hasard", "Au hasard, pour découvrir", index.sample(state, SHELF_SIZE))]
    if len(jobs) > 1:
        by_count = sorted(jobs, key=lambda job: (jobs[job], job))
        rare = by_count[: max(1, min(SHELF_SIZE, len(by_count) // 3))]
        out.append(Shelf("rares", "Des métiers rares dans la bibliothèque", _one_each(index, state, rare)))
    models = [job.title for job in library if job.role_model]
    if models:
        out.append(
            Shelf(
                "modeles",
                "Des femmes dans des métiers où elles sont peu nombreuses",
                _one_each(index, state, models, prefer={"topic": WOMEN_TOPIC}),
            )
        )
    return [shelf for shelf in out if shelf.hits]


def catalogue(index: ClipIndex, state: Filters) -> Catalogue:
    sectors = {sector: index.facet("job", {**state, "sector": sector}) for sector in index.facet("sector", state)}
    return Catalogue(index.facet("topic", state), dict(sorted(sectors.items())), index.facet("styles", state))


def _one_each(index: ClipIndex, state: Filters, jobs: list[str], prefer: Filters | None = None) -> list[Hit]:
    hits = []
    for job in jobs:
        found = index.sample({**state, **(prefer or {}), "job": job}, 1) if prefer else []
        hits += found or index.sample({**state, "job": job}, 1)
    return hits
