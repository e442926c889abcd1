"""End-to-end: the real Prefect flow on real models, real ffmpeg, real Qdrant (embedded), real stores."""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.pipeline_fixtures import DATA, copy_excerpt, excerpt_consent, make_settings, models_dir, prefect_harness  # noqa: F401 - fixtures
from vidlib.commands import manifest_view
from vidlib.domain import Manifest
from vidlib.errors import ConsentError
from vidlib.pipelines import flows
from vidlib.pipelines.context import RunContext, close_contexts, configure_offline_environment, context_for
from vidlib.pipelines.ingest import ingest_recording
from vidlib.pipelines.stages.segment import ChapterParams
from vidlib.search_api.search import search_clips
from vidlib.settings import Settings
from vidlib.storage.stage_keys import PLAN, SEGMENT
from vidlib.text import analyze

pytestmark = pytest.mark.slow


@dataclass
class Processed:
    settings: Settings
    ctx: RunContext
    recording_id: str
    manifest: Manifest
    media: Path
    log_lines: list[str]


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory, models_dir: Path, prefect_harness: None) -> Iterator[Processed]:
    tmp = tmp_path_factory.mktemp("e2e")
    settings = make_settings(tmp / "home", models_dir)
    configure_offline_environment(settings)
    ctx = context_for(settings)
    media = copy_excerpt(tmp)
    logged = _LogCapture()
    logging.getLogger().addHandler(logged)
    try:
        rid = ingest_recording(ctx, media, excerpt_consent(tmp)).recording_id
        flows.process_recording(rid, settings)
    finally:
        logging.getLogger().removeHandler(logged)
    yield Processed(settings, ctx, rid, ctx.repo.load(rid), media, logged.lines)
    close_contexts()


class _LogCapture(logging.Handler):
    """Every log line any library emits during the run, whatever its level."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


def test_manifest_is_complete(processed: Processed) -> None:
    view = manifest_view(processed.manifest)
    assert view["recording_id"] == processed.recording_id
    assert 91 < view["duration_s"] < 93
    assert view["language"] == "fr"
    assert view["status"] == "indexed"
    assert len(view["words"]) > 100 and all(
        {"start", "end", "text", "speaker", "probability"} <= set(w) for w in view["words"]
    )
    assert all(0.0 <= w["probability"] <= 1.0 for w in view["words"])
    assert any(w["probability"] < 1.0 for w in view["words"])  # Whisper's, not the default
    assert {t["role"] for t in view["turns"]} >= {"professional", "student"}
    for stage in (
        "audio",
        "transcribe",
        "diarize",
        "attribute",
        "chapters",
        "segment",
        "plan",
        "cut",
        "enrich",
        "embed",
        "index",
    ):
        assert view["timings"][stage] >= 0
    assert set(view["models"]) == {"asr", "diarization", "embedding"}
    chapters = view["chapters"]
    assert chapters and [c["clip_id"] for c in view["clips"]] == [i for ch in chapters for i in ch["clip_ids"]]
    for ch in chapters:
        assert {"chapter_id", "start", "end", "title", "topic", "topic_label", "clip_ids"} <= set(ch)
        assert ch["title"] and ch["topic_label"] and ch["start"] < ch["end"]
    for clip in view["clips"]:
        assert {"clip_id", "start", "end", "title", "topic", "topic_label", "chapter_id", "keyphrases", "state"} <= set(
            clip
        )
        assert clip["state"] == "pending_review"
        chapter = next(ch for ch in chapters if ch["chapter_id"] == clip["chapter_id"])
        assert chapter["start"] <= clip["start"] and clip["end"] <= chapter["end"]  # a clip never crosses a chapter
        assert clip["topic"] == chapter["topic"] and clip["topic_label"] == chapter["topic_label"]


def test_two_speakers_found_and_mapped_to_roles(processed: Processed) -> None:
    manifest = processed.manifest
    assert manifest.diarization is not None and manifest.diarization.num_speakers == 2
    roles = dict(manifest.attributed.roles)  # type: ignore[union-attr]
    assert sorted(roles.values()) == ["professional", "student"]


def test_clip_count_lengths_and_media(processed: Processed) -> None:
    clips = processed.manifest.clips
    # 92 s with 4 ground-truth topics (15-31 s): between 2 and 6 clips, each at least the chapter floor of a call
    # this short (a clip never crosses a chapter) and at most 3 min
    assert 2 <= len(clips) <= 6
    for c in clips:
        assert ChapterParams().min_floor_s <= c.end - c.start <= 180
        for key in (c.video_key, c.subtitles_key, c.thumbnail_key):
            assert processed.ctx.store.exists(key)
        vtt = processed.ctx.store.get_bytes(c.subtitles_key).decode()
        assert vtt.startswith("WEBVTT")
    assert [c.start for c in clips] == sorted(c.start for c in clips)


def test_clip_text_comes_from_its_time_span(processed: Processed) -> None:
    truth = json.loads((DATA / "rec04_excerpt.json").read_text())
    for clip in processed.manifest.clips:  # the words of the turns heard during the clip (a chapter may cut a turn)
        said = " ".join(t["text"] for t in truth["turns"] if min(t["end"], clip.end) - max(t["start"], clip.start) > 1)
        said_terms, clip_terms = set(analyze(said)), set(analyze(clip.text))
        if not said_terms:
            continue
        overlap = len(said_terms & clip_terms) / len(clip_terms)
        assert overlap >= 0.5, (clip.title, overlap)


def test_keyword_and_semantic_search_find_the_clip(processed: Processed) -> None:
    clips = processed.manifest.clips
    target = max(clips, key=lambda c: len(c.text))
    # the rarest long word of the clip: in its text, in no other clip
    others = " ".join(c.text for c in clips if c.clip_id != target.clip_id).lower()
    words = [w for w in re.findall(r"\w{7,}", target.text.lower()) if w not in others]
    assert words, "the clip has no word of its own"
    hits = search_clips(processed.ctx, words[0], mode="keyword", include_unpublished=True)
    assert hits and hits[0].clip_id == target.clip_id
    assert search_clips(processed.ctx, words[0], mode="keyword") == []  # nothing is published yet
    semantic = search_clips(processed.ctx, target.title, mode="semantic", include_unpublished=True, limit=3)
    assert target.clip_id in [h.clip_id for h in semantic]


def test_reingest_is_a_noop_and_rerun_adds_no_points(processed: Processed) -> None:
    ctx = processed.ctx
    again = ingest_recording(ctx, processed.media, excerpt_consent(processed.media.parent))
    assert again.recording_id == processed.recording_id and not again.created
    before = ctx.index.count(processed.recording_id)
    flows.process_recording(processed.recording_id, processed.settings)
    assert ctx.index.count(processed.recording_id) == before == len(processed.manifest.clips)
    assert [c.clip_id for c in ctx.repo.load(processed.recording_id).clips] == [
        c.clip_id for c in processed.manifest.clips
    ]


def test_rerun_after_a_stage_failure_completes_without_duplicates(
    processed: Processed, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, rid = processed.ctx, processed.recording_id
    for stage in ("enrich", "embed"):
        ctx.store.delete(f"recordings/{rid}/stages/{stage}.json")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected failure in enrich")

    monkeypatch.setattr("vidlib.pipelines.steps.enrich_clips", broken)  # the name the enrich step calls
    with pytest.raises(RuntimeError, match="injected"):
        flows.process_recording(rid, processed.settings)
    assert ctx.repo.load(rid).status == "failed"
    monkeypatch.undo()
    flows.process_recording(rid, processed.settings)
    manifest = ctx.repo.load(rid)
    assert manifest.status == "indexed"
    assert ctx.index.count(rid) == len(manifest.clips)


def test_a_recording_processed_before_chapters_keeps_its_clips_and_gets_a_chapter_per_clip(
    processed: Processed,
) -> None:
    """Its stored clip stages have no chapter (0 everywhere), its manifest no chapters: a re-run leaves its clips,
    media and decisions as they are and makes each clip's segment a chapter."""
    from dataclasses import replace

    from vidlib.domain import ClipSpec, TopicSegment

    ctx, rid = processed.ctx, processed.recording_id
    repo = ctx.repo
    ctx.store.delete(f"recordings/{rid}/stages/chapters.json")
    repo.update_stage(rid, SEGMENT, lambda segments: tuple(replace(x, chapter=0) for x in segments))
    repo.update_stage(rid, PLAN, lambda plan: tuple(replace(x, chapter=0) for x in plan))
    old = repo.load(rid)
    repo.save(replace(old, chapters=(), clips=tuple(replace(c, chapter_id="", topic_label="") for c in old.clips)))
    cut_before = ctx.store.get_bytes(f"recordings/{rid}/stages/cut.json")
    flows.process_recording(rid, processed.settings)
    manifest = repo.load(rid)
    assert [c.clip_id for c in manifest.clips] == [c.clip_id for c in old.clips]
    assert ctx.store.get_bytes(f"recordings/{rid}/stages/cut.json") == cut_before  # no clip was cut again
    assert [ch.clip_ids for ch in manifest.chapters] == [(c.clip_id,) for c in manifest.clips]
    assert all(c.chapter_id == ch.chapter_id and c.topic_label for c, ch in zip(manifest.clips, manifest.chapters))


def test_reindex_rebuilds_a_lost_index(processed: Processed) -> None:
    from vidlib.pipelines.reindex import reindex_all

    ctx = processed.ctx
    query = processed.manifest.clips[0].title
    before = [h.clip_id for h in search_clips(ctx, query, include_unpublished=True)]
    ctx.release_index()  # lose the embedded index's folder for real
    shutil.rmtree(ctx.settings.index_path)
    assert search_clips(ctx, query, include_unpublished=True) == []
    assert reindex_all(ctx) == len(processed.manifest.clips)
    assert [h.clip_id for h in search_clips(ctx, query, include_unpublished=True)] == before


def test_refused_consent_stores_nothing(tmp_path: Path, models_dir: Path) -> None:
    settings = make_settings(tmp_path / "home", models_dir)
    ctx = RunContext(settings)
    consent = excerpt_consent(tmp_path)
    doc = json.loads(consent.read_text())
    doc["participants"][1]["consent"] = False
    consent.write_text(json.dumps(doc))
    with pytest.raises(ConsentError, match="did not consent"):
        ingest_recording(ctx, copy_excerpt(tmp_path), consent)
    assert ctx.store.list_keys("recordings/") == []


def test_participant_names_are_flagged_with_times(processed: Processed) -> None:
    first = processed.manifest.clips[0]  # "Salut Julie ... Salut Nathan ..."
    names = [f for f in first.flags if f.kind == "name"]
    assert {f.text.lower() for f in names} >= {"julie", "nathan"}
    assert all(first.start <= f.start < f.end <= first.end + 0.5 for f in names)


def test_withdrawal_purges_everything_and_keeps_a_tombstone(processed: Processed) -> None:
    """Runs last in this module: it deletes the shared recording."""
    from vidlib.pipelines.withdrawal import withdraw_consent

    ctx, rid = processed.ctx, processed.recording_id
    report = withdraw_consent(ctx, rid, "Nathan", requested_by="guardian by e-mail")
    assert report.deleted_points == len(processed.manifest.clips) and report.deleted_objects > 10
    assert [k for k in ctx.store.list_keys("") if rid in k] == [f"tombstones/{rid}.json"]
    tombstone = ctx.store.get_bytes(f"tombstones/{rid}.json").decode()
    assert "Nathan" not in tombstone and "Julie" not in tombstone and '"participant_role": "student"' in tombstone
    assert ctx.index.count(rid) == 0
    assert search_clips(ctx, processed.manifest.clips[0].title, include_unpublished=True) == []
    assert not (processed.settings.home / "work" / rid).exists()
    with pytest.raises(ConsentError, match="withdrawn"):
        ingest_recording(ctx, processed.media, excerpt_consent(processed.media.parent))
    with pytest.raises(ConsentError, match="withdrawn"):
        flows.process_recording(rid, processed.settings)


def test_no_transcript_or_name_reaches_the_logs(processed: Processed) -> None:
    """Personal data stays out of logs: no sentence of the transcript, no participant's name, in any log line
    emitted during the whole run (Prefect, pyannote, transformers, ours)."""
    m = processed.manifest
    assert m.transcript is not None
    logs = "\n".join(processed.log_lines).casefold()
    for sentence in m.transcript.sentences:
        words = sentence.text.split()
        for i in range(0, max(1, len(words) - 3)):
            assert " ".join(words[i : i + 4]).casefold() not in logs
    for person in m.consent.participants:
        assert person.name.casefold() not in logs
