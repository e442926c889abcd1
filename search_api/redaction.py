"""Redacting a clip on request: bleep spans of its audio, mask the words everywhere the text is kept.

The clip is re-cut from the original (``pipelines.clip_media.recut``, as a trim does), every redaction of the clip so
far is bleeped in it and every box of its picture blurred,
and its subtitles, text, transcript (manifest and stage results) are rebuilt from the masked words. The
personal-data flags inside the spans are dropped: what they pointed at is gone. Re-embedding and
re-indexing follow in ``Moderation.decide``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from vidlib.domain import AttributedTranscript, Clip, Redaction, ScreenBox, Transcript
from vidlib.pipelines import clip_media
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.stages.redact import MASK, collapse_masks, mask_attributed, mask_transcript, widen_to_words
from vidlib.search_api.catalog import ClipRef
from vidlib.search_api.errors import BadRequestError
from vidlib.storage.stage_keys import ATTRIBUTE, ENRICH, TRANSCRIBE
from vidlib.wording import join_words


def requested_spans(
    clip: Clip, spans: Sequence[tuple[float, float]], flag_indexes: Sequence[int], *, boxes: int = 0
) -> list[Redaction]:
    """The spans asked for (seconds of the recording) plus those of the flags named by their index in the
    clip's ``flags``; each must lie (at least partly) inside the clip. Empty only when ``boxes`` of the picture
    are asked for."""
    out = []
    for i in flag_indexes:
        if not 0 <= i < len(clip.flags):
            raise BadRequestError(f"the clip has no flag #{i} (it has {len(clip.flags)})", flags=len(clip.flags))
        out.append(Redaction(clip.flags[i].start, clip.flags[i].end))
    for start, end in spans:
        if not (start < end and end > clip.start and start < clip.end):
            raise BadRequestError(
                f"span {start:.2f}-{end:.2f} s is empty or outside the clip "
                f"({clip.start:.2f}-{clip.end:.2f} s of the recording)"
            )
        out.append(Redaction(max(start, clip.start), min(end, clip.end)))
    if not out and not boxes:
        raise BadRequestError(
            "give at least one span (start, end in seconds of the recording), flag index or box of the picture"
        )
    return out


def redact_clip(
    ctx: RunContext, ref: ClipRef, spans: Sequence[Redaction], boxes: Sequence[ScreenBox] = ()
) -> tuple[ClipRef, int]:
    """Apply the redaction (spans of sound, boxes of picture); returns the new (manifest, clip) and the number of
    words masked."""
    manifest, clip = ref.manifest, ref.clip
    if manifest.attributed is None:
        raise BadRequestError("this recording has no transcript yet; it cannot be redacted")
    spans = widen_to_words(spans, manifest.attributed)
    attributed, masked = mask_attributed(manifest.attributed, spans)
    transcript = mask_transcript(manifest.transcript, spans) if manifest.transcript else None
    redactions = (*clip.redactions, *spans)
    screen = (*clip.screen_redactions, *boxes)
    media = clip_media.recut(
        ctx, manifest, clip.clip_id, clip.start, clip.end, attributed=attributed, redactions=redactions, boxes=screen
    )
    words = clip_media.words_within(attributed, media.start, media.end)
    flags = tuple(f for f in clip.flags if not any(s.start <= (f.start + f.end) / 2 <= s.end for s in spans))
    gone = {w.text.strip(" .,;:!?") for w, m in zip(manifest.attributed.words, attributed.words) if w is not m}
    new_clip = replace(
        clip,
        start=media.start,
        end=media.end,
        text=collapse_masks(join_words(w.text for w in words)),
        title=mask_in(clip.title, gone),
        keyphrases=tuple(k for k in clip.keyphrases if mask_in(k, gone) == k),
        flags=flags,
        redactions=redactions,
        screen_redactions=screen,
    )
    _save_stages(ctx, manifest.recording_id, attributed, transcript, new_clip, gone)
    clip_media.update_cut_stage(ctx, manifest.recording_id, media)
    new_manifest = replace(manifest, attributed=attributed, transcript=transcript)
    return ClipRef(new_manifest, new_clip), masked


def mask_in(text: str, gone: set[str]) -> str:
    """``text`` with every whole-word occurrence of the masked words replaced by MASK (titles, keyphrases)."""
    for word in sorted((g for g in gone if g), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", MASK, text, flags=re.IGNORECASE)
    return collapse_masks(text)


def _save_stages(
    ctx: RunContext,
    recording_id: str,
    attributed: AttributedTranscript,
    transcript: Transcript | None,
    clip: Clip,
    gone: set[str],
) -> None:
    """The stage results hold the words too: mask them there, so a re-run of the flow cannot bring them back."""
    repo = ctx.repo
    repo.update_stage(recording_id, ATTRIBUTE, lambda _: attributed)
    if transcript is not None:
        repo.update_stage(recording_id, TRANSCRIBE, lambda _: transcript)
    repo.update_stage(  # the generated title and keyphrases
        recording_id,
        ENRICH,
        lambda stored: tuple(
            replace(e, title=mask_in(e.title, gone), keyphrases=clip.keyphrases) if e.clip_id == clip.clip_id else e
            for e in stored
        ),
    )
