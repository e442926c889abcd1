"""Consent expiry: what happens to a recording once a participant's consent has run out.

* processing consent expired (a participant's ``expires_at`` has passed): the recording is purged exactly
  as on a withdrawal (``vidlib.pipelines.withdrawal``), a tombstone without personal data is kept;
* only publication expired (``publication_expires_at`` passed, or the clip's speakers otherwise lack
  publication consent): every published clip they speak in goes back to ``pending_review`` (students
  lose it at once) with an audit entry by ``consent_expiry``; approval is refused until consent is renewed.

Run by the ``consent_expiry`` Prefect flow and by ``vidlib consent expire``. Each recording is changed under its
writer lock (``vidlib.pipelines.recording_lock``); one held too long by another writer is left for the next run
("deferred").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from vidlib.consent import has_passed, scope_ends
from vidlib.domain import AuditEntry, Manifest
from vidlib.errors import BusyError, WithdrawnError
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.recording_lock import writing
from vidlib.pipelines.stages.publication import publication_blockers
from vidlib.pipelines.withdrawal import withdraw_consent
from vidlib.storage.audit import append_audit
from vidlib.storage.manifests import now_iso

EXPIRY_ACTOR = "consent_expiry"


@dataclass(frozen=True)
class ExpiryAction:
    recording_id: str
    action: Literal["purged", "unpublished", "deferred"]
    reason: str
    clip_ids: tuple[str, ...] = ()  # the clips unpublished


def processing_expired(manifest: Manifest, now: datetime) -> list[str]:
    """The roles of the participants whose consent (every scope) has ended at ``now``."""
    return [
        p.role
        for p in manifest.consent.participants
        if (end := scope_ends(p, "processing")) is not None and has_passed(end, now)
    ]


def expire_consents(ctx: RunContext, now: datetime) -> tuple[ExpiryAction, ...]:
    """Purge or unpublish every recording whose consent has expired at ``now``; what was done, per recording."""
    done: list[ExpiryAction] = []
    for rid in ctx.repo.list_ids():
        expired = processing_expired(ctx.repo.load(rid), now)
        if expired:  # withdraw_consent takes the lock itself
            report = withdraw_consent(ctx, rid, expired[0], requested_by=EXPIRY_ACTOR)
            done.append(
                ExpiryAction(
                    rid,
                    "purged",
                    f"consent to processing of the {', '.join(expired)} expired; "
                    f"{report.deleted_objects} objects and {report.deleted_points} "
                    "index points deleted",
                )
            )
            continue
        try:
            with writing(ctx, rid):
                if not ctx.repo.exists(rid):
                    continue
                action = unpublish_unconsented(ctx, ctx.repo.load(rid), now)  # re-read under the lock
        except BusyError as exc:
            done.append(ExpiryAction(rid, "deferred", str(exc)))
            continue
        except WithdrawnError:
            continue
        if action is not None:
            done.append(action)
    return tuple(done)


def unpublish_unconsented(ctx: RunContext, manifest: Manifest, now: datetime) -> ExpiryAction | None:
    """Send back to review every published clip that may no longer be published at ``now``. The caller holds the
    recording's writer lock and read ``manifest`` under it."""
    reasons: dict[str, list[str]] = {}
    for clip in manifest.clips:
        if clip.state == "published":
            blockers = publication_blockers(manifest, clip, now=now)
            if blockers:
                reasons[clip.clip_id] = blockers
    if not reasons:
        return None
    clips = tuple(replace(c, state="pending_review") if c.clip_id in reasons else c for c in manifest.clips)
    ctx.repo.save(replace(manifest, clips=clips))  # the manifest first: it is the source of truth
    for clip_id, blockers in reasons.items():
        ctx.index.set_state(clip_id, "pending_review")
        append_audit(
            ctx.store,
            manifest.recording_id,
            AuditEntry(
                clip_id=clip_id,
                action="unpublish",
                by=EXPIRY_ACTOR,
                role="system",
                at=now_iso(),
                reason="; ".join(blockers),
                before={"state": "published"},
                after={"state": "pending_review"},
            ),
        )
    summary = sorted({b for bs in reasons.values() for b in bs})
    return ExpiryAction(manifest.recording_id, "unpublished", "; ".join(summary), tuple(reasons))
