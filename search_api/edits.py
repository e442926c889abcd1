"""Moderators' corrections of a clip: its words, a turn's speaker, its title and topic, its chapter's title and topic.

A correction changes no sound, so nothing is re-cut: the words are changed in the recording's attributed transcript
(its words and the sentences holding them), the clip's text, speakers and subtitles follow, the personal-data flags
are looked for again in the corrected words, and the decision re-embeds and re-indexes the clip
(``Moderation.decide``). The stage results that a re-run reads are changed too (``attribute`` for words and
speakers, ``enrich`` for a topic, ``chapters`` for a chapter), so a re-run of the flow and a reindex keep every
correction (a clip's title is always kept from the manifest).

Text a moderator types is plain text: empty, oversized, markup-like (``<``, ``>``, ``&…;``) or control characters are
refused with 422 and nothing is written; it is escaped wherever it is shown (pages, subtitles, snippets).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from vidlib.domain import Chapter, Clip, Manifest, SpokenWord
from vidlib.ids import chapter_id_for
from vidlib.pipelines import clip_media
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.stages.personal_data import detect_personal_data
from vidlib.pipelines.stages.redact import MASK
from vidlib.pipelines.stages.topics import load_taxonomy, topic_label
from vidlib.search_api.catalog import ClipRef
from vidlib.search_api.errors import BadRequestError
from vidlib.storage.stage_keys import ATTRIBUTE, CHAPTERS, ENRICH
from vidlib.wording import join_words

MAX_WORD_CHARS = 60
MAX_TITLE_CHARS = 160
_MARKUP = re.compile(r"[<>]|&#?\w+;|[\x00-\x08\x0b-\x1f\x7f]")
_SENTENCE_END = (".", "?", "!", "…")


@dataclass(frozen=True)
class WordFix:
    index: int  # into the recording's attributed words (ClipDetail.words[i].index)
    text: str


@dataclass(frozen=True)
class SpeakerFix:
    first_word: int  # a turn's word range (ClipDetail.transcript[i].first_word/last_word), inclusive
    last_word: int
    speaker: str  # one of the recording's speaker labels (ClipDetail.speakers)


@dataclass(frozen=True)
class ClipFixes:
    words: tuple[WordFix, ...] = ()
    speakers: tuple[SpeakerFix, ...] = ()
    title: str | None = None
    topic: str | None = None
    chapter_title: str | None = None
    chapter_topic: str | None = None

    def empty(self) -> bool:
        return not (self.words or self.speakers) and all(
            v is None for v in (self.title, self.topic, self.chapter_title, self.chapter_topic)
        )


def plain_text(value: str, what: str, max_chars: int) -> str:
    """``value`` with its spaces collapsed, or 422 when it is empty, too long, or looks like markup."""
    text = " ".join(value.split())
    if not text:
        raise BadRequestError(f"the {what} is empty: type the text, or leave the field out to keep it as it is")
    if len(text) > max_chars:
        raise BadRequestError(f"the {what} has {len(text)} characters; at most {max_chars}")
    if _MARKUP.search(value):
        raise BadRequestError(f"the {what} may not contain markup or control characters (<, >, &…;): type plain words")
    return text


def known_topic(topic: str) -> str:
    labels = load_taxonomy().labels
    if topic not in labels:
        raise BadRequestError(f"unknown topic {topic!r}: one of {', '.join(labels)}", topics=list(labels))
    return topic


def clip_word_indexes(clip: Clip, words: Sequence[SpokenWord]) -> range:
    """The indexes of the clip's words in the recording's word list (a word belongs where its middle is)."""
    inside = [i for i, w in enumerate(words) if clip.start <= (w.start + w.end) / 2 < clip.end]
    return range(inside[0], inside[-1] + 1) if inside else range(0)


def fix_clip(ctx: RunContext, ref: ClipRef, fixes: ClipFixes) -> tuple[ClipRef, dict[str, Any]]:
    """Apply ``fixes``; the new manifest and clip, and what changed (for the audit entry). Writes the subtitles and
    the stage results; the caller (``Moderation.decide``) saves the manifest and the index under the lock."""
    if fixes.empty():
        raise BadRequestError("nothing to change: send words, speakers, title, topic, chapter_title or chapter_topic")
    fixes = _checked(fixes)  # every field is checked (and its text tidied) before anything is written
    if (fixes.chapter_title or fixes.chapter_topic) and not any(
        ch.chapter_id == ref.clip.chapter_id for ch in ref.manifest.chapters
    ):
        raise BadRequestError("this clip belongs to no chapter (its recording was processed before chapters)")
    manifest, clip, done = ref.manifest, ref.clip, {}
    if fixes.words or fixes.speakers:
        manifest, clip, done = _fix_words(ctx, manifest, clip, fixes)
    if fixes.title is not None:
        done["title"] = [clip.title, fixes.title]
        chapter = next((ch for ch in manifest.chapters if ch.chapter_id == clip.chapter_id), None)
        if (
            chapter
            and chapter.clip_ids[:1] == (clip.clip_id,)
            and chapter.title == clip.title
            and fixes.chapter_title is None
        ):
            fixes = replace(fixes, chapter_title=fixes.title)  # the chapter's title is its first clip's question
        clip = replace(clip, title=fixes.title)
    if fixes.topic is not None:
        topic = fixes.topic
        done["topic"] = [clip.topic, topic]
        clip = replace(clip, topic=topic, topic_label=topic_label(topic), topic_confidence=1.0)
        _save_topics(ctx, manifest.recording_id, {clip.clip_id: topic})
    manifest = replace(manifest, clips=tuple(clip if c.clip_id == clip.clip_id else c for c in manifest.clips))
    if fixes.chapter_title is not None or fixes.chapter_topic is not None:
        manifest, chapter_done = _fix_chapter(ctx, manifest, clip, fixes)
        done.update(chapter_done)
        clip = next(c for c in manifest.clips if c.clip_id == clip.clip_id)
    return ClipRef(manifest, clip), done


def _checked(fixes: ClipFixes) -> ClipFixes:
    def text(value: str | None, what: str) -> str | None:
        return None if value is None else plain_text(value, what, MAX_TITLE_CHARS)

    def topic(value: str | None) -> str | None:
        return None if value is None else known_topic(value)

    return replace(
        fixes,
        words=tuple(replace(fix, text=plain_text(fix.text, "word", MAX_WORD_CHARS)) for fix in fixes.words),
        title=text(fixes.title, "title"),
        topic=topic(fixes.topic),
        chapter_title=text(fixes.chapter_title, "chapter title"),
        chapter_topic=topic(fixes.chapter_topic),
    )


def _fix_words(
    ctx: RunContext, manifest: Manifest, clip: Clip, fixes: ClipFixes
) -> tuple[Manifest, Clip, dict[str, Any]]:
    attributed = manifest.attributed
    if attributed is None:
        raise BadRequestError("this recording has no transcript yet: there is no word to correct")
    mine = clip_word_indexes(clip, attributed.words)
    words = list(attributed.words)
    speakers = dict(attributed.roles)
    done: dict[str, Any] = {}
    for fix in fixes.words:
        if fix.index not in mine:
            raise BadRequestError(
                f"word {fix.index} is not a word of this clip (its words are {mine.start}–{mine.stop - 1})"
            )
        old = words[fix.index]
        if MASK in old.text:
            raise BadRequestError("a masked word stays masked: it was redacted as personal data")
        done.setdefault("words", []).append({"index": fix.index, "before": old.text.strip(), "after": fix.text})
        words[fix.index] = replace(old, text=f" {fix.text}", probability=1.0)  # a person wrote it
    utterances = list(attributed.utterances)
    for fix in fixes.speakers:
        if fix.first_word not in mine or fix.last_word not in mine or fix.last_word < fix.first_word:
            raise BadRequestError(f"words {fix.first_word}–{fix.last_word} are not a turn of this clip")
        if fix.speaker not in speakers:
            raise BadRequestError(
                f"unknown speaker {fix.speaker!r}: one of {', '.join(speakers)}", speakers=list(speakers)
            )
        covered = [
            k for k, u in enumerate(utterances) if u.first_word <= fix.last_word and u.last_word >= fix.first_word
        ]
        if any(utterances[k].first_word < fix.first_word or utterances[k].last_word > fix.last_word for k in covered):
            raise BadRequestError("a speaker change covers whole turns: send a turn's first_word and last_word")
        done.setdefault("speakers", []).append(
            {
                "first_word": fix.first_word,
                "last_word": fix.last_word,
                "before": words[fix.first_word].speaker,
                "after": fix.speaker,
            }
        )
        for i in range(fix.first_word, fix.last_word + 1):
            words[i] = replace(words[i], speaker=fix.speaker)
        for k in covered:
            utterances[k] = replace(utterances[k], speaker=fix.speaker, role=speakers[fix.speaker])
    utterances = [
        replace(u, text=join_words(w.text for w in words[u.first_word : u.last_word + 1]))
        if any(u.first_word <= f.index <= u.last_word for f in fixes.words)
        else u
        for u in utterances
    ]
    fixed = replace(attributed, words=tuple(words), utterances=tuple(utterances))
    in_clip = [u for u in fixed.utterances if mine and mine.start <= u.first_word < mine.stop]
    clip_speakers = tuple(dict.fromkeys(u.speaker for u in in_clip))
    found = detect_personal_data(fixed.words, manifest.consent)
    flags = tuple(
        f
        for f in found
        if f.end > clip.start
        and f.start < clip.end
        and not any(r.start <= (f.start + f.end) / 2 <= r.end for r in clip.redactions)
    )
    new_clip = replace(
        clip,
        text=" ".join(u.text for u in in_clip),
        speakers=clip_speakers,
        roles=tuple(speakers.get(s, "guest") for s in clip_speakers),
        flags=flags,
    )
    clip_media.write_subtitles(ctx, clip.subtitles_key, fixed, clip.start, clip.end)
    # what a re-run builds its clips from
    ctx.repo.update_stage(manifest.recording_id, ATTRIBUTE, lambda _: fixed)
    done["flags"] = [len(clip.flags), len(flags)]
    return replace(manifest, attributed=fixed), new_clip, done


def _fix_chapter(ctx: RunContext, manifest: Manifest, clip: Clip, fixes: ClipFixes) -> tuple[Manifest, dict[str, Any]]:
    chapter = next(ch for ch in manifest.chapters if ch.chapter_id == clip.chapter_id)
    done: dict[str, Any] = {"chapter_id": chapter.chapter_id}
    changed: Chapter = chapter
    if fixes.chapter_title is not None:
        done["chapter_title"] = [chapter.title, fixes.chapter_title]
        changed = replace(changed, title=fixes.chapter_title)
    clips = manifest.clips
    if fixes.chapter_topic is not None:
        topic = fixes.chapter_topic
        done["chapter_topic"] = [chapter.topic, topic]
        changed = replace(changed, topic=topic, topic_label=topic_label(topic))
        # a clip carries its chapter's topic
        clips = tuple(
            replace(c, topic=topic, topic_label=topic_label(topic), topic_confidence=1.0)
            if c.chapter_id == chapter.chapter_id
            else c
            for c in clips
        )
        _save_topics(
            ctx, manifest.recording_id, {c.clip_id: topic for c in clips if c.chapter_id == chapter.chapter_id}
        )
    _save_chapter(ctx, manifest.recording_id, changed)
    chapters = tuple(changed if ch.chapter_id == chapter.chapter_id else ch for ch in manifest.chapters)
    return replace(manifest, chapters=chapters, clips=clips), done


def _save_topics(ctx: RunContext, recording_id: str, topics: dict[str, str]) -> None:
    ctx.repo.update_stage(
        recording_id,
        ENRICH,
        lambda stored: tuple(
            replace(e, topic=topics[e.clip_id], topic_confidence=1.0) if e.clip_id in topics else e for e in stored
        ),
    )


def _save_chapter(ctx: RunContext, recording_id: str, chapter: Chapter) -> None:
    ctx.repo.update_stage(
        recording_id,
        CHAPTERS,
        lambda stored: tuple(
            replace(s, title=chapter.title, topic=chapter.topic, topic_confidence=1.0)
            if chapter_id_for(recording_id, s.start, s.end) == chapter.chapter_id
            else s
            for s in stored
        ),
    )
