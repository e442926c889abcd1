"""Moderation (``/review/queue``, decisions on ``/clips/{id}``, history) and administration (``/admin``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from search_api.audit import clip_history
from search_api.catalog import ClipRef
from search_api.deps import AdminUser, CurrentUser, ModeratorUser, ServicesDep
from search_api.moderation import Action
from search_api.schemas import (
    Decision,
    DecisionResult,
    History,
    Queue,
    QueueItem,
    ReindexResult,
    Rejection,
    Retitle,
    Trim,
)
from search_api.snippets import highlight_snippet
from search_api.tokens import Principal
from search_api.views import clip_version, detail, summary
from vidlib.domain import ClipState

router = APIRouter(tags=["review"])


@router.get("/me")
def me(who: CurrentUser) -> dict[str, str]:
    return {"name": who.name, "role": who.role}


@router.get("/review/queue", response_model=Queue)
def review_queue(services: ServicesDep, who: ModeratorUser, state: ClipState = "pending_review",
                 job: str | None = None, sector: str | None = None, topic: str | None = None,
                 recording_id: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                 offset: Annotated[int, Query(ge=0)] = 0) -> Queue:
    """Clips in ``state`` (pending by default), oldest recording first, then in the order of the call."""
    wanted = {"job": job, "sector": sector, "topic": topic}
    refs = []
    for ref in services.catalog.all_clips():
        info = ref.manifest.consent.recording
        have = {"job": info.job, "sector": info.sector, "topic": ref.clip.topic}
        if ref.clip.state != state or (recording_id and ref.recording_id != recording_id):
            continue
        if any(v is not None and have[k] != v for k, v in wanted.items()):
            continue
        refs.append(ref)
    refs.sort(key=lambda r: (r.manifest.created_at, r.recording_id, r.clip.start))
    items = [QueueItem(**summary(r.clip, r.manifest, who.role, services.signer).model_dump(),
                       version=clip_version(r.clip), created_at=r.manifest.created_at,
                       snippet=highlight_snippet(r.clip.text, "", width=40)) for r in refs[offset:offset + limit]]
    return Queue(total=len(refs), clips=items)


@router.get("/clips/{clip_id}/history", response_model=History)
def history(clip_id: str, services: ServicesDep, who: ModeratorUser) -> History:
    ref = services.catalog.find(clip_id)
    return History(clip_id=clip_id, entries=clip_history(services.ctx.store, ref.recording_id, clip_id))


def _decide(services: ServicesDep, clip_id: str, action: Action, who: Principal, body: Decision,
            **kwargs: object) -> DecisionResult:
    ref, entry = services.moderation.decide(clip_id, action, who, body.version, **kwargs)  # type: ignore[arg-type]
    return DecisionResult(clip=detail(ref.clip, ref.manifest, who.role, services.signer), entry=entry)


@router.post("/clips/{clip_id}/approve", response_model=DecisionResult)
def approve(clip_id: str, body: Decision, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """Publish the clip: students find and play it at once."""
    return _decide(services, clip_id, "approve", who, body)


@router.post("/clips/{clip_id}/reject", response_model=DecisionResult)
def reject(clip_id: str, body: Rejection, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """Reject (or take down) the clip, with a reason; students lose it at once."""
    return _decide(services, clip_id, "reject", who, body, reason=body.reason)


@router.post("/clips/{clip_id}/unpublish", response_model=DecisionResult)
def unpublish(clip_id: str, body: Decision, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """Send a published clip back to the review queue."""
    return _decide(services, clip_id, "unpublish", who, body)


@router.post("/clips/{clip_id}/retitle", response_model=DecisionResult)
def retitle(clip_id: str, body: Retitle, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    from dataclasses import replace

    title = " ".join(body.title.split())
    return _decide(services, clip_id, "retitle", who, body, change=lambda ref: replace(ref.clip, title=title))


@router.post("/clips/{clip_id}/trim", response_model=DecisionResult)
def trim(clip_id: str, body: Trim, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """New start/end (seconds of the recording), snapped to word edges; media and subtitles are re-cut."""
    from search_api.trim import retrim

    def change(ref: ClipRef):  # noqa: ANN202
        return retrim(services.ctx, ref.manifest, ref.clip, body.start, body.end)

    return _decide(services, clip_id, "trim", who, body, change=change)


@router.post("/admin/reindex", response_model=ReindexResult)
def reindex(services: ServicesDep, who: AdminUser) -> ReindexResult:
    """Rebuild the index from the manifests (the source of truth)."""
    from pipelines.reindex import reindex_all

    with services.catalog.lock:
        return ReindexResult(indexed=reindex_all(services.ctx))
