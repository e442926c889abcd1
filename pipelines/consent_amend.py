"""Amend a recording's consent record after ingest: a parent heard in the call consents afterwards, or a
participant's scope or dates change.

The new record must describe the same recording and keep everyone the old one names (taking someone out is a
withdrawal: ``vidlib consent withdraw``). A participant it adds must consent to publication too: nothing tells
which of the flagged turns are theirs, so a processing-only consent could not say which clips stay unpublishable.

Every clip's consent flags are computed again. The voice flagged as unconsented stops blocking once the record
names more participants than the check ran against (``pipelines.stages.publication.uncovered_voices``); a
published clip the new record no longer allows goes back to review (as on expiry). Each clip whose flags change
gets an audit entry (flag kinds only, no names). Run it while the recording is not being processed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from pipelines.context import RunContext
from pipelines.expiry import unpublish_unconsented
from pipelines.stages.publication import consent_flags, uncovered_voices
from pipelines.withdrawal import ensure_not_withdrawn
from storage.manifests import now_iso
from vidlib.consent import check_consent
from vidlib.domain import Clip, ConsentRecord, Participant
from vidlib.errors import ConsentError, NotFoundError

AMEND_ACTION = "consent_amended"


@dataclass(frozen=True)
class AmendReport:
    recording_id: str
    participants: int
    added_roles: tuple[str, ...]
    unblocked: tuple[str, ...]  # clips that had consent flags and have none now
    blocked: tuple[str, ...]  # clips that have consent flags now and had none
    unpublished: tuple[str, ...]  # published clips sent back to review


def _same_person(a: Participant, b: Participant) -> bool:
    return a.role == b.role and a.name.casefold().strip() == b.name.casefold().strip()


def check_amendment(old: ConsentRecord, new: ConsentRecord, *, now: datetime) -> tuple[Participant, ...]:
    """Raise ConsentError when ``new`` may not replace ``old``; the participants it adds otherwise."""
    if new.recording != old.recording:
        raise ConsentError("the new consent record describes another recording (its job, sector or date differ): "
                           "amend only changes the participants")
    missing = [p for p in old.participants if not any(_same_person(p, q) for q in new.participants)]
    if missing:
        raise ConsentError(f"the new consent record leaves out the {', '.join(p.role for p in missing)}: to take "
                           "someone's consent back, use 'vidlib consent withdraw'")
    check_consent(new, now=now)
    added = tuple(q for q in new.participants if not any(_same_person(p, q) for p in old.participants))
    for p in added:
        if "publication" not in p.scope:
            raise ConsentError(f"the {p.role} added consents to processing only: nothing tells which clips their "
                               "voice is in, so their consent cannot lift the unconsented-voice flags; record their "
                               "publication consent too, or reject those clips")
    return added


def amend_consent(ctx: RunContext, recording_id: str, record: ConsentRecord, *, requested_by: str,
                  now: datetime) -> AmendReport:
    from search_api.audit import append_audit
    from search_api.schemas import AuditEntry

    ensure_not_withdrawn(ctx, recording_id)
    if not ctx.repo.exists(recording_id):
        raise NotFoundError(f"no recording with id {recording_id}")
    manifest = ctx.repo.load(recording_id)
    added = check_amendment(manifest.consent, record, now=now)
    voices = uncovered_voices(manifest.diarization, record)
    clips: list[Clip] = []
    changed: dict[str, tuple[list[str], list[str]]] = {}
    for clip in manifest.clips:
        flags = consent_flags(clip.start, clip.end, clip.roles, voices, record, now=now)
        before, after = [f.kind for f in clip.consent_flags], [f.kind for f in flags]
        if before != after:
            changed[clip.clip_id] = (before, after)
        clips.append(replace(clip, consent_flags=flags))
    amended = replace(manifest, consent=record, clips=tuple(clips))
    ctx.repo.save(amended)  # the manifest first: it is the source of truth
    for clip_id, (before, after) in changed.items():
        append_audit(ctx.store, recording_id, AuditEntry(
            clip_id=clip_id, action=AMEND_ACTION, by=requested_by, role="system", at=now_iso(),
            reason=f"consent record amended: {len(record.participants)} participants",
            before={"consent_flags": before}, after={"consent_flags": after}))
    unpublished = unpublish_unconsented(ctx, amended, now)
    return AmendReport(
        recording_id=recording_id, participants=len(record.participants), added_roles=tuple(p.role for p in added),
        unblocked=tuple(c for c, (b, a) in changed.items() if b and not a),
        blocked=tuple(c for c, (b, a) in changed.items() if a and not b),
        unpublished=unpublished.clip_ids if unpublished else ())
