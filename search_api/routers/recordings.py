"""``GET /recordings/{id}/chapters``: the topics of a call and their clips (a student: published clips only)."""

from __future__ import annotations

from fastapi import APIRouter

from vidlib.ids import checked_recording_id
from vidlib.search_api.chapters import recording_chapters
from vidlib.search_api.deps import CurrentUser, ServicesDep
from vidlib.search_api.schemas import RecordingChapters

router = APIRouter(prefix="/recordings", tags=["recordings"])


@router.get("/{recording_id}/chapters", response_model=RecordingChapters)
def chapters(recording_id: str, services: ServicesDep, who: CurrentUser) -> RecordingChapters:
    manifest = services.ctx.repo.load(checked_recording_id(recording_id))
    return recording_chapters(manifest, who.role)
