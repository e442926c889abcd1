"""Finding clips by id in the manifests (the source of truth), and what each role may see of them."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from vidlib.domain import Clip, Manifest
from vidlib.errors import NotFoundError, WithdrawnError
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.recording_lock import ensure_not_withdrawn
from vidlib.search_api.tokens import Principal

_CLIP_ID = re.compile(r"^clip_[0-9a-f]{24}$")


@dataclass(frozen=True)
class ClipRef:
    manifest: Manifest
    clip: Clip

    @property
    def recording_id(self) -> str:
        return self.manifest.recording_id


def not_found(clip_id: str) -> NotFoundError:
    return NotFoundError(f"no clip with id {clip_id}")


class Catalog:
    """Clip id -> (manifest, clip). The recording of a clip is found through the index, else by a scan.

    ``lock`` serialises use of the embedded index and the embedding model across request threads.
    """

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.lock = threading.RLock()
        self._where: dict[str, str] = {}

    def find(self, clip_id: str) -> ClipRef:
        if not _CLIP_ID.match(clip_id):
            raise not_found(clip_id)
        rid = self._where.get(clip_id) or self._recording_from_index(clip_id)
        if rid is not None:
            ref = self._in_manifest(rid, clip_id)
            if ref is not None:
                return ref
        for ref in self.all_clips():
            if ref.clip.clip_id == clip_id:
                return ref
        raise not_found(clip_id)

    def visible(self, clip_id: str, who: Principal) -> ClipRef:
        """The clip if ``who`` may see it. Students see published clips only; any other clip is 'not found'."""
        try:
            ref = self.find(clip_id)
        except WithdrawnError:
            if who.at_least("moderator"):
                raise
            raise not_found(clip_id) from None  # a student learns nothing of a withdrawn recording
        if ref.clip.state != "published" and not who.at_least("moderator"):
            raise not_found(clip_id)
        return ref

    def all_clips(self) -> Iterator[ClipRef]:
        repo = self.ctx.repo
        for rid in repo.list_ids():
            manifest = repo.load(rid)
            for clip in manifest.clips:
                self._where[clip.clip_id] = rid
                yield ClipRef(manifest, clip)

    def _recording_from_index(self, clip_id: str) -> str | None:
        with self.lock:
            hit = self.ctx.index.get(clip_id)
        return str(hit.payload["recording_id"]) if hit else None

    def _in_manifest(self, recording_id: str, clip_id: str) -> ClipRef | None:
        try:
            manifest = self.ctx.repo.load(recording_id)
        except NotFoundError:
            ensure_not_withdrawn(self.ctx, recording_id)  # a clip of a withdrawn recording: 410 with the reason
            return None
        for clip in manifest.clips:
            if clip.clip_id == clip_id:
                self._where[clip_id] = recording_id
                return ClipRef(manifest, clip)
        return None
