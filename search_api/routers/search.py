"""``GET /search``, ``GET /discover``, ``GET /browse`` and ``GET /styles``: published clips for students, everything for
moderators on request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from vidlib.pipelines.stages.styles import load_styles
from vidlib.pipelines.stages.topics import OTHER, topic_label
from vidlib.search_api.browse import catalogue, shelves
from vidlib.search_api.deps import CurrentUser, Services, ServicesDep
from vidlib.search_api.errors import ForbiddenError
from vidlib.search_api.query import load_lexicon
from vidlib.search_api.schemas import (
    BrowseOut,
    ClipList,
    ClipSummary,
    JobCount,
    NoAnswerOut,
    SearchHit,
    SearchResponse,
    SectorJobs,
    ShelfOut,
    StyleCount,
    TopicCount,
    Understood,
)
from vidlib.search_api.search import GREETING, Found, close_to, find
from vidlib.search_api.snippets import highlight_snippet
from vidlib.search_api.tokens import Principal
from vidlib.search_api.views import summary_fields
from vidlib.storage.index import Filters, Hit, SearchMode

SHELF_SIZE = 6

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResponse)
async def search(
    services: ServicesDep,
    who: CurrentUser,
    q: Annotated[str, Query(min_length=1, max_length=500, description="what to look for, in French")],
    mode: SearchMode = "hybrid",
    job: str | None = None,
    sector: str | None = None,
    topic: str | None = None,
    style: Annotated[str | None, Query(description="a style of work (see /styles), e.g. creatif")] = None,
    lang: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
    include_unpublished: Annotated[bool, Query(description="moderators only")] = False,
) -> SearchResponse:
    filters: Filters = {"job": job, "sector": sector, "topic": topic, "styles": style, "language": lang}
    # async, with the search itself on one worker thread: FastAPI runs a plain ``def`` route on a thread, then
    # checks its response on another (one hop per request instead of two)
    return await run_in_threadpool(
        _search, services, who, q, mode, filters, limit, offset, include_unpublished=include_unpublished
    )


def _search(
    services: Services,
    who: Principal,
    q: str,
    mode: SearchMode,
    filters: Filters,
    limit: int,
    offset: int,
    *,
    include_unpublished: bool,
) -> SearchResponse:
    if include_unpublished and not who.at_least("moderator"):
        raise ForbiddenError("include_unpublished is for moderators; students search published clips only")
    # no catalog lock: the embedded index serialises its own calls, ONNX Runtime and the caches are thread-safe
    found = find(
        services.ctx,
        q,
        mode=mode,
        limit=limit,
        offset=offset,
        filters=filters,
        include_unpublished=include_unpublished,
    )
    state: Filters = {"state": None if include_unpublished else "published"}
    no_answer = _no_answer(services, who, found, state) if not found.hits and offset == 0 else None
    out = [
        SearchHit(
            **summary_fields(h.clip_id, h.payload, who.role, services.signer),
            score=h.score,
            snippet=highlight_snippet(str(h.payload.get("text", "")), f"{q} {found.understanding.rewritten}"),
        )
        for h in found.hits
    ]
    lexicon = load_lexicon()
    understood = Understood(
        rewritten=found.understanding.rewritten,
        jobs=list(found.jobs),
        sectors=[named.name for key in found.understanding.sectors if (named := lexicon.sector(key))],
        topic=found.topic,
        topic_label=topic_label(found.topic),
    )
    return SearchResponse(
        query=q, mode=mode, limit=limit, offset=offset, hits=out, understood=understood, no_answer=no_answer
    )


def _no_answer(services: Services, who: Principal, found: Found, state: Filters) -> NoAnswerOut:
    """What to say when nothing answers, and a shelf of what is close: the clips nearest the query in meaning,
    among the related jobs when there are some."""
    asked = found.no_answer.asked if found.no_answer else ()
    related = found.no_answer.related if found.no_answer else ()
    if asked:
        message = (
            f"Personne dans la bibliothèque n'est {' ni '.join(asked)} pour l'instant. "
            "Voici des extraits qui s'en approchent ; tu peux aussi chercher un autre métier."
        )
    elif found.off_topic:
        message = (
            "Ici, des professionnels parlent de leur métier : ce qu'ils font, leurs études, leurs horaires, "
            "leur salaire… Ta question n'en parle pas. Pose une question sur un métier, ou clique sur "
            "« Découvrir »."
        )
    else:
        message = (
            "Aucun extrait ne répond vraiment à ta question. "
            "Essaie avec d'autres mots, ou regarde ce qui s'en approche."
        )
    near = {**state, "job": tuple(related) or None}
    # a recipe, the weather: clips "close" to it in meaning would be no help
    shelf = [] if found.off_topic else close_to(services.ctx, found, near, SHELF_SIZE)
    return NoAnswerOut(
        message=message,
        asked_jobs=list(asked),
        related_jobs=list(related),
        shelf=[ClipSummary(**summary_fields(h.clip_id, h.payload, who.role, services.signer)) for h in shelf],
    )


@router.get("/discover", response_model=ClipList)
def discover(
    services: ServicesDep,
    who: CurrentUser,
    job: str | None = None,
    sector: str | None = None,
    topic: str | None = None,
    style: str | None = None,
    lang: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 6,
) -> ClipList:
    """Random published clips, optionally filtered (``style``: a style of work, see /styles)."""
    filters = {"job": job, "sector": sector, "topic": topic, "styles": style, "language": lang, "state": "published"}
    with services.catalog.lock:
        hits = services.ctx.index.sample(filters, limit)
    return ClipList(
        clips=[ClipSummary(**summary_fields(h.clip_id, h.payload, who.role, services.signer)) for h in hits]
    )


@router.get("/browse", response_model=BrowseOut)
def browse(services: ServicesDep, who: CurrentUser) -> BrowseOut:
    """The home page's shelves (random, rare jobs, role models), the topics and the catalogue of jobs by sector."""
    state: Filters = {"state": "published"}
    with services.catalog.lock:
        found = shelves(services.ctx.index, state, load_lexicon())
        listed = catalogue(services.ctx.index, state)

    styles = load_styles()

    def summaries(hits: list[Hit]) -> list[ClipSummary]:
        return [ClipSummary(**summary_fields(h.clip_id, h.payload, who.role, services.signer)) for h in hits]

    return BrowseOut(
        shelves=[ShelfOut(key=s.key, title=s.title, clips=summaries(s.hits)) for s in found],
        topics=[
            TopicCount(topic=t, topic_label=topic_label(t), clips=n)
            for t, n in sorted(listed.topics.items(), key=lambda item: -item[1])
            if t not in (GREETING, OTHER)
        ],
        catalogue=[
            SectorJobs(sector=sector, jobs=[JobCount(job=j, clips=n) for j, n in sorted(jobs.items())])
            for sector, jobs in listed.sectors.items()
        ],
        styles=[
            StyleCount(style=key, style_label=name, clips=listed.styles[key])
            for key, name in zip(styles.keys, styles.names)
            if listed.styles.get(key)
        ],
    )


@router.get("/styles")
def styles_of_work(who: CurrentUser) -> dict[str, str]:
    """The styles of work: identifier -> French name."""
    styles = load_styles()
    return dict(zip(styles.keys, styles.names))
