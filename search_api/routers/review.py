"""Moderation (``/review/queue``, decisions on ``/clips/{id}``, history) and administration (``/admin``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from search_api.audit import clip_history
from search_api.catalog import ClipRef
from search_api.deps import AdminUser, CurrentUser, ModeratorUser, ServicesDep
from search_api.moderation import Action
from search_api.schemas import (
    Approval,
    ConsentAmendment,
    Decision,
    DecisionResult,
    FlagsResult,
    History,
    Queue,
    QueueItem,
    Redact,
    ReindexResult,
    Rejection,
    Retitle,
    Trim,
    VoicesConfirmation,
    Withdrawal,
    WithdrawalResult,
)
from search_api.snippets import highlight_snippet
from search_api.tokens import Principal
from search_api.views import clip_version, detail, summary
from vidlib.domain import ClipState

router = APIRouter(tags=["review"])


@router.get("/me")
def me(who: CurrentUser) -> dict[str, str]:
    return {"name": who.name, "role": who.role}


@router.get("/review/queue", response_model=Queue)
def review_queue(services: ServicesDep, who: ModeratorUser, state: ClipState = "pending_review",
                 job: str | None = None, sector: str | None = None, topic: str | None = None,
                 recording_id: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                 offset: Annotated[int, Query(ge=0)] = 0) -> Queue:
    """Clips in ``state`` (pending by default), oldest recording first, then in the order of the call."""
    wanted = {"job": job, "sector": sector, "topic": topic}
    refs = []
    for ref in services.catalog.all_clips():
        info = ref.manifest.consent.recording
        have = {"job": info.job, "sector": info.sector, "topic": ref.clip.topic}
        if ref.clip.state != state or (recording_id and ref.recording_id != recording_id):
            continue
        if any(v is not None and have[k] != v for k, v in wanted.items()):
            continue
        refs.append(ref)
    refs.sort(key=lambda r: (r.manifest.created_at, r.recording_id, r.clip.start))
    items = [QueueItem(**summary(r.clip, r.manifest, who.role, services.signer).model_dump(),
                       version=clip_version(r.clip), created_at=r.manifest.created_at,
                       snippet=highlight_snippet(r.clip.text, "", width=40)) for r in refs[offset:offset + limit]]
    return Queue(total=len(refs), clips=items)


@router.get("/clips/{clip_id}/history", response_model=History)
def history(clip_id: str, services: ServicesDep, who: ModeratorUser) -> History:
    ref = services.catalog.find(clip_id)
    return History(clip_id=clip_id, entries=clip_history(services.ctx.store, ref.recording_id, clip_id))


def _decide(services: ServicesDep, clip_id: str, action: Action, who: Principal, body: Decision,
            **kwargs: object) -> DecisionResult:
    ref, entry = services.moderation.decide(clip_id, action, who, body.version, **kwargs)  # type: ignore[arg-type]
    return DecisionResult(clip=detail(ref.clip, ref.manifest, who.role, services.signer), entry=entry)


@router.post("/clips/{clip_id}/approve", response_model=DecisionResult)
def approve(clip_id: str, body: Approval, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """Publish the clip: students find and play it at once. The moderator must have listened and heard nobody
    beyond the consented participants (``voices_checked``; 422 without it). A clip with personal-data flags needs
    an ``override_reason`` (422 without one; kept in the audit log); a clip with a consent problem (a speaker
    without publication consent, an unconsented voice) is refused with 409 whatever the reason."""
    return _decide(services, clip_id, "approve", who, body, reason=body.override_reason,
                   voices_checked=body.voices_checked)


@router.post("/clips/{clip_id}/reject", response_model=DecisionResult)
def reject(clip_id: str, body: Rejection, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """Reject (or take down) the clip, with a reason; students lose it at once."""
    return _decide(services, clip_id, "reject", who, body, reason=body.reason)


@router.post("/clips/{clip_id}/unpublish", response_model=DecisionResult)
def unpublish(clip_id: str, body: Decision, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """Send a published clip back to the review queue."""
    return _decide(services, clip_id, "unpublish", who, body)


@router.post("/clips/{clip_id}/retitle", response_model=DecisionResult)
def retitle(clip_id: str, body: Retitle, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    from dataclasses import replace

    title = " ".join(body.title.split())
    return _decide(services, clip_id, "retitle", who, body,
                   change=lambda ref: ClipRef(ref.manifest, replace(ref.clip, title=title)))


@router.post("/clips/{clip_id}/trim", response_model=DecisionResult)
def trim(clip_id: str, body: Trim, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """New start/end (seconds of the recording), snapped to word edges; media and subtitles are re-cut."""
    from search_api.trim import retrim

    def change(ref: ClipRef) -> ClipRef:
        return ClipRef(ref.manifest, retrim(services.ctx, ref.manifest, ref.clip, body.start, body.end))

    return _decide(services, clip_id, "trim", who, body, change=change)


@router.post("/clips/{clip_id}/redact", response_model=DecisionResult)
def redact(clip_id: str, body: Redact, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """Bleep spans of the clip (seconds of the recording, or the spans of flags by index): a 1 kHz tone over
    the audio, "[masqué]" for the words in the subtitles, text and transcript; re-embedded and re-indexed."""
    from search_api.redaction import redact_clip, requested_spans

    done: dict[str, object] = {}

    def change(ref: ClipRef) -> ClipRef:
        spans = requested_spans(ref.clip, [(s.start, s.end) for s in body.spans], body.flags)
        new, masked = redact_clip(services.ctx, ref, spans)
        added = new.clip.redactions[len(ref.clip.redactions):]
        done.update(spans=[[round(r.start, 3), round(r.end, 3)] for r in added], masked_words=masked,
                    flags_removed=len(ref.clip.flags) - len(new.clip.flags))
        return new

    return _decide(services, clip_id, "redact", who, body, reason=body.reason, change=change, details=lambda: done)


@router.post("/admin/reindex", response_model=ReindexResult)
def reindex(services: ServicesDep, who: AdminUser) -> ReindexResult:
    """Rebuild the index from the manifests (the source of truth)."""
    from pipelines.reindex import reindex_all

    with services.catalog.lock:
        return ReindexResult(indexed=reindex_all(services.ctx))


@router.post("/admin/recordings/{recording_id}/consent", response_model=FlagsResult)
def amend(recording_id: str, body: ConsentAmendment, services: ServicesDep, who: AdminUser) -> FlagsResult:
    """Replace the recording's consent record (someone heard in the call consents afterwards): every clip's consent
    flags are computed again (``pipelines.consent_amend``). 422 ``consent_error`` when the new record leaves someone
    out, describes another recording, or adds a participant without publication consent."""
    from dataclasses import asdict
    from datetime import datetime, timezone

    from pipelines.consent_amend import amend_consent
    from vidlib.consent import parse_consent
    from vidlib.ids import checked_recording_id

    record = parse_consent(body.consent)
    with services.catalog.lock:
        report = amend_consent(services.ctx, checked_recording_id(recording_id), record,
                               requested_by=f"admin:{who.name}", now=datetime.now(timezone.utc))
    return FlagsResult(**asdict(report))


@router.post("/admin/recordings/{recording_id}/voices/confirm", response_model=FlagsResult)
def confirm(recording_id: str, body: VoicesConfirmation, services: ServicesDep, who: AdminUser) -> FlagsResult:
    """You listened to the call and heard nobody beyond the consent record: the extra-voice flags (a machine guess)
    are lifted; who, when and ``reason`` are kept in the manifest and the audit log. 422 when nothing was flagged."""
    from dataclasses import asdict
    from datetime import datetime, timezone

    from pipelines.consent_amend import confirm_voices
    from vidlib.ids import checked_recording_id

    with services.catalog.lock:
        report = confirm_voices(services.ctx, checked_recording_id(recording_id), reason=body.reason,
                                requested_by=f"admin:{who.name}", now=datetime.now(timezone.utc))
    return FlagsResult(**asdict(report))


@router.post("/admin/recordings/{recording_id}/withdraw", response_model=WithdrawalResult)
def withdraw(recording_id: str, body: Withdrawal, services: ServicesDep, who: AdminUser) -> WithdrawalResult:
    """Consent withdrawn: purge every artefact of the recording (clips, media, transcripts, manifest, index points,
    work files, the original) and keep a tombstone with no personal data (id, date, role, who asked)."""
    from dataclasses import asdict

    from pipelines.withdrawal import withdraw_consent
    from vidlib.ids import checked_recording_id

    with services.catalog.lock:
        report = withdraw_consent(services.ctx, checked_recording_id(recording_id), body.participant,
                                  requested_by=f"admin:{who.name}")
        services.catalog.forget(recording_id)
    return WithdrawalResult(**asdict(report))
