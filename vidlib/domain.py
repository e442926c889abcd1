"""Typed values passed between stages. Small, frozen, serialisable with pydantic's TypeAdapter.

Times are seconds from the start of the recording unless a name says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Role = Literal["professional", "student", "guardian", "guest"]
ClipState = Literal["pending_review", "published", "rejected"]
Scope = Literal["processing", "publication"]
ALL_SCOPES: frozenset[Scope] = frozenset({"processing", "publication"})


# --- consent -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Participant:
    role: Role
    name: str
    consent: bool
    consented_at: datetime | None = None
    minor: bool = False
    guardian_consent: bool | None = None
    # what the consent covers (default: both, so records written before scopes existed stay valid)
    scope: frozenset[Scope] = ALL_SCOPES
    expires_at: datetime | None = None  # every scope ends then (processing expired: the recording is purged)
    publication_expires_at: datetime | None = None  # publication alone ends then (clips are unpublished)


@dataclass(frozen=True)
class RecordingInfo:
    title: str
    job: str
    sector: str
    language: str | None = None


@dataclass(frozen=True)
class ConsentRecord:
    recording: RecordingInfo
    participants: tuple[Participant, ...]


# --- media -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MediaInfo:
    duration_s: float
    size_bytes: int
    format_name: str
    has_video: bool
    has_audio: bool
    video_codec: str | None = None
    audio_codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None


# --- transcript ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True)
class Sentence:
    """A Whisper segment: a run of words ending on a sentence or pause edge."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Transcript:
    language: str
    language_probability: float
    duration_s: float
    sentences: tuple[Sentence, ...]

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.sentences for w in s.words)


# --- speakers --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpeakerTurn:
    start: float
    end: float
    speaker: str


@dataclass(frozen=True)
class Diarization:
    turns: tuple[SpeakerTurn, ...]
    num_speakers: int
    # speech of a voice that matches no consented participant (an extra voice found by the open-count check)
    unconsented: tuple[SpeakerTurn, ...] = ()
    # how many participants the consent record named when that check ran (0: not recorded, older manifests)
    consented: int = 0


@dataclass(frozen=True)
class SpokenWord:
    start: float
    end: float
    text: str
    speaker: str
    probability: float = 1.0  # Whisper's word probability (1.0 in manifests written before it was kept)


@dataclass(frozen=True)
class Utterance:
    """Consecutive words of one speaker inside one sentence: the unit segmentation works on."""

    start: float
    end: float
    speaker: str
    role: Role
    text: str
    first_word: int  # index into the attributed word list
    last_word: int  # inclusive
    is_question: bool = False


@dataclass(frozen=True)
class AttributedTranscript:
    words: tuple[SpokenWord, ...]
    utterances: tuple[Utterance, ...]
    roles: tuple[tuple[str, Role], ...]  # speaker label -> role


# --- topics and clips --------------------------------------------------------------------------
@dataclass(frozen=True)
class ChapterSpan:
    """One topic of the conversation: a run of utterances, its career-topic label and its title."""

    start: float
    end: float
    first_utterance: int
    last_utterance: int  # inclusive
    topic: str = "autre"
    topic_confidence: float = 0.0
    title: str = ""


@dataclass(frozen=True)
class TopicSegment:
    """The utterances of one clip (a self-contained moment inside chapter ``chapter``)."""

    start: float
    end: float
    first_utterance: int
    last_utterance: int  # inclusive
    chapter: int = 0  # index into the chapter spans


@dataclass(frozen=True)
class ClipSpec:
    clip_id: str
    recording_id: str
    index: int
    start: float
    end: float
    first_utterance: int
    last_utterance: int
    chapter: int = 0  # index into the chapter spans


@dataclass(frozen=True)
class ClipMedia:
    clip_id: str
    video_key: str
    subtitles_key: str
    thumbnail_key: str
    start: float  # actual cut times (frame-accurate)
    end: float


@dataclass(frozen=True)
class ClipEnrichment:
    clip_id: str
    title: str
    keyphrases: tuple[str, ...]
    topic: str
    topic_confidence: float


@dataclass(frozen=True)
class PersonalDataFlag:
    """Personal data heard in a clip: what kind, the words, and when (seconds in the recording)."""

    kind: str  # name | phone | email | url | address | social_security_number
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class ConsentFlag:
    """Why a clip cannot be published whatever the moderator decides (no override)."""

    kind: str  # unconsented_speaker | no_publication_consent
    detail: str
    start: float
    end: float


@dataclass(frozen=True)
class ScreenBox:
    """A rectangle of a clip's picture, pixels from its top left corner (text found on the video, or blurred)."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class Redaction:
    """A span (seconds in the recording) bleeped in the media and masked in the text."""

    start: float
    end: float


@dataclass(frozen=True)
class Clip:
    clip_id: str
    recording_id: str
    index: int
    start: float
    end: float
    title: str
    topic: str
    topic_confidence: float
    keyphrases: tuple[str, ...]
    text: str
    speakers: tuple[str, ...]
    roles: tuple[Role, ...]
    video_key: str
    subtitles_key: str
    thumbnail_key: str
    state: ClipState = "pending_review"
    flags: tuple[PersonalDataFlag, ...] = ()
    consent_flags: tuple[ConsentFlag, ...] = ()
    redactions: tuple[Redaction, ...] = ()
    chapter_id: str = ""  # the chapter it belongs to ("" in manifests written before chapters)
    topic_label: str = ""  # the topic in French words, as students read it
    screen_redactions: tuple[ScreenBox, ...] = ()  # boxes of its picture blurred on request (names on tiles)


@dataclass(frozen=True)
class Chapter:
    """A topic of the call as stored in the manifest: its clips in order."""

    chapter_id: str
    start: float
    end: float
    title: str
    topic: str
    topic_label: str
    clip_ids: tuple[str, ...]


@dataclass(frozen=True)
class VoicesConfirmed:
    """An admin listened to the call and heard no voice beyond the consent record's: a machine finding of an extra
    voice (``Diarization.unconsented``) no longer blocks publication. No names: who (token name), when, why."""

    by: str
    at: str
    reason: str


@dataclass(frozen=True)
class Manifest:
    """The per-recording source of truth. The Qdrant index can be rebuilt from manifests."""

    recording_id: str
    source_name: str
    original_key: str
    consent: ConsentRecord
    media: MediaInfo
    status: str = "registered"
    error: str | None = None
    audio_key: str | None = None
    transcript: Transcript | None = None
    diarization: Diarization | None = None
    attributed: AttributedTranscript | None = None
    segments: tuple[TopicSegment, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    clips: tuple[Clip, ...] = ()
    voices_confirmed: VoicesConfirmed | None = None
    # the job's styles of work (pipelines/stages/styles.py); ``styles_by``: the moderator who set them, None while
    # they are the ones read from the call (a re-run reads them again only then)
    styles: tuple[str, ...] = ()
    styles_by: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class AuditEntry:
    """One change to a clip, kept in the recording's audit log (``storage/audit.py``): who, when, what, before and
    after; ``details`` say more (the spans redacted, the words corrected) but never hold masked words."""

    clip_id: str
    action: str
    by: str
    role: str
    at: str
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
