"""Content-derived ids: re-running anything with the same inputs yields the same ids."""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path

from vidlib.errors import NotFoundError

_CHUNK = 1 << 20
_NAMESPACE = uuid.UUID("6f1c4f0e-6d1b-4c55-9a53-3f6f0c1f2b7a")
_RECORDING_ID = re.compile(r"rec_[0-9a-f]{24}")


def checked_recording_id(recording_id: str) -> str:
    """``recording_id`` if it has the shape of one (so it is safe in a key or a file name); NotFoundError if not."""
    if not _RECORDING_ID.fullmatch(recording_id):
        raise NotFoundError(f"no recording has the id {recording_id[:80]!r} (ids look like rec_ and 24 hex digits)")
    return recording_id


def recording_id_for(path: Path) -> str:
    """Recording id = first 24 hex digits of the file's SHA-256 (re-ingesting the same bytes is a no-op)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return "rec_" + digest.hexdigest()[:24]


def clip_id_for(recording_id: str, start: float, end: float) -> str:
    """Clip id from the recording and its millisecond span: stable across re-runs, unguessable across recordings."""
    key = f"{recording_id}:{round(start * 1000)}:{round(end * 1000)}"
    return "clip_" + hashlib.sha256(key.encode()).hexdigest()[:24]


def point_id_for(clip_id: str) -> str:
    """Qdrant point id (a UUID) derived from the clip id, so re-indexing upserts instead of duplicating."""
    return str(uuid.uuid5(_NAMESPACE, clip_id))


def chapter_id_for(recording_id: str, start: float, end: float) -> str:
    """Chapter id from the recording and the chapter's millisecond span, like a clip id."""
    key = f"chapter:{recording_id}:{round(start * 1000)}:{round(end * 1000)}"
    return "chap_" + hashlib.sha256(key.encode()).hexdigest()[:24]
