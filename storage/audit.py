"""The moderation audit log of a recording, kept beside its manifest: ``recordings/<id>/audit.json``."""

from __future__ import annotations

from pydantic import TypeAdapter

from vidlib.domain import AuditEntry
from vidlib.errors import NotFoundError
from vidlib.storage.layout import audit_key
from vidlib.storage.objectstore import ObjectStore

_ENTRIES = TypeAdapter(list[AuditEntry])


def load_audit(store: ObjectStore, recording_id: str) -> list[AuditEntry]:
    try:
        return _ENTRIES.validate_json(store.get_bytes(audit_key(recording_id)))
    except NotFoundError:
        return []


def append_audit(store: ObjectStore, recording_id: str, entry: AuditEntry) -> None:
    """Append one entry. Callers hold the recording's decision lock (read-modify-write)."""
    entries = load_audit(store, recording_id)
    entries.append(entry)
    store.put_bytes(audit_key(recording_id), _ENTRIES.dump_json(entries, indent=1), "application/json")


def clip_history(store: ObjectStore, recording_id: str, clip_id: str) -> list[AuditEntry]:
    return [e for e in load_audit(store, recording_id) if e.clip_id == clip_id]
