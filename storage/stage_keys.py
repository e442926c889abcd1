"""The stored result of each processing stage: one constant per stage, carrying the type its JSON is read back as.

``ManifestRepo.load_stage(recording_id, PLAN)`` returns a ``tuple[ClipSpec, ...]``, checked by pydantic on
the way in and by mypy at the call; the object key is ``storage.layout.stage_key(recording_id, PLAN.name)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from vidlib.domain import (
    AttributedTranscript,
    ChapterSpan,
    ClipEnrichment,
    ClipMedia,
    ClipSpec,
    Diarization,
    MediaInfo,
    TopicSegment,
    Transcript,
)

T_co = TypeVar("T_co", covariant=True)  # read-only: a key of tuple[X, ...] serves where a Sequence[X] is read


@dataclass(frozen=True)
class StageKey(Generic[T_co]):
    """A stage's name (its object key and its timing) and the type of its stored result."""

    name: str
    tp: Any  # the runtime form of T_co, which pydantic validates the stored JSON against


PROBE: Final = StageKey[MediaInfo]("probe", MediaInfo)
AUDIO: Final = StageKey[dict[str, float]]("audio", dict[str, float])  # the share of the call with sound
TRANSCRIBE: Final = StageKey[Transcript]("transcribe", Transcript)
DIARIZE: Final = StageKey[Diarization]("diarize", Diarization)
ATTRIBUTE: Final = StageKey[AttributedTranscript]("attribute", AttributedTranscript)
CHAPTERS: Final = StageKey[tuple[ChapterSpan, ...]]("chapters", tuple[ChapterSpan, ...])
SEGMENT: Final = StageKey[tuple[TopicSegment, ...]]("segment", tuple[TopicSegment, ...])
PLAN: Final = StageKey[tuple[ClipSpec, ...]]("plan", tuple[ClipSpec, ...])
CUT: Final = StageKey[tuple[ClipMedia, ...]]("cut", tuple[ClipMedia, ...])
ENRICH: Final = StageKey[tuple[ClipEnrichment, ...]]("enrich", tuple[ClipEnrichment, ...])
EMBED: Final = StageKey[dict[str, list[float]]]("embed", dict[str, list[float]])  # clip id -> dense vector
INDEX: Final = StageKey[int]("index", int)  # the number of clips indexed

STAGES: Final = (PROBE, AUDIO, TRANSCRIBE, DIARIZE, ATTRIBUTE, CHAPTERS, SEGMENT, PLAN, CUT, ENRICH, EMBED, INDEX)
