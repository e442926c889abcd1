"""``/clips/{id}``: metadata and transcript, media with Range, subtitles, thumbnail, similar clips.

Media, subtitles and thumbnails accept a bearer token or a signed link (``role``, ``exp``, ``sig``) from a
response of this API, since ``<video>``/``<track>``/``<img>`` cannot send headers. Either way a student
gets 404 for a clip that is not published.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials

from vidlib.errors import NotFoundError
from vidlib.search_api.deps import CurrentUser, ServicesDep, bearer_scheme, principal_of
from vidlib.search_api.errors import AuthError
from vidlib.search_api.query import understand
from vidlib.search_api.ranges import object_response
from vidlib.search_api.schemas import ClipDetail, ClipList, ClipSummary
from vidlib.search_api.tokens import Principal
from vidlib.search_api.views import detail, summary_fields

router = APIRouter(prefix="/clips", tags=["clips"])


async def media_principal(
    clip_id: str,
    services: ServicesDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    role: str | None = None,
    exp: int | None = None,
    sig: str | None = None,
) -> Principal:
    if creds is not None:
        return principal_of(services, creds)
    if role is None or exp is None or sig is None:
        raise AuthError("media needs a token or a signed link: use the links of GET /clips/{id} or /search")
    signed = services.signer.verify(clip_id, role, exp, sig)
    if signed is None:
        raise AuthError("this media link is invalid or expired; search again for fresh links")
    return Principal(name="signed-link", role=signed)


MediaUser = Annotated[Principal, Depends(media_principal)]


@router.get("/{clip_id}", response_model=ClipDetail)
def get_clip(
    clip_id: str,
    services: ServicesDep,
    who: CurrentUser,
    q: Annotated[str | None, Query(max_length=500, description="the search that found it: sets `moment`")] = None,
) -> ClipDetail:
    ref = services.catalog.visible(clip_id, who)
    searched = (q, understand(q).rewritten) if q else ()
    return detail(ref.clip, ref.manifest, who.role, services.signer, searched)


@router.get("/{clip_id}/media")
def clip_media(
    clip_id: str,
    services: ServicesDep,
    who: MediaUser,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> Response:
    clip = services.catalog.visible(clip_id, who).clip
    media_type = "video/mp4" if clip.video_key.endswith(".mp4") else "audio/mp4"
    return object_response(services.ctx.store, clip.video_key, media_type, range_header)


@router.get("/{clip_id}/subtitles.vtt")
def clip_subtitles(clip_id: str, services: ServicesDep, who: MediaUser) -> Response:
    clip = services.catalog.visible(clip_id, who).clip
    body = services.ctx.store.get_bytes(clip.subtitles_key)
    return Response(body, media_type="text/vtt; charset=utf-8", headers={"Cache-Control": "private, no-cache"})


@router.get("/{clip_id}/thumbnail.jpg")
def clip_thumbnail(clip_id: str, services: ServicesDep, who: MediaUser) -> Response:
    clip = services.catalog.visible(clip_id, who).clip
    if not clip.thumbnail_key:
        raise NotFoundError(f"clip {clip_id} has no thumbnail (audio-only recording)")
    return Response(
        services.ctx.store.get_bytes(clip.thumbnail_key),
        media_type="image/jpeg",
        headers={"Cache-Control": "private, no-cache"},
    )


@router.get("/{clip_id}/similar", response_model=ClipList)
def similar(
    clip_id: str, services: ServicesDep, who: CurrentUser, limit: Annotated[int, Query(ge=1, le=20)] = 5
) -> ClipList:
    services.catalog.visible(clip_id, who)
    state = None if who.at_least("moderator") else "published"
    with services.catalog.lock:
        hits = services.ctx.index.similar(clip_id, {"state": state}, limit)
    return ClipList(
        clips=[ClipSummary(**summary_fields(h.clip_id, h.payload, who.role, services.signer)) for h in hits]
    )
