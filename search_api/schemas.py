"""Request and response models of the API (separate from the stored domain types)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from vidlib.domain import AuditEntry


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
    styles: list[str] = Field(default_factory=list, description="the job's styles of work (identifiers, see /styles)")
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


class Understood(BaseModel):
    rewritten: str = Field(description="the query in standard French, as it was searched (colloquial words replaced)")
    jobs: list[str] = Field(description="the library's jobs the query names (their clips come first)")
    sectors: list[str] = Field(description="the sectors the query points at, in French")
    topic: str = Field(description="the career topic the query asks about; 'autre' when none stood out")
    topic_label: str


class NoAnswerOut(BaseModel):
    message: str = Field(description="why nothing came back, in French, for the student")
    asked_jobs: list[str] = Field(description="the jobs the query names that no published clip holds")
    related_jobs: list[str] = Field(description="the library's jobs of the same sector, to try instead")
    shelf: list[ClipSummary] = Field(description="clips close to what was asked: the same topic, other jobs")


class ShelfOut(BaseModel):
    key: str = Field(description="hasard, rares or modeles")
    title: str
    clips: list[ClipSummary]


class TopicCount(BaseModel):
    topic: str
    topic_label: str
    clips: int


class StyleCount(BaseModel):
    style: str
    style_label: str
    clips: int


class JobCount(BaseModel):
    job: str
    clips: int


class SectorJobs(BaseModel):
    sector: str
    jobs: list[JobCount]


class BrowseOut(BaseModel):
    shelves: list[ShelfOut]
    topics: list[TopicCount] = Field(description="career topics with published clips, most clips first")
    catalogue: list[SectorJobs] = Field(description="the library's sectors, each with its jobs")
    styles: list[StyleCount] = Field(
        default_factory=list,
        description="styles of work (créatif, manuel...) with published clips, in the list's order",
    )


class SearchResponse(BaseModel):
    query: str
    mode: str
    limit: int
    offset: int
    hits: list[SearchHit]
    understood: Understood
    no_answer: NoAnswerOut | None = Field(None, description="set when nothing in the library answers the query")


class ClipList(BaseModel):
    clips: list[ClipSummary]


class Turn(BaseModel):
    speaker: str
    role: str
    start: float = Field(description="seconds from the clip's start")
    end: float
    text: str
    first_word: int = Field(description="index of its first word in the recording (a speaker correction names it)")
    last_word: int


class Word(BaseModel):
    index: int = Field(description="index in the recording's words (a word correction names it)")
    text: str
    start: float = Field(description="seconds from the clip's start")
    end: float
    speaker: str
    probability: float = Field(description="the recogniser's confidence, 0-1 (1: a person wrote it)")


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
    styles: list[str] = Field(default_factory=list, description="the job's styles of work")
    styles_by: str | None = Field(None, description="the moderator who set them; null: read from the call")
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
    flags: list[dict[str, object]] = Field(
        default_factory=list, description="moderators only: personal data heard (kind, text, start, end)"
    )
    consent_flags: list[dict[str, object]] = Field(
        default_factory=list, description="moderators only: consent problems (kind, detail, start, end)"
    )
    publishable: bool = Field(True, description="moderators only: false when consent forbids publishing it")
    blockers: list[str] = Field(default_factory=list, description="moderators only: why it cannot be published")
    consented_voices: list[str] = Field(
        default_factory=list,
        description="moderators only: the roles of the participants the consent record names; "
        "approving the clip (voices_checked) says that nobody else is heard in it",
    )
    redactions: list[dict[str, float]] = Field(
        default_factory=list, description="moderators only: bleeped spans (seconds of the recording)"
    )
    screen_redactions: list[dict[str, int]] = Field(
        default_factory=list, description="moderators only: boxes of the picture blurred (x, y, w, h pixels)"
    )
    words: list[Word] = Field(
        default_factory=list, description="the clip's words with their times: an interactive transcript, corrections"
    )
    moment: float = Field(0.0, description="seconds from the clip's start where the searched words are said (?q=)")
    speakers: dict[str, str] = Field(
        default_factory=dict, description="moderators only: the recording's speaker labels and their roles"
    )


class History(BaseModel):
    clip_id: str
    entries: list[AuditEntry]


class QueueItem(ClipSummary):
    version: str
    created_at: str
    snippet: str
    flags: int = Field(0, description="personal-data flags (approval needs a redaction or an override reason)")
    publishable: bool = Field(True, description="false when consent forbids publishing it")


class Queue(BaseModel):
    total: int
    clips: list[QueueItem]
    jobs: list[str] = Field(default_factory=list, description="the jobs of the clips in this state, for a filter list")
    sectors: list[str] = Field(default_factory=list)


class BulkApproval(BaseModel):
    voices_checked: bool = Field(
        description="true: you listened to the whole call and heard nobody beyond its consented participants"
    )


class Skipped(BaseModel):
    clip_id: str
    reason: str


class BulkResult(BaseModel):
    approved: list[str]
    skipped: list[Skipped]


class Decision(BaseModel):
    version: str = Field(description="the clip's version as last read (GET /clips/{id})")


class Approval(Decision):
    voices_checked: bool = Field(
        False,
        description="true: you listened to the whole clip and heard nobody beyond "
        "consented_voices; approval is refused without it (422 voices_check_required)",
    )
    override_reason: str | None = Field(
        None,
        min_length=3,
        max_length=500,
        description="required when the clip has personal-data flags; kept in the audit log",
    )


class Span(BaseModel):
    start: float = Field(ge=0, description="seconds of the recording")
    end: float = Field(gt=0, description="seconds of the recording")


class Box(BaseModel):
    x: int = Field(ge=0, le=10000, description="pixels of the clip's picture, from its left")
    y: int = Field(ge=0, le=10000)
    w: int = Field(ge=2, le=10000)
    h: int = Field(ge=2, le=10000)


class ScreenTextOut(BaseModel):
    text: str
    box: Box
    frames: int = Field(description="on how many of the frames read it was found")
    confidence: float
    suggested: bool = Field(description="it names a participant (or a name heard): blur it")


class ScreenTexts(BaseModel):
    clip_id: str
    items: list[ScreenTextOut]


class Redact(Decision):
    spans: list[Span] = Field(default_factory=list, max_length=50)
    boxes: list[Box] = Field(
        default_factory=list,
        max_length=20,
        description="boxes of the picture to blur for the whole clip (GET /clips/{id}/screen-text)",
    )
    flags: list[int] = Field(default_factory=list, max_length=50, description="indexes into the clip's flags")
    reason: str | None = Field(None, max_length=500)


class Rejection(Decision):
    reason: str = Field(min_length=3, max_length=500)


class Retitle(Decision):
    title: str = Field(min_length=3, max_length=160)


class WordIn(BaseModel):
    index: int = Field(ge=0)
    text: str = Field(max_length=200)


class SpeakerIn(BaseModel):
    first_word: int = Field(ge=0)
    last_word: int = Field(ge=0)
    speaker: str = Field(max_length=64)


class Edit(Decision):
    words: list[WordIn] = Field(default_factory=list, max_length=500, description="corrected words (plain text)")
    speakers: list[SpeakerIn] = Field(default_factory=list, max_length=100, description="a turn's right speaker")
    title: str | None = Field(None, max_length=1000)
    topic: str | None = Field(None, max_length=64, description="a topic identifier (GET /topics)")
    chapter_title: str | None = Field(None, max_length=1000, description="the title of the clip's chapter")
    chapter_topic: str | None = Field(None, max_length=64, description="the topic of the clip's chapter and its clips")


class Split(Decision):
    at: float = Field(gt=0, description="seconds of the clip: the split falls on the sentence start nearest it")


class SplitResult(BaseModel):
    clips: list[ClipDetail] = Field(description="the two clips that replace it, in order")
    entry: AuditEntry


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
    participant: str | None = Field(
        None, max_length=200, description="Name or role of who withdrew; empty: the whole recording"
    )


class WithdrawalResult(BaseModel):
    recording_id: str
    participant_role: str
    deleted_objects: int
    deleted_points: int
    tombstone_key: str


class StylesEdit(BaseModel):
    """A call's styles of work, as a moderator sets them (identifiers of /styles; an empty list: none)."""

    styles: list[str] = Field(max_length=6)


class StylesResult(BaseModel):
    recording_id: str
    styles: list[str]
    styles_by: str | None
    clips_updated: int
