"""Register a recording with its consent record: the gate in front of every processing step."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from vidlib.consent import check_consent, load_consent
from vidlib.domain import Manifest
from vidlib.errors import MediaError
from vidlib.ids import recording_id_for
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.recording_lock import ensure_not_withdrawn
from vidlib.pipelines.stages.media import probe_media
from vidlib.storage.layout import original_key, quarantine_key
from vidlib.storage.manifests import now_iso

ACCEPTED_SUFFIXES = {".mp4", ".webm", ".mkv", ".mov", ".m4a", ".mp3", ".wav", ".ogg", ".opus"}


@dataclass(frozen=True)
class IngestResult:
    recording_id: str
    created: bool


def ingest_recording(ctx: RunContext, path: Path, consent_path: Path) -> IngestResult:
    """Check consent, validate the media, store the original and a manifest. Re-ingesting is a no-op.

    Refusals store nothing of the recording; a media refusal leaves a quarantine note (reason only).
    """

    s = ctx.settings
    if not path.is_file():
        raise MediaError(f"recording not found: {path}")
    size = path.stat().st_size
    if size > s.max_file_bytes:
        raise MediaError(f"recording is {size / 1e9:.1f} GB, over the {s.max_file_bytes / 1e9:.1f} GB limit")
    consent = load_consent(consent_path)
    check_consent(consent)
    recording_id = recording_id_for(path)
    ensure_not_withdrawn(ctx, recording_id)
    if ctx.repo.exists(recording_id):
        return IngestResult(recording_id, created=False)
    try:
        media = probe_media(path, max_duration_s=s.max_duration_s, max_file_bytes=s.max_file_bytes)
    except MediaError as exc:
        note = {"recording_id": recording_id, "reason": str(exc), "at": now_iso(), "suffix": path.suffix.lower()}
        ctx.store.put_bytes(quarantine_key(recording_id), json.dumps(note).encode(), "application/json")
        raise
    suffix = path.suffix.lower() if path.suffix.lower() in ACCEPTED_SUFFIXES else ".bin"
    key = original_key(recording_id, suffix)
    ctx.store.put_file(key, path)
    manifest = Manifest(
        recording_id=recording_id,
        source_name=path.name,
        original_key=key,
        consent=consent,
        media=media,
        status="registered",
    )
    ctx.repo.save(manifest)
    return IngestResult(recording_id, created=True)
