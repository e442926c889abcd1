"""Moderation (``/review/queue``, decisions on ``/clips/{id}``, history) and administration (``/admin``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from vidlib.consent import parse_consent
from vidlib.domain import ClipState, ScreenBox
from vidlib.ids import checked_recording_id
from vidlib.pipelines.consent_amend import amend_consent, confirm_voices
from vidlib.pipelines.reindex import reindex_all
from vidlib.pipelines.stages.publication import publication_blockers
from vidlib.pipelines.stages.styles import load_styles
from vidlib.pipelines.stages.topics import load_taxonomy
from vidlib.pipelines.withdrawal import withdraw_consent
from vidlib.search_api.catalog import ClipRef
from vidlib.search_api.deps import AdminUser, CurrentUser, ModeratorUser, ServicesDep
from vidlib.search_api.edits import ClipFixes, SpeakerFix, WordFix, fix_clip
from vidlib.search_api.errors import ApiError, BadRequestError, VoicesCheckRequiredError
from vidlib.search_api.moderation import Action
from vidlib.search_api.redaction import redact_clip, requested_spans
from vidlib.search_api.schemas import (
    Approval,
    BulkApproval,
    BulkResult,
    ConsentAmendment,
    Decision,
    DecisionResult,
    Edit,
    FlagsResult,
    History,
    Queue,
    QueueItem,
    Redact,
    ReindexResult,
    Rejection,
    Retitle,
    ScreenTexts,
    Skipped,
    Split,
    SplitResult,
    StylesEdit,
    StylesResult,
    Trim,
    VoicesConfirmation,
    Withdrawal,
    WithdrawalResult,
)
from vidlib.search_api.screen import clip_screen_text
from vidlib.search_api.snippets import highlight_snippet
from vidlib.search_api.tokens import Principal
from vidlib.search_api.trim import retrim
from vidlib.search_api.views import clip_version, detail, summary
from vidlib.storage.audit import clip_history
from vidlib.text import fold_accents

router = APIRouter(tags=["review"])


@router.get("/me")
def me(who: CurrentUser) -> dict[str, str]:
    return {"name": who.name, "role": who.role}


def _folded(text: str) -> str:
    return " ".join(fold_accents(text).casefold().split())


@router.get("/review/queue", response_model=Queue)
def review_queue(
    services: ServicesDep,
    who: ModeratorUser,
    state: ClipState = "pending_review",
    job: str | None = None,
    sector: str | None = None,
    topic: str | None = None,
    recording_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Queue:
    """Clips in ``state`` (pending by default), oldest recording first, then in the order of the call. ``job`` and
    ``sector`` match any part of the name whatever the accents and case ("sante" finds "Santé", "avocat" finds
    "avocate"); ``jobs`` and ``sectors`` list those of the clips in ``state``, for a filter list."""
    wanted = {"job": _folded(job or ""), "sector": _folded(sector or "")}
    refs, jobs, sectors = [], set(), set()
    for ref in services.catalog.all_clips():
        info = ref.manifest.consent.recording
        if ref.clip.state != state:
            continue
        jobs.add(info.job)
        sectors.add(info.sector)
        if recording_id and ref.recording_id != recording_id or topic is not None and ref.clip.topic != topic:
            continue
        if any(
            v and v not in _folded(have) for v, have in ((wanted["job"], info.job), (wanted["sector"], info.sector))
        ):
            continue
        refs.append(ref)
    refs.sort(key=lambda r: (r.manifest.created_at, r.recording_id, r.clip.start))
    now = datetime.now(UTC)
    items = [
        QueueItem(
            **summary(r.clip, r.manifest, who.role, services.signer).model_dump(),
            version=clip_version(r.clip),
            created_at=r.manifest.created_at,
            snippet=highlight_snippet(r.clip.text, "", width=40),
            flags=len(r.clip.flags),
            publishable=not publication_blockers(r.manifest, r.clip, now=now),
        )
        for r in refs[offset : offset + limit]
    ]
    return Queue(
        total=len(refs), clips=items, jobs=sorted(j for j in jobs if j), sectors=sorted(s for s in sectors if s)
    )


@router.post("/review/recordings/{recording_id}/approve-clean", response_model=BulkResult)
def approve_clean(recording_id: str, body: BulkApproval, services: ServicesDep, who: ModeratorUser) -> BulkResult:
    """Approve every waiting clip of the call that nothing holds back: each is checked as one approval is (consent
    blockers, personal-data flags: a flagged clip needs its own decision), with ``voices_checked`` as your word for
    the whole call. The clips left are listed with the reason."""
    if not body.voices_checked:
        raise VoicesCheckRequiredError(
            "listen to the whole call first: approve with voices_checked=true only if "
            "nobody is heard beyond the consented participants"
        )
    manifest = services.ctx.repo.load(checked_recording_id(recording_id))
    approved, skipped = [], []
    for clip in manifest.clips:
        if clip.state != "pending_review":
            continue
        if clip.flags:
            skipped.append(
                Skipped(
                    clip_id=clip.clip_id,
                    reason=f"{len(clip.flags)} donnée(s) personnelle(s) signalée(s) : à masquer ou approuver une à une",
                )
            )
            continue
        try:
            services.moderation.decide(clip.clip_id, "approve", who, clip_version(clip), voices_checked=True)
            approved.append(clip.clip_id)
        except ApiError as exc:  # a consent blocker, or a clip changed meanwhile
            skipped.append(Skipped(clip_id=clip.clip_id, reason=str(exc)))
    return BulkResult(approved=approved, skipped=skipped)


@router.put("/review/recordings/{recording_id}/styles", response_model=StylesResult)
def set_styles(recording_id: str, body: StylesEdit, services: ServicesDep, who: ModeratorUser) -> StylesResult:
    """Set the call's styles of work (identifiers of ``GET /styles``), for every clip of the call; a re-run of the
    flow keeps them."""
    known = load_styles().keys
    unknown = [s for s in body.styles if s not in known]
    if unknown:
        raise BadRequestError(f"unknown style(s) {', '.join(unknown)}: use {', '.join(known)}")
    wanted = tuple(s for s in known if s in body.styles)  # the list's order, each once
    manifest, updated = services.moderation.set_styles(checked_recording_id(recording_id), wanted, who)
    return StylesResult(
        recording_id=manifest.recording_id,
        styles=list(manifest.styles),
        styles_by=manifest.styles_by,
        clips_updated=updated,
    )


@router.get("/clips/{clip_id}/history", response_model=History)
def history(clip_id: str, services: ServicesDep, who: ModeratorUser) -> History:
    ref = services.catalog.find(clip_id)
    return History(clip_id=clip_id, entries=clip_history(services.ctx.store, ref.recording_id, clip_id))


def _decide(
    services: ServicesDep, clip_id: str, action: Action, who: Principal, body: Decision, **kwargs: object
) -> DecisionResult:
    ref, entry = services.moderation.decide(clip_id, action, who, body.version, **kwargs)  # type: ignore[arg-type]
    return DecisionResult(clip=detail(ref.clip, ref.manifest, who.role, services.signer), entry=entry)


@router.post("/clips/{clip_id}/approve", response_model=DecisionResult)
def approve(clip_id: str, body: Approval, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """Publish the clip: students find and play it at once. The moderator must have listened and heard nobody
    beyond the consented participants (``voices_checked``; 422 without it). A clip with personal-data flags needs
    an ``override_reason`` (422 without one; kept in the audit log); a clip with a consent problem (a speaker
    without publication consent, an unconsented voice) is refused with 409 whatever the reason."""
    return _decide(
        services, clip_id, "approve", who, body, reason=body.override_reason, voices_checked=body.voices_checked
    )


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
    return _decide(
        services,
        clip_id,
        "retitle",
        who,
        body,
        change=lambda ref: fix_clip(services.ctx, ref, ClipFixes(title=body.title))[0],
    )


@router.post("/clips/{clip_id}/edit", response_model=DecisionResult)
def edit(clip_id: str, body: Edit, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """Correct the clip: ``words`` (index and plain text, from ``words`` of GET /clips/{id}), a turn's ``speakers``
    (its first and last word, a speaker label of ``speakers``), ``title``, ``topic``, ``chapter_title``,
    ``chapter_topic``. Subtitles, text, flags, vectors and the version follow; the audit entry keeps before/after.
    422 and nothing written for an empty, oversized or markup-like text, an unknown word, speaker or topic."""
    fixes = ClipFixes(
        words=tuple(WordFix(w.index, w.text) for w in body.words),
        speakers=tuple(SpeakerFix(s.first_word, s.last_word, s.speaker) for s in body.speakers),
        title=body.title,
        topic=body.topic,
        chapter_title=body.chapter_title,
        chapter_topic=body.chapter_topic,
    )
    done: dict[str, object] = {}

    def change(ref: ClipRef) -> ClipRef:
        fixed, details = fix_clip(services.ctx, ref, fixes)
        done.update(details)
        return fixed

    return _decide(services, clip_id, "edit", who, body, change=change, details=lambda: done)


@router.get("/topics")
def topics(who: CurrentUser) -> dict[str, str]:
    """The career topics: identifier -> French name."""
    taxonomy = load_taxonomy()
    return dict(zip(taxonomy.labels, taxonomy.names))


@router.post("/clips/{clip_id}/trim", response_model=DecisionResult)
def trim(clip_id: str, body: Trim, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """New start/end (seconds of the recording), snapped to word edges; media and subtitles are re-cut."""

    def change(ref: ClipRef) -> ClipRef:
        return ClipRef(ref.manifest, retrim(services.ctx, ref.manifest, ref.clip, body.start, body.end))

    return _decide(services, clip_id, "trim", who, body, change=change)


@router.post("/clips/{clip_id}/redact", response_model=DecisionResult)
def redact(clip_id: str, body: Redact, services: ServicesDep, who: ModeratorUser) -> DecisionResult:
    """Bleep spans of the clip (seconds of the recording, or the spans of flags by index): a 1 kHz tone over
    the audio, "[masqué]" for the words in the subtitles, text and transcript; blur ``boxes`` of its picture (text
    on screen: GET /clips/{id}/screen-text) for the whole clip, thumbnail included. Re-embedded and re-indexed;
    later re-cuts (trim) keep every bleep and blur."""
    done: dict[str, object] = {}
    boxes = tuple(ScreenBox(b.x, b.y, b.w, b.h) for b in body.boxes)

    def change(ref: ClipRef) -> ClipRef:
        spans = requested_spans(ref.clip, [(s.start, s.end) for s in body.spans], body.flags, boxes=len(boxes))
        new, masked = redact_clip(services.ctx, ref, spans, boxes)
        added = new.clip.redactions[len(ref.clip.redactions) :]
        done.update(
            spans=[[round(r.start, 3), round(r.end, 3)] for r in added],
            masked_words=masked,
            flags_removed=len(ref.clip.flags) - len(new.clip.flags),
            boxes=[[b.x, b.y, b.w, b.h] for b in boxes],
        )
        return new

    return _decide(services, clip_id, "redact", who, body, reason=body.reason, change=change, details=lambda: done)


@router.post("/clips/{clip_id}/split", response_model=SplitResult)
def split(clip_id: str, body: Split, services: ServicesDep, who: ModeratorUser) -> SplitResult:
    """Split the clip in two at the sentence start nearest ``at`` (seconds of the clip; each part at least 3 s):
    both parts are re-cut (bleeps and blurs kept), keep the clip's state and get their own text, subtitles,
    flags, title and version; the clip's id is gone (404). A re-run or reindex keeps the split."""
    first, second, entry = services.moderation.split(clip_id, who, body.version, body.at)
    return SplitResult(
        clips=[detail(r.clip, r.manifest, who.role, services.signer) for r in (first, second)], entry=entry
    )


@router.get("/clips/{clip_id}/screen-text", response_model=ScreenTexts)
def screen_text(clip_id: str, services: ServicesDep, who: ModeratorUser) -> ScreenTexts:
    """The text written on the clip's picture (OCR of a few frames), each line with its box; ``suggested`` when it
    names a participant or a name heard in the clip. Blur one with POST /clips/{id}/redact ``boxes``."""
    ref = services.catalog.find(clip_id)
    return ScreenTexts(clip_id=clip_id, items=clip_screen_text(services.ctx, ref))


@router.post("/admin/reindex", response_model=ReindexResult)
def reindex(services: ServicesDep, who: AdminUser) -> ReindexResult:
    """Rebuild the index from the manifests (the source of truth)."""
    return ReindexResult(indexed=reindex_all(services.ctx))  # each recording under its writer lock


@router.post("/admin/recordings/{recording_id}/consent", response_model=FlagsResult)
def amend(recording_id: str, body: ConsentAmendment, services: ServicesDep, who: AdminUser) -> FlagsResult:
    """Replace the recording's consent record (someone heard in the call consents afterwards): every clip's consent
    flags are computed again (``pipelines.consent_amend``). 422 ``consent_error`` when the new record leaves someone
    out, describes another recording, or adds a participant without publication consent."""

    record = parse_consent(body.consent)
    report = amend_consent(
        services.ctx,
        checked_recording_id(recording_id),
        record,
        requested_by=f"admin:{who.name}",
        now=datetime.now(UTC),
    )
    return FlagsResult(**asdict(report))


@router.post("/admin/recordings/{recording_id}/voices/confirm", response_model=FlagsResult)
def confirm(recording_id: str, body: VoicesConfirmation, services: ServicesDep, who: AdminUser) -> FlagsResult:
    """You listened to the call and heard nobody beyond the consent record: the extra-voice flags (a machine guess)
    are lifted; who, when and ``reason`` are kept in the manifest and the audit log. 422 when nothing was flagged."""

    report = confirm_voices(
        services.ctx,
        checked_recording_id(recording_id),
        reason=body.reason,
        requested_by=f"admin:{who.name}",
        now=datetime.now(UTC),
    )
    return FlagsResult(**asdict(report))


@router.post("/admin/recordings/{recording_id}/withdraw", response_model=WithdrawalResult)
def withdraw(recording_id: str, body: Withdrawal, services: ServicesDep, who: AdminUser) -> WithdrawalResult:
    """Consent withdrawn: purge every artefact of the recording (clips, media, transcripts, manifest, index points,
    work files, the original) and keep a tombstone with no personal data (id, date, role, who asked)."""

    report = withdraw_consent(
        services.ctx, checked_recording_id(recording_id), body.participant, requested_by=f"admin:{who.name}"
    )
    return WithdrawalResult(**asdict(report))
