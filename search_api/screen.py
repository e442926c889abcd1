"""What is written on a clip's picture, for its moderator: each line read by OCR (``pipelines.stages.screen_text``),
marked ``suggested`` when it names a participant of the consent record (a name, or its initials, as on a video
tile) or a name heard in the clip (a personal-data flag), so that a name masked in the sound is offered for
blurring on screen. The boxes go back in a redaction request (``boxes``)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from vidlib.pipelines.context import RunContext
from vidlib.pipelines.stages.screen_text import find_screen_text
from vidlib.search_api.catalog import ClipRef
from vidlib.search_api.schemas import Box, ScreenTextOut
from vidlib.text import fold_accents

_WORD = re.compile(r"\w+")


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(fold_accents(text).casefold()) if len(w) >= 3}


def name_marks(ref: ClipRef) -> tuple[set[str], set[str]]:
    """The name parts to look for (participants', and names heard in the clip) and the participants' initials."""
    people = [p.name for p in ref.manifest.consent.participants if p.name]
    heard = [f.text for f in ref.clip.flags if f.kind == "name"]
    parts = set().union(*(_words(n) for n in [*people, *heard])) if people or heard else set()
    initials = {"".join(w[0] for w in _WORD.findall(fold_accents(n).upper())) for n in people}
    return parts, {i for i in initials if len(i) >= 2}


def clip_screen_text(ctx: RunContext, ref: ClipRef) -> list[ScreenTextOut]:
    clip, manifest = ref.clip, ref.manifest
    if not manifest.media.has_video:
        return []
    work = Path(tempfile.mkdtemp(dir=ctx.work_dir(manifest.recording_id), prefix="ocr-"))
    try:
        video = work / f"clip{Path(clip.video_key).suffix}"
        ctx.store.download(clip.video_key, video)
        found = find_screen_text(video, clip.end - clip.start, work / "frames")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    parts, initials = name_marks(ref)
    return [
        ScreenTextOut(
            text=s.text,
            box=Box(x=s.box.x, y=s.box.y, w=max(2, s.box.w), h=max(2, s.box.h)),
            frames=s.frames,
            confidence=s.confidence,
            suggested=bool(_words(s.text) & parts) or fold_accents(s.text).upper().strip() in initials,
        )
        for s in found
    ]
