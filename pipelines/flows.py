"""Prefect flows: ``process_recording`` (one task per stage) and ``process_inbox`` (maps over new recordings).

Tasks are thin: they receive the Settings and a recording id, call a step (pipelines/steps.py) and return
the key of the persisted result. Transcription and diarisation run side by side (two cores). Retries only
for transient failures (storage, I/O); a refusal (bad media, consent) fails at once with its reason.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import TerminationSignal
from prefect.task_runners import ThreadPoolTaskRunner

from vidlib.errors import ConsentError, MediaError, ModelMissingError, StorageError
from vidlib.memory import release_freed_memory
from vidlib.pipelines import steps
from vidlib.pipelines.context import context_for
from vidlib.pipelines.expiry import expire_consents
from vidlib.pipelines.ingest import ACCEPTED_SUFFIXES, ingest_recording
from vidlib.pipelines.recording_lock import held_for_run, withdrawn_at
from vidlib.pipelines.reindex import reindex_all
from vidlib.pipelines.withdrawal import withdraw_consent as purge
from vidlib.settings import Settings
from vidlib.storage.layout import manifest_key, recording_prefix

PERMANENT = (MediaError, ConsentError, ModelMissingError)


def _transient_only(task_obj: Any, task_run: Any, state: Any) -> bool:
    """Retry storage/I-O hiccups, never a refusal that a retry cannot change."""
    try:
        state.result()
    except PERMANENT:
        return False
    except (StorageError, OSError, TimeoutError):
        return True
    except Exception:  # noqa: BLE001 - anything else is not known to be transient
        return False
    return False


HEAVY_TAG = "vidlib-heavy"  # CPU-bound stages; a tag concurrency limit caps them (docs/scaling.md)


def _stage_task(name: str, fn: Any, retries: int = 2, heavy: bool = False) -> Any:
    def body(settings: Settings, recording_id: str) -> str:
        return fn(context_for(settings), recording_id)

    body.__name__ = f"{name}_task"
    return task(
        name=name,
        retries=retries,
        retry_delay_seconds=[2, 10],
        retry_condition_fn=_transient_only,
        cache_policy=NO_CACHE,
        persist_result=False,
        tags=[HEAVY_TAG] if heavy else None,
    )(body)


probe_task = _stage_task("probe", steps.step_probe)
audio_task = _stage_task("extract_audio", steps.step_audio)
transcribe_task = _stage_task("transcribe", steps.step_transcribe, heavy=True)
diarize_task = _stage_task("diarize", steps.step_diarize, heavy=True)
attribute_task = _stage_task("attribute_speakers", steps.step_attribute)
chapters_task = _stage_task("chapters", steps.step_chapters)
segment_task = _stage_task("segment_clips", steps.step_segment)
plan_task = _stage_task("plan_clips", steps.step_plan)
cut_task = _stage_task("cut_clips", steps.step_cut, heavy=True)
enrich_task = _stage_task("enrich", steps.step_enrich)
embed_task = _stage_task("embed", steps.step_embed, heavy=True)
index_task = _stage_task("index", steps.step_index, retries=3)


def _mark_failed(settings: Settings, recording_id: str, exc: BaseException) -> str | None:
    """Record the failure in the manifest; after a consent withdrawal, purge what a running stage left and return
    when consent was withdrawn (None otherwise)."""
    from dataclasses import replace

    ctx = context_for(settings)
    try:
        when = withdrawn_at(ctx, recording_id)
        if when is not None:
            ctx.index.delete_recording(recording_id)
            ctx.store.delete_prefix(recording_prefix(recording_id))
            return when
        if not ctx.repo.exists(recording_id):
            return None
        status = "quarantined" if isinstance(exc, (MediaError, ConsentError)) else "failed"
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, (KeyboardInterrupt, TerminationSignal)):  # Prefect turns SIGTERM into TerminationSignal
            reason = f"interrupted ({reason}: Ctrl-C or a stop signal): process it again to finish"
        ctx.repo.save(replace(ctx.repo.load(recording_id), status=status, error=reason))
    except StorageError as store_down:  # the store itself failed: keep the first error, say what else happened
        exc.add_note(f"the failure could not be recorded in the manifest either: {store_down}")
    return None


@flow(name="process_recording", task_runner=ThreadPoolTaskRunner(max_workers=2), persist_result=False, log_prints=False)
def process_recording(recording_id: str, settings: Settings | None = None) -> str:
    """All stages for one registered recording; returns its manifest key. Safe to re-run.

    ``settings`` default to the environment (VIDLIB_*), as on a Prefect worker."""
    settings = settings or Settings()
    # one run per recording at a time on this machine: a second run of the same recording (the same file sent
    # twice at once) waits, then finds every stage done. Across machines, Prefect's idempotency keys and
    # deployment concurrency do that (docs/scaling.md).
    with held_for_run(settings, recording_id):  # the recording's one writer lock (pipelines.recording_lock)
        return _process_recording(settings, recording_id)


def _process_recording(settings: Settings, recording_id: str) -> str:
    context_for(settings).clear_stop(recording_id)
    try:
        probe_task(settings, recording_id)
        audio_task(settings, recording_id)
        asr = transcribe_task.submit(settings, recording_id)
        dia = diarize_task.submit(settings, recording_id)
        asr.result(), dia.result()
        context_for(settings).models.release_diarizer()
        context_for(settings).models.release_whisper()
        release_freed_memory()  # the two models' memory goes back before the cut and e5 need theirs
        for stage in (
            attribute_task,
            chapters_task,
            segment_task,
            plan_task,
            cut_task,
            enrich_task,
            embed_task,
            index_task,
        ):
            stage(settings, recording_id)
    except BaseException as exc:
        # a stage still running beside the failed one (diarisation when transcription failed, both on SIGTERM)
        # stops at its next window or batch instead of finishing for nothing and holding the process open
        context_for(settings).request_stop(recording_id)
        withdrawn = _mark_failed(settings, recording_id, exc)
        if withdrawn is not None and isinstance(exc, Exception) and not isinstance(exc, ConsentError):
            # what a stage tripped on (its work files and objects purged under it) is not the reason it stopped
            raise ConsentError(
                f"consent for {recording_id} was withdrawn on {withdrawn} while it was processed: "
                "processing stopped and everything of it was purged"
            ) from exc
        raise
    finally:  # let another worker's flow open the embedded index
        context_for(settings).release_index()
    return manifest_key(recording_id)


@flow(name="process_inbox", persist_result=False, log_prints=False)
def process_inbox(inbox: str | None = None, settings: Settings | None = None) -> dict[str, str]:
    """Ingest every ``NAME.<media>`` with its ``NAME.consent.json`` from the inbox, then process the new ones.

    Returns {file name: recording id or the reason it was refused}."""
    settings = settings or Settings()

    ctx = context_for(settings)
    folder = Path(inbox) if inbox else settings.inbox_dir
    outcome: dict[str, str] = {}
    for media in sorted(p for p in folder.iterdir() if p.suffix.lower() in ACCEPTED_SUFFIXES):
        consent = media.with_name(media.stem + ".consent.json")
        try:
            result = ingest_recording(ctx, media, consent)
            if ctx.repo.load(result.recording_id).status != "indexed":
                process_recording(result.recording_id, settings)
            outcome[media.name] = result.recording_id
        except (MediaError, ConsentError) as exc:
            outcome[media.name] = f"refused: {exc}"
    return outcome


@flow(name="reindex", persist_result=False, log_prints=False)
def reindex(settings: Settings | None = None) -> int:
    """Rebuild the Qdrant index from the manifests; returns the number of clips indexed."""

    return reindex_all(context_for(settings or Settings()))


@flow(name="consent_expiry", persist_result=False, log_prints=False)
def consent_expiry(now: str | None = None, settings: Settings | None = None) -> list[dict[str, Any]]:
    """Purge the recordings whose processing consent has expired and unpublish the clips whose publication
    consent has (pipelines/expiry.py). ``now``: an ISO 8601 time (tests); default the current time.

    Returns what was done: [{recording_id, action: purged | unpublished, reason, clip_ids}]."""
    from dataclasses import asdict
    from datetime import datetime

    when = datetime.fromisoformat(now) if now else datetime.now(UTC)
    ctx = context_for(settings or Settings())
    try:
        actions = expire_consents(ctx, when)
    finally:
        ctx.release_index()
    for a in actions:
        # ids and counts only: the reasons name participants, and logs must not hold personal data
        get_run_logger().info("%s: %s, %d clip(s)", a.recording_id, a.action, len(a.clip_ids))
    return [asdict(a) | {"clip_ids": list(a.clip_ids)} for a in actions]


@flow(name="withdraw_consent", persist_result=False, log_prints=False)
def withdraw_consent(
    recording_id: str, requested_by: str, participant: str | None = None, settings: Settings | None = None
) -> dict[str, Any]:
    """Consent withdrawal as a deployment: purge everything of the recording, keep a tombstone
    (pipelines/withdrawal.py). ``participant``: the role (or name) withdrawing, when known — Prefect keeps a
    flow run's parameters, so give the role, not the name."""
    from dataclasses import asdict

    ctx = context_for(settings or Settings())
    try:
        return asdict(purge(ctx, recording_id, participant, requested_by))
    finally:
        ctx.release_index()
