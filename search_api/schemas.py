"""Request and response models of the API (separate from the stored domain types)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Links(BaseModel):
    self: str
    media: str
    subtitles: str
    thumbnail: str | None
    similar: str


class ClipSummary(BaseModel):
    clip_id: str
    recording_id: str
    title: str
    job: str
    sector: str
    topic: str = Field(description="career-topic identifier (e.g. salaire, ia_et_metier, autre)")
    topic_label: str = Field("", description="the topic in French words, as students read it")
    chapter_id: str = Field("", description="the chapter (topic of the call) this clip belongs to")
    language: str | None
    speaker_roles: list[str]
    start: float
    end: float
    duration: float
    state: str
    links: Links


class SearchHit(ClipSummary):
    score: float
    snippet: str = Field(description="HTML: escaped text, matched words in <mark>")


class SearchResponse(BaseModel):
    query: str
    mode: str
    limit: int
    offset: int
    hits: list[SearchHit]


class ClipList(BaseModel):
    clips: list[ClipSummary]


class Turn(BaseModel):
    speaker: str
    role: str
    start: float = Field(description="seconds from the clip's start")
    end: float
    text: str


class ChapterOut(BaseModel):
    chapter_id: str
    start: float = Field(description="seconds of the recording")
    end: float
    title: str
    topic: str
    topic_label: str
    clip_ids: list[str] = Field(description="its clips in order (for a student: the published ones)")


class RecordingChapters(BaseModel):
    recording_id: str
    title: str
    job: str
    sector: str
    chapters: list[ChapterOut]


class ChapterContext(BaseModel):
    """Where a clip sits in its call: its chapter and the clips around it that the caller may see."""

    chapter: ChapterOut | None
    previous_clip_id: str | None = Field(None, description="the clip before it in the same chapter")
    next_clip_id: str | None = Field(None, description="the clip after it in the same chapter ('next in this topic')")
    next_chapter_clip_id: str | None = Field(None, description="the first clip of the call's next chapter")


class ClipDetail(ClipSummary):
    version: str = Field(description="send it back with a moderation decision; 409 if the clip changed since")
    keyphrases: list[str]
    text: str
    context: ChapterContext | None = Field(None, description="its chapter and neighbours in the call")
    transcript: list[Turn]
    recording_start: float = Field(description="the clip's start in the recording, seconds")
    flags: list[dict[str, object]] = Field(default_factory=list,
                                           description="moderators only: personal data heard (kind, text, start, end)")
    consent_flags: list[dict[str, object]] = Field(
        default_factory=list, description="moderators only: consent problems (kind, detail, start, end)")
    publishable: bool = Field(True, description="moderators only: false when consent forbids publishing it")
    blockers: list[str] = Field(default_factory=list, description="moderators only: why it cannot be published")
    consented_voices: list[str] = Field(
        default_factory=list, description="moderators only: the roles of the participants the consent record names; "
        "approving the clip (voices_checked) says that nobody else is heard in it")
    redactions: list[dict[str, float]] = Field(default_factory=list,
                                               description="moderators only: bleeped spans (seconds of the recording)")


class AuditEntry(BaseModel):
    clip_id: str
    action: str
    by: str
    role: str
    at: str
    reason: str | None = None
    before: dict[str, object]
    after: dict[str, object]
    details: dict[str, object] = Field(default_factory=dict, description="e.g. the redacted spans; never the words")


class History(BaseModel):
    clip_id: str
    entries: list[AuditEntry]


class QueueItem(ClipSummary):
    version: str
    created_at: str
    snippet: str


class Queue(BaseModel):
    total: int
    clips: list[QueueItem]


class Decision(BaseModel):
    version: str = Field(description="the clip's version as last read (GET /clips/{id})")


class Approval(Decision):
    voices_checked: bool = Field(False, description="true: you listened to the whole clip and heard nobody beyond "
                                 "consented_voices; approval is refused without it (422 voices_check_required)")
    override_reason: str | None = Field(None, min_length=3, max_length=500,
                                        description="required when the clip has personal-data flags; kept in the audit log")


class Span(BaseModel):
    start: float = Field(ge=0, description="seconds of the recording")
    end: float = Field(gt=0, description="seconds of the recording")


class Redact(Decision):
    spans: list[Span] = Field(default_factory=list, max_length=50)
    flags: list[int] = Field(default_factory=list, max_length=50, description="indexes into the clip's flags")
    reason: str | None = Field(None, max_length=500)


class Rejection(Decision):
    reason: str = Field(min_length=3, max_length=500)


class Retitle(Decision):
    title: str = Field(min_length=3, max_length=160)


class Trim(Decision):
    start: float = Field(ge=0, description="new start, seconds of the recording")
    end: float = Field(gt=0, description="new end, seconds of the recording")


class DecisionResult(BaseModel):
    clip: ClipDetail
    entry: AuditEntry


class ReindexResult(BaseModel):
    indexed: int


class ConsentAmendment(BaseModel):
    consent: dict[str, object] = Field(description="The whole new consent record, in the consent file format")


class VoicesConfirmation(BaseModel):
    reason: str = Field(min_length=10, max_length=500, description="What you heard (kept in the audit log)")


class FlagsResult(BaseModel):
    recording_id: str
    participants: int
    added_roles: list[str]
    unblocked: list[str] = Field(description="clips that had consent flags and have none now")
    blocked: list[str] = Field(description="clips that have consent flags now and had none")
    unpublished: list[str] = Field(description="published clips sent back to review")


class Withdrawal(BaseModel):
    participant: str | None = Field(None, max_length=200,
                                    description="Name or role of who withdrew; empty: the whole recording")


class WithdrawalResult(BaseModel):
    recording_id: str
    participant_role: str
    deleted_objects: int
    deleted_points: int
    tombstone_key: str
