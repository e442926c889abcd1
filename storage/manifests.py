"""Manifests and stage results, stored as JSON in the object store (the source of truth)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from vidlib.domain import Manifest
from vidlib.errors import NotFoundError, StorageError
from vidlib.storage.layout import manifest_key, recordings_root, stage_key
from vidlib.storage.objectstore import ObjectStore
from vidlib.storage.stage_keys import StageKey

T = TypeVar("T")
_MANIFEST = TypeAdapter(Manifest)
_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> TypeAdapter[Any]:
    if tp not in _ADAPTERS:
        _ADAPTERS[tp] = TypeAdapter(tp)
    return _ADAPTERS[tp]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ManifestRepo:
    """Load and save manifests and per-stage results of recordings."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def exists(self, recording_id: str) -> bool:
        return self.store.exists(manifest_key(recording_id))

    def load(self, recording_id: str) -> Manifest:
        try:
            raw = self.store.get_bytes(manifest_key(recording_id))
        except NotFoundError as exc:
            raise NotFoundError(f"no recording with id {recording_id}") from exc
        try:
            return _MANIFEST.validate_json(raw)
        except ValidationError as exc:
            raise StorageError(f"manifest of {recording_id} is unreadable: {exc.errors()[0]['msg']}") from exc

    def save(self, manifest: Manifest) -> Manifest:
        from dataclasses import replace

        stamped = replace(manifest, updated_at=now_iso(), created_at=manifest.created_at or now_iso())
        self.store.put_bytes(
            manifest_key(stamped.recording_id), _MANIFEST.dump_json(stamped, indent=1), "application/json"
        )
        return stamped

    def list_ids(self) -> list[str]:
        keys = self.store.list_keys(recordings_root())
        return sorted({k.split("/")[1] for k in keys if k.endswith("/manifest.json")})

    # --- stage results ---------------------------------------------------------------------
    def has_stage(self, recording_id: str, stage: StageKey[Any]) -> bool:
        return self.store.exists(stage_key(recording_id, stage.name))

    def save_stage(self, recording_id: str, stage: StageKey[T], value: T) -> str:
        key = stage_key(recording_id, stage.name)
        self.store.put_bytes(key, _adapter(stage.tp).dump_json(value), "application/json")
        return key

    def load_stage(self, recording_id: str, stage: StageKey[T]) -> T:
        raw = self.store.get_bytes(stage_key(recording_id, stage.name))
        value: T = _adapter(stage.tp).validate_json(raw)
        return value

    def update_stage(self, recording_id: str, stage: StageKey[T], change: Callable[[T], T]) -> None:
        """Rewrite a stored stage result with ``change`` (a correction, redaction or split that a re-run must keep);
        nothing when the stage was never stored."""
        if self.has_stage(recording_id, stage):
            self.save_stage(recording_id, stage, change(self.load_stage(recording_id, stage)))

    @staticmethod
    def to_json_dict(manifest: Manifest) -> dict[str, Any]:
        data: dict[str, Any] = _MANIFEST.dump_python(manifest, mode="json")
        return data
