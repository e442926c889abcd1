"""``GET /search`` and ``GET /discover``: published clips for students, everything for moderators on request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vidlib.search_api.deps import CurrentUser, ServicesDep
from vidlib.search_api.errors import ForbiddenError
from vidlib.search_api.schemas import ClipList, ClipSummary, SearchHit, SearchResponse
from vidlib.search_api.search import search_index
from vidlib.search_api.snippets import highlight_snippet
from vidlib.search_api.views import summary_fields
from vidlib.storage.index import SearchMode

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResponse)
def search(
    services: ServicesDep,
    who: CurrentUser,
    q: Annotated[str, Query(min_length=1, max_length=500, description="what to look for, in French")],
    mode: SearchMode = "hybrid",
    job: str | None = None,
    sector: str | None = None,
    topic: str | None = None,
    lang: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
    include_unpublished: Annotated[bool, Query(description="moderators only")] = False,
) -> SearchResponse:
    if include_unpublished and not who.at_least("moderator"):
        raise ForbiddenError("include_unpublished is for moderators; students search published clips only")
    filters = {"job": job, "sector": sector, "topic": topic, "language": lang}
    with services.catalog.lock:
        hits = search_index(
            services.ctx,
            q,
            mode=mode,
            limit=limit,
            offset=offset,
            filters=filters,
            include_unpublished=include_unpublished,
        )
    out = [
        SearchHit(
            **summary_fields(h.clip_id, h.payload, who.role, services.signer),
            score=round(h.score, 4),
            snippet=highlight_snippet(str(h.payload.get("text", "")), q),
        )
        for h in hits
    ]
    return SearchResponse(query=q, mode=mode, limit=limit, offset=offset, hits=out)


@router.get("/discover", response_model=ClipList)
def discover(
    services: ServicesDep,
    who: CurrentUser,
    job: str | None = None,
    sector: str | None = None,
    topic: str | None = None,
    lang: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 6,
) -> ClipList:
    """Random published clips, optionally filtered."""
    filters = {"job": job, "sector": sector, "topic": topic, "language": lang, "state": "published"}
    with services.catalog.lock:
        hits = services.ctx.index.sample(filters, limit)
    return ClipList(
        clips=[ClipSummary(**summary_fields(h.clip_id, h.payload, who.role, services.signer)) for h in hits]
    )
