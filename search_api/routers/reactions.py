"""``/me/reactions`` and ``/me/for-you``: a student's reactions to clips and the "pour toi" shelf built from them.

Kept under an id derived from the caller's token (no name), shown to that token only, deleted on request.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from vidlib.search_api.catalog import not_found
from vidlib.search_api.deps import CurrentUser, ServicesDep
from vidlib.search_api.schemas import ClipList, ClipSummary
from vidlib.search_api.suggestions import for_you, forget, reactions, record
from vidlib.search_api.views import summary_fields

router = APIRouter(prefix="/me", tags=["suggestions"])


class ReactionIn(BaseModel):
    clip_id: str = Field(max_length=64)
    reaction: Literal["utile", "pas_pour_moi", "vu"] = Field(
        description="utile, pas_pour_moi, or vu: only how long it was watched (watched_s)"
    )
    watched_s: float = Field(0.0, ge=0, le=24 * 3600)


class ReactionOut(BaseModel):
    clip_id: str
    reaction: str
    watched_s: float


class Forgotten(BaseModel):
    deleted: int = Field(description="how many reactions were deleted")


@router.post("/reactions", response_model=ReactionOut)
def react(body: ReactionIn, services: ServicesDep, who: CurrentUser) -> ReactionOut:
    """Keep the caller's reaction to a clip they may see (404 otherwise)."""
    services.catalog.visible(body.clip_id, who)
    with services.catalog.lock:
        hit = services.ctx.index.get(body.clip_id)
    if hit is None:  # in a manifest but not indexed (being re-indexed): as any unknown clip
        raise not_found(body.clip_id)
    kept = record(services.ctx, who.token_id, hit, body.reaction, body.watched_s)
    return ReactionOut(clip_id=kept.clip_id, reaction=kept.reaction, watched_s=kept.watched_s)


@router.get("/reactions", response_model=list[ReactionOut])
def my_reactions(services: ServicesDep, who: CurrentUser) -> list[ReactionOut]:
    return [
        ReactionOut(clip_id=r.clip_id, reaction=r.reaction, watched_s=r.watched_s)
        for r in reactions(services.ctx, who.token_id)
    ]


@router.delete("/reactions", response_model=Forgotten)
def forget_me(services: ServicesDep, who: CurrentUser) -> Forgotten:
    """Delete every reaction kept for the caller's token."""
    return Forgotten(deleted=forget(services.ctx, who.token_id))


@router.get("/for-you", response_model=ClipList)
def pour_toi(services: ServicesDep, who: CurrentUser, limit: Annotated[int, Query(ge=1, le=20)] = 6) -> ClipList:
    """Clips ranked by the caller's taste (the jobs, sectors and topics they liked and turned down), near those they
    liked, never one they reacted to; empty until a like or two turn-downs."""
    with services.catalog.lock:
        hits = for_you(services.ctx, who.token_id, {"state": "published"}, limit)
    return ClipList(
        clips=[ClipSummary(**summary_fields(h.clip_id, h.payload, who.role, services.signer)) for h in hits]
    )
