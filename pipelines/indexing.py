"""Embed clips, index them in Qdrant, and write the final clip list into the manifest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from vidlib.domain import (
    AttributedTranscript,
    Chapter,
    ChapterSpan,
    Clip,
    Manifest,
    Role,
)
from vidlib.ids import chapter_id_for
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.stages.personal_data import detect_personal_data
from vidlib.pipelines.stages.publication import consent_flags, uncovered_voices
from vidlib.pipelines.stages.styles import assign_styles
from vidlib.pipelines.stages.topics import topic_label
from vidlib.pipelines.timings import stage_timings
from vidlib.storage.index import IndexedClip
from vidlib.storage.stage_keys import ATTRIBUTE, CHAPTERS, CUT, DIARIZE, EMBED, ENRICH, PLAN, SEGMENT, TRANSCRIBE
from vidlib.text import sparse_terms


def spoken_in(attributed: AttributedTranscript, first: int, last: int) -> tuple[str, tuple[str, ...], tuple[Role, ...]]:
    """The text of utterances ``first..last`` (inclusive), their speakers in order of appearance, and those
    speakers' roles."""
    utts = attributed.utterances[first : last + 1]
    roles = dict(attributed.roles)
    speakers = tuple(dict.fromkeys(u.speaker for u in utts))
    return " ".join(u.text for u in utts), speakers, tuple(roles.get(s, "guest") for s in speakers)


def build_clips(ctx: RunContext, recording_id: str) -> tuple[Clip, ...]:
    repo = ctx.repo
    plan = repo.load_stage(recording_id, PLAN)
    media = {m.clip_id: m for m in repo.load_stage(recording_id, CUT)}
    enrich = {e.clip_id: e for e in repo.load_stage(recording_id, ENRICH)}
    attributed = repo.load_stage(recording_id, ATTRIBUTE)
    manifest = repo.load(recording_id)
    previous = {c.clip_id: c for c in manifest.clips}
    flags = detect_personal_data(attributed.words, manifest.consent)
    unconsented = uncovered_voices(repo.load_stage(recording_id, DIARIZE), manifest.consent, manifest.voices_confirmed)
    now = datetime.now(UTC)
    spans = _chapter_spans(ctx, recording_id)
    chapter_ids = [chapter_id_for(recording_id, ch.start, ch.end) for ch in spans]
    clips = []
    for spec in plan:
        text, speakers, speaker_roles = spoken_in(attributed, spec.first_utterance, spec.last_utterance)
        m, e = media[spec.clip_id], enrich[spec.clip_id]
        old = previous.get(spec.clip_id)
        clips.append(
            Clip(
                clip_id=spec.clip_id,
                recording_id=recording_id,
                index=spec.index,
                start=m.start,
                end=m.end,
                title=old.title if old else e.title,
                topic=e.topic,
                topic_confidence=e.topic_confidence,
                keyphrases=e.keyphrases,
                text=text,
                speakers=speakers,
                roles=speaker_roles,
                video_key=m.video_key,
                subtitles_key=m.subtitles_key,
                thumbnail_key=m.thumbnail_key,
                state=old.state if old else "pending_review",
                flags=tuple(f for f in flags if f.end > m.start and f.start < m.end),
                consent_flags=consent_flags(m.start, m.end, speaker_roles, unconsented, manifest.consent, now=now),
                redactions=old.redactions if old else (),
                screen_redactions=old.screen_redactions if old else (),
                chapter_id=next(
                    (
                        chapter_ids[i]
                        for i, ch in enumerate(spans)  # the chapter holding its first utterance
                        if ch.first_utterance <= spec.first_utterance <= ch.last_utterance
                    ),
                    "",
                ),
                topic_label=topic_label(e.topic),
            )
        )
    return tuple(clips)


def _chapter_spans(ctx: RunContext, recording_id: str) -> tuple[ChapterSpan, ...]:
    return ctx.repo.load_stage(recording_id, CHAPTERS)


def build_chapters(recording_id: str, spans: tuple[ChapterSpan, ...], clips: tuple[Clip, ...]) -> tuple[Chapter, ...]:
    """The manifest's chapters: each span with its id, French topic name and its clips in order; its times are its
    clips' cut times (what a student plays)."""
    out = []
    for span in spans:
        chapter_id = chapter_id_for(recording_id, span.start, span.end)
        mine = [c for c in clips if c.chapter_id == chapter_id]
        start, end = (mine[0].start, mine[-1].end) if mine else (span.start, span.end)
        out.append(
            Chapter(
                chapter_id=chapter_id,
                start=start,
                end=end,
                title=span.title or (mine[0].title if mine else ""),
                topic=span.topic,
                topic_label=topic_label(span.topic),
                clip_ids=tuple(c.clip_id for c in mine),
            )
        )
    return tuple(out)


def passage_text(clip: Clip) -> str:
    return f"{clip.title}. {clip.text}"


def embed_clips(ctx: RunContext, recording_id: str) -> dict[str, list[float]]:
    clips = build_clips(ctx, recording_id)
    if not clips:
        return {}
    vectors = ctx.models.embedder().embed_passages([passage_text(c) for c in clips])
    return {c.clip_id: [round(float(x), 7) for x in v] for c, v in zip(clips, vectors)}


def clip_payload(clip: Clip, manifest: Manifest) -> dict[str, object]:
    info = manifest.consent.recording
    return {
        "recording_id": clip.recording_id,
        "start": clip.start,
        "end": clip.end,
        "title": clip.title,
        "text": clip.text,
        "topic": clip.topic,
        "keyphrases": list(clip.keyphrases),
        "speakers": list(clip.speakers),
        "roles": list(clip.roles),
        "job": info.job,
        "sector": info.sector,
        "styles": list(manifest.styles),
        "topic_label": clip.topic_label,
        "chapter_id": clip.chapter_id,
        "language": manifest.transcript.language if manifest.transcript else info.language,
        "state": clip.state,
    }


def finalize_manifest(ctx: RunContext, recording_id: str) -> Manifest:
    repo = ctx.repo
    clips = build_clips(ctx, recording_id)
    current = repo.load(recording_id)
    attributed = repo.load_stage(recording_id, ATTRIBUTE)
    manifest = replace(
        current,
        transcript=repo.load_stage(recording_id, TRANSCRIBE),
        diarization=repo.load_stage(recording_id, DIARIZE),
        attributed=attributed,
        styles=current.styles if current.styles_by else assign_styles(attributed),
        segments=repo.load_stage(recording_id, SEGMENT),
        chapters=build_chapters(recording_id, _chapter_spans(ctx, recording_id), clips),
        clips=clips,
        timings=stage_timings(ctx, recording_id),
        models=ctx.models.versions(),
        status="indexed",
        error=None,
    )
    return repo.save(manifest)


def index_recording(ctx: RunContext, recording_id: str) -> int:
    """Upsert the recording's clips (ids derived from clip ids) and drop points of clips no longer planned."""
    manifest = finalize_manifest(ctx, recording_id)
    vectors = ctx.repo.load_stage(recording_id, EMBED)
    return reindex_manifest(ctx, manifest, vectors)


def indexed_clip(clip: Clip, manifest: Manifest, vector: Sequence[float]) -> IndexedClip:
    """The index point of a clip: its dense vector, its French BM25 terms (title, keyphrases, text), its payload."""
    idx, vals = sparse_terms(f"{clip.title} {' '.join(clip.keyphrases)} {clip.text}")
    return IndexedClip(
        clip.clip_id, tuple(np.asarray(vector, dtype=float)), tuple(idx), tuple(vals), clip_payload(clip, manifest)
    )


def reindex_manifest(ctx: RunContext, manifest: Manifest, vectors: dict[str, list[float]]) -> int:
    count = ctx.index.upsert([indexed_clip(clip, manifest, vectors[clip.clip_id]) for clip in manifest.clips])
    ctx.index.delete_recording(manifest.recording_id, keep={c.clip_id for c in manifest.clips})
    return count
