"""One writer per recording: every change to a recording's manifest, stage results, media, audit log or index points
holds its lock, ``<home>/locks/<recording_id>.lock`` (``flock``: inter-process, so it holds between the API, the CLI
and the workers on one machine; released by the kernel if the holder dies).

Holders: a processing run (for the whole run), a moderation decision or edit (re-cuts included), consent withdraw,
amend, confirm and recheck, expiry, reindex. Under the lock a writer re-reads the manifest and the withdrawal
tombstone (``writing`` checks the tombstone), so the last writer never saves a stale copy over another's change.
Across machines, the per-recording concurrency of the deployment does the same (docs/scaling.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vidlib import filelock
from vidlib.errors import BusyError, WithdrawnError
from vidlib.ids import checked_recording_id
from vidlib.pipelines.context import RunContext
from vidlib.settings import Settings
from vidlib.storage.layout import tombstone_key


def lock_path(settings: Settings, recording_id: str) -> Path:
    return settings.home / "locks" / f"{checked_recording_id(recording_id)}.lock"


def withdrawn_at(ctx: RunContext, recording_id: str) -> str | None:
    key = tombstone_key(recording_id)
    return json.loads(ctx.store.get_bytes(key))["withdrawn_at"] if ctx.store.exists(key) else None


def ensure_not_withdrawn(ctx: RunContext, recording_id: str) -> None:
    """Raise ConsentError when consent for this recording was withdrawn (stops a running flow at its next stage)."""
    when = withdrawn_at(ctx, recording_id)
    if when is not None:
        raise WithdrawnError(
            f"consent for {recording_id} was withdrawn on {when}: it was purged, nothing more is processed or changed"
        )


@contextmanager
def held_for_run(settings: Settings, recording_id: str) -> Iterator[None]:
    """A processing run: waits as long as another run (or a change) of the same recording takes."""
    with filelock.held(lock_path(settings, recording_id)):
        yield


@contextmanager
def writing(ctx: RunContext, recording_id: str) -> Iterator[None]:
    """Hold the recording's lock for a change; ``BusyError`` after ``settings.recording_lock_wait_s``,
    ``WithdrawnError`` (writing nothing) when consent was withdrawn. Not re-entrant: a holder must not take it again
    (it would wait for itself)."""
    wait_s = ctx.settings.recording_lock_wait_s
    fd = filelock.acquire(lock_path(ctx.settings, recording_id), wait_s)
    if fd is None:
        raise BusyError(
            f"{recording_id} is being processed or changed by another writer (a processing run, a "
            f"re-cut) for more than {wait_s:.0f} s: nothing was changed; try again in a few minutes"
        )
    try:
        ensure_not_withdrawn(ctx, recording_id)
        yield
    finally:
        filelock.release(fd)
