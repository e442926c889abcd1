"""A clip's media, written in one place: cut from the original (its bleeps and blurs applied), stored under
``storage/layout.py``'s keys (video, WebVTT subtitles, thumbnail). The pipeline's cut stage cuts every planned clip
in one encode pass (``cut_and_store``); a trim, a redaction and a split re-cut one clip (``recut``)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from vidlib.domain import AttributedTranscript, ClipMedia, Manifest, Redaction, ScreenBox, SpokenWord
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.stages.media import cut_clips, write_webvtt
from vidlib.pipelines.stages.media_cut import CutOptions, CutResult, write_thumbnail
from vidlib.pipelines.stages.redact import bleep_audio
from vidlib.pipelines.stages.screen_text import blur_boxes
from vidlib.storage.layout import clip_subtitles_key, clip_thumbnail_key, clip_video_key
from vidlib.storage.stage_keys import ATTRIBUTE, CUT, PLAN

EDGE_S = 0.05  # a word this far past a cut edge still belongs to the clip's subtitles


def words_within(attributed: AttributedTranscript, start: float, end: float) -> list[SpokenWord]:
    """The words of ``[start, end]`` (seconds of the recording), give or take ``EDGE_S``."""
    return [w for w in attributed.words if w.start >= start - EDGE_S and w.end <= end + EDGE_S]


def write_subtitles(ctx: RunContext, key: str, attributed: AttributedTranscript, start: float, end: float) -> None:
    """Store the WebVTT subtitles of ``[start, end]`` from ``attributed``'s words, each speaker named by role."""
    roles = dict(attributed.roles)
    words = [replace(w, speaker=roles.get(w.speaker, w.speaker)) for w in words_within(attributed, start, end)]
    ctx.store.put_bytes(key, write_webvtt(words, start, end).encode("utf-8"), "text/vtt")


def store_cut(ctx: RunContext, recording_id: str, cut: CutResult, attributed: AttributedTranscript) -> ClipMedia:
    """Store a cut clip's video, its subtitles (from ``attributed``'s words, speakers by role) and its thumbnail."""
    store = ctx.store
    suffix = cut.video_path.suffix
    video_key = clip_video_key(recording_id, cut.clip_id, suffix)
    store.put_file(video_key, cut.video_path, "video/mp4" if suffix == ".mp4" else "audio/mp4")
    vtt_key = clip_subtitles_key(recording_id, cut.clip_id)
    write_subtitles(ctx, vtt_key, attributed, cut.start, cut.end)
    thumb_key = ""
    if cut.thumbnail_path is not None:
        thumb_key = clip_thumbnail_key(recording_id, cut.clip_id)
        store.put_file(thumb_key, cut.thumbnail_path, "image/jpeg")
    return ClipMedia(cut.clip_id, video_key, vtt_key, thumb_key, cut.start, cut.end)


def cut_and_store(ctx: RunContext, recording_id: str) -> tuple[ClipMedia, ...]:
    """Cut every planned clip (one encode pass, then stream copies) and store its media."""

    repo = ctx.repo
    manifest = repo.load(recording_id)
    plan = repo.load_stage(recording_id, PLAN)
    attributed = repo.load_stage(recording_id, ATTRIBUTE)
    out_dir = ctx.work_dir(recording_id) / "clips"
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        results = cut_clips(
            ctx.original_path(recording_id),
            [(c.clip_id, c.start, c.end) for c in plan],
            out_dir,
            has_video=manifest.media.has_video,
        )
        return tuple(store_cut(ctx, recording_id, cut, attributed) for cut in results)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def recut(
    ctx: RunContext,
    manifest: Manifest,
    clip_id: str,
    start: float,
    end: float,
    *,
    attributed: AttributedTranscript,
    redactions: Sequence[Redaction] = (),
    boxes: Sequence[ScreenBox] = (),
) -> ClipMedia:
    """Cut ``[start, end]`` of the original again as ``clip_id``: ``redactions`` bleeped, ``boxes`` of the picture
    blurred (the thumbnail taken from the blurred picture), stored over the clip's media."""

    rid = manifest.recording_id
    folder = Path(tempfile.mkdtemp(dir=ctx.work_dir(rid), prefix="recut-"))
    try:
        cut = cut_clips(ctx.original_path(rid), [(clip_id, start, end)], folder, has_video=manifest.media.has_video)[0]
        inside = [
            (r.start - cut.start, r.end - cut.start) for r in redactions if r.end > cut.start and r.start < cut.end
        ]
        if inside:
            bleeped = folder / f"bleeped{cut.video_path.suffix}"
            bleep_audio(cut.video_path, bleeped, inside, has_video=manifest.media.has_video)
            cut = replace(cut, video_path=bleeped)
        if boxes and manifest.media.has_video:
            blurred = blur_boxes(cut.video_path, folder / "blurred.mp4", boxes)
            thumbnail = folder / "blurred.jpg"
            write_thumbnail(blurred, thumbnail, (cut.end - cut.start) / 2, CutOptions().thumbnail_width, source=blurred)
            cut = replace(cut, video_path=blurred, thumbnail_path=thumbnail)
        return store_cut(ctx, rid, cut, attributed)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def update_cut_stage(ctx: RunContext, recording_id: str, media: ClipMedia) -> None:
    """Keep the stored cut stage in step with a re-cut, so that re-running the flow keeps its times."""
    ctx.repo.update_stage(
        recording_id,
        CUT,
        lambda stored: tuple(media if m.clip_id == media.clip_id else m for m in stored),
    )
