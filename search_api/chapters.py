"""A call's chapters as each role may see them: a student sees the published clips only, and a chapter through them
(its title, times and clips), never through a clip that is waiting, rejected or unpublished."""

from __future__ import annotations

from vidlib.domain import Chapter, Clip, Manifest
from vidlib.errors import NotFoundError
from vidlib.search_api.schemas import ChapterContext, ChapterOut, RecordingChapters
from vidlib.search_api.tokens import ApiRole


def _visible(manifest: Manifest, role: ApiRole) -> dict[str, Clip]:
    return {c.clip_id: c for c in manifest.clips if role != "student" or c.state == "published"}


def chapter_view(chapter: Chapter, clips: dict[str, Clip]) -> ChapterOut | None:
    """The chapter through the clips the caller may see; None when it has none of them."""
    mine = [clips[c] for c in chapter.clip_ids if c in clips]
    if not mine:
        return None
    first_shown = mine[0].clip_id == (chapter.clip_ids[0] if chapter.clip_ids else None)
    # the chapter's title is its first clip's opening question (a retitle of that clip carries over to it, a
    # moderator may set it): shown only with that clip; otherwise the first visible clip's title stands for it
    title = chapter.title if first_shown else mine[0].title
    return ChapterOut(
        chapter_id=chapter.chapter_id,
        start=mine[0].start,
        end=mine[-1].end,
        title=title,
        topic=chapter.topic,
        topic_label=chapter.topic_label,
        clip_ids=[c.clip_id for c in mine],
    )


def recording_chapters(manifest: Manifest, role: ApiRole) -> RecordingChapters:
    clips = _visible(manifest, role)
    if not clips:
        raise NotFoundError(f"no recording with id {manifest.recording_id}")
    chapters = [view for ch in manifest.chapters if (view := chapter_view(ch, clips)) is not None]
    info = manifest.consent.recording
    return RecordingChapters(
        recording_id=manifest.recording_id,
        title=info.title,
        job=info.job,
        sector=info.sector,
        styles=list(manifest.styles),
        styles_by=manifest.styles_by if role != "student" else None,
        chapters=chapters,
    )


def chapter_context(clip: Clip, manifest: Manifest, role: ApiRole) -> ChapterContext | None:
    """The clip's chapter, the clips before and after it in that chapter, and the first clip of the next chapter."""
    clips = _visible(manifest, role)
    views = [(ch, view) for ch in manifest.chapters if (view := chapter_view(ch, clips)) is not None]
    for at, (_chapter, view) in enumerate(views):
        if clip.clip_id not in view.clip_ids:
            continue
        i = view.clip_ids.index(clip.clip_id)
        following = views[at + 1][1].clip_ids[0] if at + 1 < len(views) else None
        return ChapterContext(
            chapter=view,
            previous_clip_id=view.clip_ids[i - 1] if i else None,
            next_clip_id=view.clip_ids[i + 1] if i + 1 < len(view.clip_ids) else None,
            next_chapter_clip_id=following,
        )
    return None
