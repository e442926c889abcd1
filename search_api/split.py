"""Splitting a clip in two at a sentence start: two clips, each re-cut (bleeps and blurs kept), with its own text,
subtitles, thumbnail, flags and title; the stage results a re-run reads (plan, cut, enrich) hold the two halves, so
a re-run and a reindex keep the split. Both halves keep the clip's state: an approval of the whole covers each part.
``Moderation.split`` saves the manifest, the audit log and the index under the recording's lock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from vidlib.domain import AttributedTranscript, Clip, ClipEnrichment, ClipMedia, ClipSpec, Manifest
from vidlib.ids import clip_id_for
from vidlib.pipelines import clip_media
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.indexing import spoken_in
from vidlib.pipelines.stages.publication import recording_consent_flags
from vidlib.pipelines.stages.titles import opening_question
from vidlib.search_api.catalog import ClipRef
from vidlib.search_api.errors import BadRequestError
from vidlib.search_api.trim import MIN_CLIP_S
from vidlib.storage.stage_keys import CUT, ENRICH, PLAN


class _HasClipId(Protocol):
    @property
    def clip_id(self) -> str: ...


_Keyed = TypeVar("_Keyed", bound=_HasClipId)


@dataclass(frozen=True)
class SplitResult:
    manifest: Manifest
    halves: tuple[Clip, Clip]
    old_keys: tuple[str, ...]  # the whole clip's media, to delete once the manifest is saved


def split_clip(ctx: RunContext, ref: ClipRef, at_s: float) -> SplitResult:
    """Split ``ref.clip`` at the sentence start nearest ``at_s`` (seconds of the clip)."""
    manifest, clip, repo, rid = ref.manifest, ref.clip, ctx.repo, ref.recording_id
    attributed = manifest.attributed
    if attributed is None or not repo.has_stage(rid, PLAN):
        raise BadRequestError("this recording has no clip plan to split (process it again first)")
    plan = repo.load_stage(rid, PLAN)
    spec = next((s for s in plan if s.clip_id == clip.clip_id), None)
    if spec is None:
        raise BadRequestError("this clip is not in the recording's plan (process it again first)")
    utts = attributed.utterances
    starts = [
        k
        for k in range(spec.first_utterance + 1, spec.last_utterance + 1)
        if utts[k].start - clip.start >= MIN_CLIP_S and clip.end - utts[k].start >= MIN_CLIP_S
    ]
    if not starts:
        raise BadRequestError(
            f"no sentence starts at least {MIN_CLIP_S:.0f} s from both ends of this clip: it cannot be split"
        )
    k = min(starts, key=lambda i: abs(utts[i].start - clip.start - at_s))
    gap_end, next_start = utts[k - 1].end, utts[k].start
    cut_at = (gap_end + next_start) / 2 if next_start - gap_end > 0.02 else next_start - 0.001
    specs = (
        replace(spec, clip_id=clip_id_for(rid, clip.start, cut_at), end=cut_at, last_utterance=k - 1),
        replace(spec, clip_id=clip_id_for(rid, cut_at, clip.end), start=cut_at, first_utterance=k),
    )
    halves, media = [], []
    for half in specs:
        piece, cut_media = _cut_half(ctx, manifest, clip, half, attributed)
        halves.append(piece)
        media.append(cut_media)
    first, second = halves
    title = opening_question(utts[specs[1].first_utterance : specs[1].last_utterance + 1], attributed.words)
    second = replace(second, title=title[1] if title else f"{clip.title} (suite)")
    clips = [c for c in manifest.clips if c.clip_id != clip.clip_id]
    at = next(i for i, c in enumerate(manifest.clips) if c.clip_id == clip.clip_id)
    clips[at:at] = [first, second]
    clips = [replace(c, index=i) for i, c in enumerate(clips)]
    chapters = tuple(
        replace(
            ch,
            clip_ids=tuple(
                x for c in ch.clip_ids for x in ((specs[0].clip_id, specs[1].clip_id) if c == clip.clip_id else (c,))
            ),
        )
        for ch in manifest.chapters
    )
    _save_stages(ctx, rid, plan, clip, specs, tuple(media), (first, second))
    saved = replace(manifest, clips=tuple(clips), chapters=chapters)
    by_id = {c.clip_id: c for c in saved.clips}
    old_keys = tuple(k for k in (clip.video_key, clip.subtitles_key, clip.thumbnail_key) if k)
    return SplitResult(saved, (by_id[first.clip_id], by_id[second.clip_id]), old_keys)


def _cut_half(
    ctx: RunContext, manifest: Manifest, clip: Clip, spec: ClipSpec, attributed: AttributedTranscript
) -> tuple[Clip, ClipMedia]:
    media = clip_media.recut(
        ctx,
        manifest,
        spec.clip_id,
        spec.start,
        spec.end,
        attributed=attributed,
        redactions=clip.redactions,
        boxes=clip.screen_redactions,
    )
    text, speakers, speaker_roles = spoken_in(attributed, spec.first_utterance, spec.last_utterance)
    piece = replace(
        clip,
        clip_id=spec.clip_id,
        start=media.start,
        end=media.end,
        text=text,
        speakers=speakers,
        roles=speaker_roles,
        video_key=media.video_key,
        subtitles_key=media.subtitles_key,
        thumbnail_key=media.thumbnail_key,
        flags=tuple(f for f in clip.flags if f.end > media.start and f.start < media.end),
        consent_flags=recording_consent_flags(manifest, media.start, media.end, speaker_roles, now=datetime.now(UTC)),
        redactions=tuple(r for r in clip.redactions if r.end > media.start and r.start < media.end),
    )
    return piece, media


def _save_stages(
    ctx: RunContext,
    rid: str,
    plan: tuple[ClipSpec, ...],
    clip: Clip,
    specs: tuple[ClipSpec, ClipSpec],
    media: tuple[ClipMedia, ...],
    halves: tuple[Clip, Clip],
) -> None:
    """Plan, cut and enrich stages: the two halves instead of the clip, so that a re-run keeps the split."""
    repo = ctx.repo
    new_plan = _in_place(plan, clip.clip_id, specs)
    repo.save_stage(rid, PLAN, tuple(replace(s, index=i) for i, s in enumerate(new_plan)))
    repo.update_stage(rid, CUT, lambda stored: _in_place(stored, clip.clip_id, media))

    def halve(stored: tuple[ClipEnrichment, ...]) -> tuple[ClipEnrichment, ...]:
        old = next(e for e in stored if e.clip_id == clip.clip_id)
        parts = tuple(replace(old, clip_id=h.clip_id, title=h.title) for h in halves)
        return _in_place(stored, clip.clip_id, parts)

    repo.update_stage(rid, ENRICH, halve)


def _in_place(items: tuple[_Keyed, ...], clip_id: str, parts: tuple[_Keyed, ...]) -> tuple[_Keyed, ...]:
    """``items`` with the one of ``clip_id`` replaced by ``parts``, in its place."""
    return tuple(x for item in items for x in (parts if item.clip_id == clip_id else (item,)))
