"""Trimming a clip: snap the new window to word edges, re-cut its media and subtitles, recompute its text."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime, timezone

from pipelines.context import RunContext
from pipelines.stages.personal_data import detect_personal_data
from pipelines.stages.publication import recording_consent_flags
from search_api.errors import BadRequestError
from vidlib.domain import Clip, ClipMedia, Manifest, SpokenWord

MIN_CLIP_S = 3.0


def snap_to_words(words: tuple[SpokenWord, ...], start: float, end: float) -> tuple[float, float]:
    """The word start nearest ``start`` and the word end nearest ``end`` (after that start)."""
    if not words:
        raise BadRequestError("this recording has no transcript words to trim on")
    new_start = min((w.start for w in words), key=lambda t: abs(t - start))
    ends = [w.end for w in words if w.end > new_start]
    new_end = min(ends, key=lambda t: abs(t - end))
    if new_end - new_start < MIN_CLIP_S:
        raise BadRequestError(f"the trimmed clip would last {new_end - new_start:.1f} s; keep at least {MIN_CLIP_S:.0f} s",
                              start=new_start, end=new_end)
    return new_start, new_end


def retrim(ctx: RunContext, manifest: Manifest, clip: Clip, start: float, end: float) -> Clip:
    """Re-cut ``clip`` to ``[start, end]`` (snapped to words), overwrite its media, subtitles and thumbnail."""
    from pipelines.stages.media import write_webvtt
    from search_api.redaction import recut_with_bleeps

    attributed = manifest.attributed
    if attributed is None:
        raise BadRequestError("this recording has no transcript yet; it cannot be trimmed")
    if not 0 <= start < end <= manifest.media.duration_s + 0.5:
        raise BadRequestError(f"start and end must satisfy 0 <= start < end <= {manifest.media.duration_s:.1f}")
    start, end = snap_to_words(attributed.words, start, end)
    store, rid = ctx.store, manifest.recording_id
    # redactions made so far are bleeped again in the new cut (the words are already masked)
    out, cut = recut_with_bleeps(ctx, manifest, clip, start, end, clip.redactions, clip.screen_redactions)
    try:
        store.put_file(clip.video_key, cut.video_path, "video/mp4" if cut.video_path.suffix == ".mp4" else "audio/mp4")
        roles = dict(attributed.roles)
        words = [w for w in attributed.words if w.start >= cut.start - 0.05 and w.end <= cut.end + 0.05]
        labelled = [replace(w, speaker=roles.get(w.speaker, w.speaker)) for w in words]
        store.put_bytes(clip.subtitles_key, write_webvtt(labelled, cut.start, cut.end).encode("utf-8"), "text/vtt")
        if cut.thumbnail_path is not None and clip.thumbnail_key:
            store.put_file(clip.thumbnail_key, cut.thumbnail_path, "image/jpeg")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    update_cut_stage(ctx, rid, clip, cut.start, cut.end)
    speakers = tuple(dict.fromkeys(w.speaker for w in words))
    changes = dict(start=cut.start, end=cut.end, text=" ".join(w.text.strip() for w in words), speakers=speakers,
                   roles=tuple(roles.get(s, "guest") for s in speakers))
    if hasattr(clip, "flags"):  # personal data heard in the new window, found as when the clips were built
        found = detect_personal_data(attributed.words, manifest.consent)
        changes["flags"] = tuple(f for f in found if f.end > cut.start and f.start < cut.end)
    changes["consent_flags"] = recording_consent_flags(manifest, cut.start, cut.end, changes["roles"],
                                                       now=datetime.now(timezone.utc))
    return replace(clip, **changes)


def update_cut_stage(ctx: RunContext, recording_id: str, clip: Clip, start: float, end: float) -> None:
    """Keep the stored cut stage in step, so that re-running the flow keeps the trimmed times."""
    repo = ctx.repo
    if not repo.has_stage(recording_id, "cut"):
        return
    media = repo.load_stage(recording_id, "cut", tuple[ClipMedia, ...])
    media = tuple(replace(m, start=start, end=end) if m.clip_id == clip.clip_id else m for m in media)
    repo.save_stage(recording_id, "cut", media, tuple[ClipMedia, ...])
