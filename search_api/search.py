"""Search over the clip index: keyword (French BM25-style sparse), semantic (e5 dense) or hybrid (weighted RRF)."""

from __future__ import annotations

from dataclasses import dataclass

from vidlib.pipelines.context import RunContext
from vidlib.storage.index import Hit, SearchMode
from vidlib.text import sparse_terms


@dataclass(frozen=True)
class SearchHit:
    clip_id: str
    recording_id: str
    start: float
    end: float
    title: str
    score: float
    topic: str
    job: str
    state: str


def search_clips(
    ctx: RunContext,
    query: str,
    *,
    mode: SearchMode = "hybrid",
    limit: int = 10,
    offset: int = 0,
    job: str | None = None,
    sector: str | None = None,
    topic: str | None = None,
    include_unpublished: bool = False,
) -> list[SearchHit]:
    """Published clips only unless ``include_unpublished`` (operators)."""
    hits = search_index(
        ctx,
        query,
        mode=mode,
        limit=limit,
        offset=offset,
        filters={"job": job, "sector": sector, "topic": topic},
        include_unpublished=include_unpublished,
    )
    return [
        SearchHit(
            h.clip_id,
            h.payload["recording_id"],
            h.payload["start"],
            h.payload["end"],
            h.payload["title"],
            round(h.score, 4),
            h.payload.get("topic", ""),
            h.payload.get("job", ""),
            h.payload.get("state", ""),
        )
        for h in hits
    ]


def search_index(
    ctx: RunContext,
    query: str,
    *,
    mode: SearchMode = "hybrid",
    limit: int = 10,
    offset: int = 0,
    filters: dict[str, str | None] | None = None,
    include_unpublished: bool = False,
) -> list[Hit]:
    """Raw index hits (payload included) for the API; any payload field can filter (job, sector, topic, language)."""
    dense = ctx.models.embedder().embed_queries([query])[0] if mode != "keyword" else None
    sparse = sparse_terms(query) if mode != "semantic" else None
    flt = {**(filters or {}), "state": None if include_unpublished else "published"}
    return ctx.index.search(mode, dense=dense, sparse=sparse, filters=flt, limit=limit, offset=offset)
