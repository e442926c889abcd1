"""From stored clips to API models: links signed for the caller's role, transcript turns, snippets."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from vidlib.domain import Clip, Manifest
from vidlib.pipelines.indexing import clip_payload
from vidlib.pipelines.stages.publication import consented_roles, publication_blockers
from vidlib.search_api.chapters import chapter_context
from vidlib.search_api.edits import clip_word_indexes
from vidlib.search_api.links import LinkSigner
from vidlib.search_api.moment import moment
from vidlib.search_api.schemas import ClipDetail, ClipSummary, Links, Turn, Word
from vidlib.search_api.tokens import ApiRole

_CLIP = TypeAdapter(Clip)


def clip_version(clip: Clip) -> str:
    """Changes whenever anything of the clip changes: the optimistic-concurrency token of decisions."""
    return hashlib.sha256(_CLIP.dump_json(clip)).hexdigest()[:16]


def links(clip_id: str, role: ApiRole, signer: LinkSigner, has_thumbnail: bool) -> Links:
    q = signer.query(clip_id, role)
    base = f"/clips/{clip_id}"
    return Links(
        self=base,
        media=f"{base}/media?{q}",
        subtitles=f"{base}/subtitles.vtt?{q}",
        thumbnail=f"{base}/thumbnail.jpg?{q}" if has_thumbnail else None,
        similar=f"{base}/similar",
    )


def summary_fields(
    clip_id: str, p: Mapping[str, Any], role: ApiRole, signer: LinkSigner, has_thumbnail: bool = True
) -> dict[str, Any]:
    """Summary fields from an index payload (or a payload-shaped dict)."""
    start, end = float(p["start"]), float(p["end"])
    return dict(
        clip_id=clip_id,
        recording_id=p["recording_id"],
        title=p["title"],
        job=p.get("job", ""),
        sector=p.get("sector", ""),
        topic=p.get("topic", ""),
        topic_label=p.get("topic_label", ""),
        chapter_id=p.get("chapter_id", ""),
        styles=list(p.get("styles", [])),
        language=p.get("language"),
        speaker_roles=list(dict.fromkeys(p.get("roles", []))),
        start=start,
        end=end,
        duration=round(end - start, 2),
        state=p.get("state", ""),
        links=links(clip_id, role, signer, has_thumbnail),
    )


def payload_of(clip: Clip, manifest: Manifest) -> dict[str, Any]:
    return clip_payload(clip, manifest)


def summary(clip: Clip, manifest: Manifest, role: ApiRole, signer: LinkSigner) -> ClipSummary:
    return ClipSummary(
        **summary_fields(clip.clip_id, payload_of(clip, manifest), role, signer, bool(clip.thumbnail_key))
    )


def transcript_turns(clip: Clip, manifest: Manifest) -> list[Turn]:
    """The clip's words grouped in turns of one speaker, times from the clip's start."""
    attributed = manifest.attributed
    if attributed is None:
        return []
    roles = dict(attributed.roles)
    turns: list[Turn] = []
    for i in clip_word_indexes(clip, attributed.words):
        w = attributed.words[i]
        start, end = round(max(0.0, w.start - clip.start), 2), round(min(w.end, clip.end) - clip.start, 2)
        if turns and turns[-1].speaker == w.speaker:
            last = turns[-1]
            turns[-1] = last.model_copy(update={"end": end, "text": f"{last.text} {w.text.strip()}", "last_word": i})
        else:
            turns.append(
                Turn(
                    speaker=w.speaker,
                    role=roles.get(w.speaker, "guest"),
                    start=start,
                    end=end,
                    text=w.text.strip(),
                    first_word=i,
                    last_word=i,
                )
            )
    return turns


def clip_words(clip: Clip, manifest: Manifest) -> list[Word]:
    """The clip's words with their index in the recording, times from the clip's start, and their probability."""
    words = manifest.attributed.words if manifest.attributed else ()
    return [
        Word(
            index=i,
            text=words[i].text.strip(),
            start=round(max(0.0, words[i].start - clip.start), 2),
            end=round(min(words[i].end, clip.end) - clip.start, 2),
            speaker=words[i].speaker,
            probability=round(words[i].probability, 3),
        )
        for i in clip_word_indexes(clip, words)
    ]


def detail(
    clip: Clip, manifest: Manifest, role: ApiRole, signer: LinkSigner, searched: Sequence[str] = ()
) -> ClipDetail:
    """The clip for ``role``; ``searched``: the query that found it (and its rewriting), which sets ``moment``."""
    base = summary(clip, manifest, role, signer).model_dump()
    spoken = clip_words(clip, manifest)
    moderation: dict[str, Any] = {}
    if role != "student":
        blockers = publication_blockers(manifest, clip, now=datetime.now(UTC))
        moderation = dict(
            flags=[asdict(f) for f in clip.flags],
            consent_flags=[asdict(f) for f in clip.consent_flags],
            publishable=not blockers,
            blockers=blockers,
            redactions=[asdict(r) for r in clip.redactions],
            screen_redactions=[asdict(b) for b in clip.screen_redactions],
            consented_voices=consented_roles(manifest.consent),
            speakers=dict(manifest.attributed.roles) if manifest.attributed else {},
        )
    return ClipDetail(
        **base,
        version=clip_version(clip),
        keyphrases=list(clip.keyphrases),
        text=clip.text,
        transcript=transcript_turns(clip, manifest),
        words=spoken,
        moment=moment(spoken, *searched),
        recording_start=clip.start,
        context=chapter_context(clip, manifest, role),
        **moderation,
    )
