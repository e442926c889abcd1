"""Trimming a clip: snap the new window to word edges, re-cut its media and subtitles, recompute its text."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from vidlib.domain import Clip, Manifest, SpokenWord
from vidlib.pipelines import clip_media
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.stages.personal_data import detect_personal_data
from vidlib.pipelines.stages.publication import recording_consent_flags
from vidlib.search_api.errors import BadRequestError
from vidlib.wording import join_words

MIN_CLIP_S = 3.0


def snap_to_words(words: tuple[SpokenWord, ...], start: float, end: float) -> tuple[float, float]:
    """The word start nearest ``start`` and the word end nearest ``end`` (after that start)."""
    if not words:
        raise BadRequestError("this recording has no transcript words to trim on")
    new_start = min((w.start for w in words), key=lambda t: abs(t - start))
    ends = [w.end for w in words if w.end > new_start]
    new_end = min(ends, key=lambda t: abs(t - end))
    if new_end - new_start < MIN_CLIP_S:
        raise BadRequestError(
            f"the trimmed clip would last {new_end - new_start:.1f} s; keep at least {MIN_CLIP_S:.0f} s",
            start=new_start,
            end=new_end,
        )
    return new_start, new_end


def retrim(ctx: RunContext, manifest: Manifest, clip: Clip, start: float, end: float) -> Clip:
    """Re-cut ``clip`` to ``[start, end]`` (snapped to words): its media, subtitles and thumbnail are replaced, its
    bleeps and blurs applied again (the words already masked stay masked)."""
    attributed = manifest.attributed
    if attributed is None:
        raise BadRequestError("this recording has no transcript yet; it cannot be trimmed")
    if not 0 <= start < end <= manifest.media.duration_s + 0.5:
        raise BadRequestError(f"start and end must satisfy 0 <= start < end <= {manifest.media.duration_s:.1f}")
    start, end = snap_to_words(attributed.words, start, end)
    media = clip_media.recut(
        ctx,
        manifest,
        clip.clip_id,
        start,
        end,
        attributed=attributed,
        redactions=clip.redactions,
        boxes=clip.screen_redactions,
    )
    clip_media.update_cut_stage(ctx, manifest.recording_id, media)
    roles = dict(attributed.roles)
    words = clip_media.words_within(attributed, media.start, media.end)
    speakers = tuple(dict.fromkeys(w.speaker for w in words))
    speaker_roles = tuple(roles.get(s, "guest") for s in speakers)
    found = detect_personal_data(attributed.words, manifest.consent)  # personal data heard in the new window
    return replace(
        clip,
        start=media.start,
        end=media.end,
        text=join_words(w.text for w in words),
        speakers=speakers,
        roles=speaker_roles,
        video_key=media.video_key,
        subtitles_key=media.subtitles_key,
        thumbnail_key=media.thumbnail_key,
        flags=tuple(f for f in found if f.end > media.start and f.start < media.end),
        consent_flags=recording_consent_flags(manifest, media.start, media.end, speaker_roles, now=datetime.now(UTC)),
    )
