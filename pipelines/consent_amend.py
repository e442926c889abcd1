"""After ingest: amend a recording's consent record, confirm by ear that no voice beyond it was heard, or check the
voices again with the current settings.

**Amend** (``vidlib consent amend``): a parent heard in the call consents afterwards, or a participant's scope or
dates change. The new record must describe the same recording and keep everyone the old one names (taking someone
out is a withdrawal: ``vidlib consent withdraw``). A participant it adds must consent to publication too: nothing
tells which of the flagged turns are theirs, so a processing-only consent could not say which clips stay
unpublishable. The voice flagged as unconsented stops blocking once the record names more participants than the
check ran against (``vidlib.pipelines.stages.publication.uncovered_voices``).

**Confirm voices** (``vidlib consent confirm-voices``): the extra-voice check is a machine guess
(docs/unconsented-voices.md); an admin who listened and heard nobody beyond the consent record lifts its flags, with a
reason. Both are kept in the manifest and the audit log.

**Recheck voices** (``vidlib consent recheck-voices``): the extra-voice thresholds are settings, to set again once
real calls have been measured (docs/unconsented-voices.md), but a processed recording keeps the diarise step's
result. This runs the checks again on the stored audio with the current settings and the current consent record,
and replaces what they found (``Diarization.unconsented``) in the stored step result and in the manifest. The
diarisation's turns are kept: the words, utterances and clips were built on them.

Every time, every clip's consent flags are computed again; a published clip that may no longer be published goes
back to review (as on expiry). Each clip whose flags change gets an audit entry (flag kinds only, no names). All
three hold the recording's one writer lock (``vidlib.pipelines.recording_lock``) and re-read the manifest under it: a
moderator's decision or re-cut in progress ends first; while a processing run holds it they refuse after a minute,
rather than have the run's last manifest write undo them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from vidlib.consent import check_consent
from vidlib.domain import AuditEntry, Clip, ConsentRecord, Manifest, Participant, VoicesConfirmed
from vidlib.errors import ConsentError, NotFoundError
from vidlib.ids import checked_recording_id
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.expiry import unpublish_unconsented
from vidlib.pipelines.recording_lock import writing
from vidlib.pipelines.stages.publication import recording_consent_flags
from vidlib.pipelines.steps import diarize_checking_voices
from vidlib.storage.audit import append_audit
from vidlib.storage.manifests import now_iso
from vidlib.storage.stage_keys import DIARIZE

AMEND_ACTION = "consent_amended"
CONFIRM_ACTION = "voices_confirmed"
RECHECK_ACTION = "voices_rechecked"
MIN_REASON_CHARS = 10


@dataclass(frozen=True)
class FlagsReport:
    recording_id: str
    participants: int
    added_roles: tuple[str, ...]  # amend: who the new record adds
    unblocked: tuple[str, ...]  # clips that had consent flags and have none now
    blocked: tuple[str, ...]  # clips that have consent flags now and had none
    unpublished: tuple[str, ...]  # published clips sent back to review


def _same_person(a: Participant, b: Participant) -> bool:
    return a.role == b.role and a.name.casefold().strip() == b.name.casefold().strip()


def check_amendment(old: ConsentRecord, new: ConsentRecord, *, now: datetime) -> tuple[Participant, ...]:
    """Raise ConsentError when ``new`` may not replace ``old``; the participants it adds otherwise."""
    if new.recording != old.recording:
        raise ConsentError(
            "the new consent record describes another recording (its job, sector or date differ): "
            "amend only changes the participants"
        )
    missing = [p for p in old.participants if not any(_same_person(p, q) for q in new.participants)]
    if missing:
        raise ConsentError(
            f"the new consent record leaves out the {', '.join(p.role for p in missing)}: to take "
            "someone's consent back, use 'vidlib consent withdraw'"
        )
    check_consent(new, now=now)
    added = tuple(q for q in new.participants if not any(_same_person(p, q) for p in old.participants))
    for p in added:
        if "publication" not in p.scope:
            raise ConsentError(
                f"the {p.role} added consents to processing only: nothing tells which clips their "
                "voice is in, so their consent cannot lift the unconsented-voice flags; record their "
                "publication consent too, or reject those clips"
            )
    return added


@contextmanager
def _locked_manifest(ctx: RunContext, recording_id: str) -> Iterator[Manifest]:
    """The recording's manifest, read under its writer lock, held for the block."""
    with writing(ctx, checked_recording_id(recording_id)):
        if not ctx.repo.exists(recording_id):
            raise NotFoundError(f"no recording with id {recording_id}")
        yield ctx.repo.load(recording_id)


def _reflag(
    ctx: RunContext,
    manifest: Manifest,
    *,
    action: str,
    by: str,
    reason: str,
    now: datetime,
    added: tuple[Participant, ...] = (),
) -> FlagsReport:
    """Save ``manifest`` (its new consent record or confirmation) with every clip's consent flags computed again."""
    clips: list[Clip] = []
    changed: dict[str, tuple[list[str], list[str]]] = {}
    for clip in manifest.clips:
        flags = recording_consent_flags(manifest, clip.start, clip.end, clip.roles, now=now)
        before, after = [f.kind for f in clip.consent_flags], [f.kind for f in flags]
        if before != after:
            changed[clip.clip_id] = (before, after)
        clips.append(replace(clip, consent_flags=flags))
    saved = replace(manifest, clips=tuple(clips))
    ctx.repo.save(saved)  # the manifest first: it is the source of truth
    for clip_id, (before, after) in changed.items():
        append_audit(
            ctx.store,
            manifest.recording_id,
            AuditEntry(
                clip_id=clip_id,
                action=action,
                by=by,
                role="system",
                at=now_iso(),
                reason=reason,
                before={"consent_flags": before},
                after={"consent_flags": after},
            ),
        )
    unpublished = unpublish_unconsented(ctx, saved, now)
    return FlagsReport(
        recording_id=manifest.recording_id,
        participants=len(manifest.consent.participants),
        added_roles=tuple(p.role for p in added),
        unblocked=tuple(c for c, (b, a) in changed.items() if b and not a),
        blocked=tuple(c for c, (b, a) in changed.items() if a and not b),
        unpublished=unpublished.clip_ids if unpublished else (),
    )


def amend_consent(
    ctx: RunContext, recording_id: str, record: ConsentRecord, *, requested_by: str, now: datetime
) -> FlagsReport:
    """Replace the recording's consent record by ``record`` (``check_amendment``) and re-flag its clips."""
    with _locked_manifest(ctx, recording_id) as manifest:
        added = check_amendment(manifest.consent, record, now=now)
        return _reflag(
            ctx,
            replace(manifest, consent=record),
            action=AMEND_ACTION,
            by=requested_by,
            reason=f"consent record amended: {len(record.participants)} participants",
            now=now,
            added=added,
        )


def confirm_voices(ctx: RunContext, recording_id: str, *, reason: str, requested_by: str, now: datetime) -> FlagsReport:
    """An admin heard no voice beyond the consent record's: lift the extra-voice flags, keeping who, when and why."""
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_CHARS:
        raise ConsentError(
            f"say what you heard (at least {MIN_REASON_CHARS} characters): the reason is kept in the audit log"
        )
    with _locked_manifest(ctx, recording_id) as manifest:
        if manifest.diarization is None or not manifest.diarization.unconsented:
            raise ConsentError(f"no extra voice was found in {recording_id}: there is nothing to confirm")
        confirmation = VoicesConfirmed(by=requested_by, at=now_iso(), reason=reason)
        return _reflag(
            ctx,
            replace(manifest, voices_confirmed=confirmation),
            action=CONFIRM_ACTION,
            by=requested_by,
            reason=reason,
            now=now,
        )


def recheck_voices(ctx: RunContext, recording_id: str, *, requested_by: str, now: datetime) -> FlagsReport:
    """Run the checks for a voice beyond the consent record again with the current settings (module docstring)."""

    with _locked_manifest(ctx, recording_id) as manifest:
        if manifest.diarization is None or manifest.status != "indexed":
            raise ConsentError(f"{recording_id} has not been processed to the end: 'vidlib process' runs the checks")
        participants = len(manifest.consent.participants)
        found = diarize_checking_voices(ctx, recording_id, participants)
        diarization = replace(manifest.diarization, unconsented=found.unconsented, consented=found.consented)
        ctx.repo.save_stage(recording_id, DIARIZE, diarization)  # what a later run's manifest reads
        seconds = sum(t.end - t.start for t in found.unconsented)
        return _reflag(
            ctx,
            replace(manifest, diarization=diarization),
            action=RECHECK_ACTION,
            by=requested_by,
            reason=f"voices checked again against {participants} participants: {seconds:.1f} s flagged",
            now=now,
        )
