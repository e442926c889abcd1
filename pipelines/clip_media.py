"""Cut every planned clip (one encode pass, then stream copies) and store video, subtitles, thumbnail."""

from __future__ import annotations

import shutil

from pipelines.context import RunContext
from storage.layout import clip_subtitles_key, clip_thumbnail_key, clip_video_key
from vidlib.domain import AttributedTranscript, ClipMedia, ClipSpec


def cut_and_store(ctx: RunContext, recording_id: str) -> tuple[ClipMedia, ...]:
    from pipelines.stages.media import cut_clips, write_webvtt
    from pipelines.steps import original_path

    repo, store = ctx.repo, ctx.store
    manifest = repo.load(recording_id)
    plan = repo.load_stage(recording_id, "plan", tuple[ClipSpec, ...])
    attributed = repo.load_stage(recording_id, "attribute", AttributedTranscript)
    out_dir = ctx.work_dir(recording_id) / "clips"
    out_dir.mkdir(parents=True, exist_ok=True)
    results = cut_clips(original_path(ctx, recording_id), [(c.clip_id, c.start, c.end) for c in plan], out_dir,
                        has_video=manifest.media.has_video)
    roles = dict(attributed.roles)
    media = []
    for spec, cut in zip(plan, results):
        suffix = cut.video_path.suffix
        video_key = clip_video_key(recording_id, spec.clip_id, suffix)
        store.put_file(video_key, cut.video_path, "video/mp4" if suffix == ".mp4" else "audio/mp4")
        words = [w for w in attributed.words if w.start >= cut.start - 0.05 and w.end <= cut.end + 0.05]
        labelled = [type(w)(w.start, w.end, w.text, roles.get(w.speaker, w.speaker)) for w in words]
        vtt_key = clip_subtitles_key(recording_id, spec.clip_id)
        store.put_bytes(vtt_key, write_webvtt(labelled, cut.start, cut.end).encode("utf-8"), "text/vtt")
        thumb_key = ""
        if cut.thumbnail_path is not None:
            thumb_key = clip_thumbnail_key(recording_id, spec.clip_id)
            store.put_file(thumb_key, cut.thumbnail_path, "image/jpeg")
        media.append(ClipMedia(spec.clip_id, video_key, vtt_key, thumb_key, cut.start, cut.end))
    shutil.rmtree(out_dir, ignore_errors=True)
    return tuple(media)
