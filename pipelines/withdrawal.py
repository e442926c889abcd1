"""Consent withdrawal: purge every artefact of a recording and keep a tombstone without personal data."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass

from vidlib import filelock
from vidlib.errors import ConsentError, NotFoundError
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.recording_lock import lock_path, withdrawn_at
from vidlib.storage.layout import quarantine_key, recording_prefix, tombstone_key
from vidlib.storage.manifests import now_iso

WITHDRAW_WAIT_S = 120.0


@dataclass(frozen=True)
class WithdrawalReport:
    recording_id: str
    participant_role: str
    deleted_objects: int
    deleted_points: int
    tombstone_key: str


def withdraw_consent(
    ctx: RunContext, recording_id: str, participant: str | None, requested_by: str, *, wait_s: float = WITHDRAW_WAIT_S
) -> WithdrawalReport:
    """Delete the original, audio, transcripts, clips, manifest, stage results, index points and work files.

    ``participant`` is a name or role from the consent record; the tombstone keeps only its role
    ("unspecified" when None: the whole recording's consent is withdrawn, e.g. by the organiser)."""
    if not ctx.repo.exists(recording_id):
        if withdrawn_at(ctx, recording_id):
            raise NotFoundError(f"{recording_id} was already withdrawn and purged")
        raise NotFoundError(f"no recording with id {recording_id}")
    manifest = ctx.repo.load(recording_id)
    role = "unspecified"
    if participant is not None:
        match = [p for p in manifest.consent.participants if participant.casefold() in (p.name.casefold(), p.role)]
        if not match:
            raise ConsentError(f"'{participant}' is not a participant of {recording_id} (give a name or a role)")
        role = match[0].role
    tombstone = {
        "recording_id": recording_id,
        "withdrawn_at": now_iso(),
        "participant_role": role,
        "requested_by": requested_by,
    }
    # the tombstone first: a writer waiting for the recording's lock finds it and writes nothing, a flow still
    # running stops at its next stage
    ctx.store.put_bytes(tombstone_key(recording_id), json.dumps(tombstone).encode(), "application/json")
    # then the purge, under the lock: a re-cut or decision in progress ends (and its writes are purged) first. A
    # processing run may hold it longer than ``wait_s``: the purge goes ahead, and the run, stopping at its next
    # stage on the tombstone, purges what it wrote meanwhile (``vidlib.pipelines.flows``)
    fd = filelock.acquire(lock_path(ctx.settings, recording_id), wait_s)
    try:
        points = ctx.index.count(recording_id)
        ctx.index.delete_recording(recording_id)
        objects = ctx.store.delete_prefix(recording_prefix(recording_id))
        ctx.store.delete(quarantine_key(recording_id))
        shutil.rmtree(ctx.settings.home / "work" / recording_id, ignore_errors=True)
    finally:
        filelock.release(fd)
    return WithdrawalReport(recording_id, role, objects, points, tombstone_key(recording_id))
