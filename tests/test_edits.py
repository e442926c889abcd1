"""A moderator corrects a clip (words, a turn's speaker, titles, topics) on the real processed recording: subtitles,
text, snippets, vectors, flags, version and audit follow; students find the corrected word; a re-run of the flow and
a reindex keep it; bad edits get a clear 4xx and write nothing."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.api_fixtures import Library, api, library  # noqa: F401 - fixtures
from tests.pipeline_fixtures import models_dir, prefect_harness  # noqa: F401 - fixtures
from tests.test_api import auth
from vidlib.pipelines.indexing import clip_payload
from vidlib.storage.audit import load_audit
from vidlib.storage.layout import recording_prefix

pytestmark = pytest.mark.slow
NEW_WORD = "pompiste"  # a word no call of the fixture holds


def _detail(client: TestClient, lib: Library, clip_id: str) -> dict:
    res = client.get(f"/clips/{clip_id}", headers=auth(lib, "moderator"))
    assert res.status_code == 200, res.text
    return res.json()


def _content_word(detail: dict) -> dict:
    return next(w for w in detail["words"] if re.fullmatch(r"\w{5,}", w["text"]))


def _published_clip(client: TestClient, lib: Library) -> tuple[str, dict, dict]:
    """A clean library with one published clip: its id, its moderator's view, one of its content words."""
    lib.restore()
    clip_id = lib.clip_ids()[1]
    lib.set_state(clip_id, "published")
    detail = _detail(client, lib, clip_id)
    return clip_id, detail, _content_word(detail)


def test_a_corrected_word_reaches_subtitles_snippets_search_and_survives_a_rerun(
    api: tuple[TestClient, Library], prefect_harness: None
) -> None:
    from vidlib.pipelines import flows
    from vidlib.pipelines.reindex import reindex_all

    client, lib = api
    clip_id, before, word = _published_clip(client, lib)
    assert all(0 <= w["probability"] <= 1 for w in before["words"]) and before["speakers"]
    assert NEW_WORD not in before["text"]
    res = client.post(
        f"/clips/{clip_id}/edit",
        headers=auth(lib, "moderator"),
        json={"version": before["version"], "words": [{"index": word["index"], "text": NEW_WORD}]},
    )
    assert res.status_code == 200, res.text
    after = res.json()["clip"]
    assert after["state"] == "published" and after["version"] != before["version"]
    assert NEW_WORD in after["text"]
    fixed = next(w for w in after["words"] if w["index"] == word["index"])
    assert fixed["text"] == NEW_WORD and fixed["probability"] == 1.0
    vtt = client.get(after["links"]["subtitles"]).text
    assert NEW_WORD in vtt
    entry = res.json()["entry"]
    assert entry["action"] == "edit" and entry["details"]["words"] == [
        {"index": word["index"], "before": word["text"], "after": NEW_WORD}
    ]
    assert [e.action for e in load_audit(lib.ctx.store, lib.recording_id)][-1] == "edit"
    for mode in ("keyword", "hybrid"):
        hits = client.get("/search", params={"q": NEW_WORD, "mode": mode}, headers=auth(lib, "student")).json()["hits"]
        assert hits and hits[0]["clip_id"] == clip_id, (mode, hits)
        assert f"<mark>{NEW_WORD}</mark>" in hits[0]["snippet"]

    reindex_all(lib.ctx)  # the manifest is the source of truth
    flows.process_recording(lib.recording_id, lib.settings)  # a re-run builds its clips from the stage results
    again = _detail(client, lib, clip_id)
    assert NEW_WORD in again["text"] and again["state"] == "published"
    assert NEW_WORD in client.get(again["links"]["subtitles"]).text
    hits = client.get("/search", params={"q": NEW_WORD, "mode": "keyword"}, headers=auth(lib, "student")).json()["hits"]
    assert [h["clip_id"] for h in hits] == [clip_id]
    lib.restore()


def test_a_turns_speaker_a_title_and_a_chapters_topic_are_corrected(api: tuple[TestClient, Library]) -> None:
    client, lib = api
    lib.restore()
    manifest = lib.ctx.repo.load(lib.recording_id)
    chapter = next(ch for ch in manifest.chapters if len(ch.clip_ids) >= 1)
    clip_id = chapter.clip_ids[0]
    detail = _detail(client, lib, clip_id)
    turn = detail["transcript"][0]
    other = next(s for s in detail["speakers"] if s != turn["speaker"])
    topic = next(t for t in client.get("/topics", headers=auth(lib, "moderator")).json() if t != chapter.topic)
    res = client.post(
        f"/clips/{clip_id}/edit",
        headers=auth(lib, "moderator"),
        json={
            "version": detail["version"],
            "speakers": [{"first_word": turn["first_word"], "last_word": turn["last_word"], "speaker": other}],
            "title": "  Comment   devient-on   pompiste ? ",
            "chapter_title": "Devenir pompiste",
            "chapter_topic": topic,
        },
    )
    assert res.status_code == 200, res.text
    after = res.json()["clip"]
    assert after["transcript"][0]["speaker"] == other and after["transcript"][0]["role"] == detail["speakers"][other]
    assert after["title"] == "Comment devient-on pompiste ?" and after["topic"] == topic
    assert after["context"]["chapter"]["title"] == "Devenir pompiste"
    stored = lib.ctx.repo.load(lib.recording_id)
    assert next(ch for ch in stored.chapters if ch.chapter_id == chapter.chapter_id).topic == topic
    for clip in stored.clips:  # every clip of the chapter carries its topic, in the manifest and the index
        if clip.chapter_id == chapter.chapter_id:
            assert clip.topic == topic
            assert lib.ctx.index.get(clip.clip_id).payload["topic"] == clip_payload(clip, stored)["topic"] == topic
    lib.restore()


def _stored(lib: Library) -> dict[str, bytes]:
    store = lib.ctx.store
    return {k: store.get_bytes(k) for k in store.list_keys(recording_prefix(lib.recording_id))}


@pytest.mark.parametrize(
    "body, status, says",
    [
        ({"words": [{"index": -1, "text": "x"}]}, 422, "index"),
        ({"words": [{"index": "W", "text": "   "}]}, 422, "empty"),
        ({"words": [{"index": "W", "text": "x" * 61}]}, 422, "at most"),
        ({"words": [{"index": "W", "text": "<script>alert(1)</script>"}]}, 422, "markup"),
        ({"words": [{"index": "W", "text": "bonjour&amp;"}]}, 422, "markup"),
        ({"words": [{"index": 10**6, "text": "mot"}]}, 422, "not a word of this clip"),
        ({"words": [{"index": "W", "text": "mot"}], "title": "<img src=x onerror=alert(1)>"}, 422, "markup"),
        ({"title": ""}, 422, "empty"),
        ({"topic": "astrologie"}, 422, "unknown topic"),
        ({"speakers": [{"first_word": "W", "last_word": "W", "speaker": "SPEAKER_99"}]}, 422, "unknown speaker"),
        ({}, 422, "nothing to change"),
        ({"version": "stale", "title": "Un titre"}, 409, "changed since"),
    ],
)
def test_bad_edits_get_a_clear_4xx_and_write_nothing(
    api: tuple[TestClient, Library], body: dict, status: int, says: str
) -> None:
    client, lib = api
    clip_id = lib.clip_ids()[1]
    detail = _detail(client, lib, clip_id)
    w = _content_word(detail)["index"]
    body = {"version": detail["version"], **body}
    for fix in body.get("words", []) + body.get("speakers", []):
        for key, value in fix.items():
            fix[key] = w if value == "W" else value
    before = _stored(lib)
    res = client.post(f"/clips/{clip_id}/edit", headers=auth(lib, "moderator"), json=body)
    assert res.status_code == status, res.text
    assert says in res.text
    assert _stored(lib) == before  # manifest, subtitles, stage results and audit log untouched


def test_a_student_cannot_edit_and_a_retitle_with_markup_is_refused(api: tuple[TestClient, Library]) -> None:
    client, lib = api
    clip_id = lib.clip_ids()[1]
    detail = _detail(client, lib, clip_id)
    before = _stored(lib)
    res = client.post(
        f"/clips/{clip_id}/edit", headers=auth(lib, "student"), json={"version": detail["version"], "title": "Piraté"}
    )
    assert res.status_code == 403
    res = client.post(
        f"/clips/{clip_id}/retitle",
        headers=auth(lib, "moderator"),
        json={"version": detail["version"], "title": "<script>alert(1)</script>"},
    )
    assert res.status_code == 422 and "markup" in res.text
    assert _stored(lib) == before


def test_a_clip_split_in_two_at_a_sentence_start_stays_split_after_a_rerun(
    api: tuple[TestClient, Library], prefect_harness: None
) -> None:
    from vidlib.pipelines import flows
    from vidlib.pipelines.reindex import reindex_all

    client, lib = api
    lib.restore()
    manifest = lib.ctx.repo.load(lib.recording_id)
    clip = max(manifest.clips, key=lambda c: c.end - c.start)
    detail = _detail(client, lib, clip.clip_id)
    url = f"/clips/{clip.clip_id}/split"
    assert client.post(url, headers=auth(lib, "moderator"), json={"version": "stale", "at": 10}).status_code == 409
    assert (
        client.post(url, headers=auth(lib, "student"), json={"version": detail["version"], "at": 10}).status_code == 403
    )
    res = client.post(
        url, headers=auth(lib, "moderator"), json={"version": detail["version"], "at": detail["duration"] / 2}
    )
    assert res.status_code == 200, res.text
    first, second = res.json()["clips"]
    assert {first["clip_id"], second["clip_id"]}.isdisjoint({clip.clip_id})
    assert first["start"] == pytest.approx(clip.start, abs=0.05) and second["end"] == pytest.approx(clip.end, abs=0.05)
    assert first["end"] <= second["start"] + 0.05 and first["end"] - first["start"] >= 3
    assert f"{first['text']} {second['text']}" == clip.text  # no word lost or doubled
    for half in (first, second):
        assert client.get(half["links"]["media"]).status_code == 200
        assert half["text"].split()[0] in client.get(half["links"]["subtitles"]).text
    assert client.get(f"/clips/{clip.clip_id}", headers=auth(lib, "moderator")).status_code == 404
    assert res.json()["entry"]["details"]["into"] == [first["clip_id"], second["clip_id"]]
    chapter = next(ch for ch in lib.ctx.repo.load(lib.recording_id).chapters if first["clip_id"] in ch.clip_ids)
    assert chapter.clip_ids[chapter.clip_ids.index(first["clip_id"]) + 1] == second["clip_id"]

    reindex_all(lib.ctx)
    flows.process_recording(lib.recording_id, lib.settings)
    ids = [c.clip_id for c in lib.ctx.repo.load(lib.recording_id).clips]
    assert clip.clip_id not in ids and ids.index(second["clip_id"]) == ids.index(first["clip_id"]) + 1
    assert lib.ctx.index.get(clip.clip_id) is None and lib.ctx.index.get(second["clip_id"]) is not None
    assert lib.ctx.index.count(lib.recording_id) == len(ids)
    lib.restore()


def test_text_a_moderator_types_is_escaped_where_students_read_it(api: tuple[TestClient, Library]) -> None:
    """Plain text with characters that mean something in HTML or WebVTT (R&D, "quotes") is kept as typed and
    escaped in the subtitles and the snippets (the student page inserts only the snippet as markup)."""
    client, lib = api
    clip_id, detail, word = _published_clip(client, lib)
    res = client.post(
        f"/clips/{clip_id}/edit",
        headers=auth(lib, "moderator"),
        json={
            "version": detail["version"],
            "words": [{"index": word["index"], "text": "R&D"}],
            "title": 'Le "labo" R&D',
        },
    )
    assert res.status_code == 200, res.text
    assert res.json()["clip"]["title"] == 'Le "labo" R&D'
    vtt = client.get(res.json()["clip"]["links"]["subtitles"]).text
    assert "R&amp;D" in vtt and "R&D" not in vtt
    hits = client.get("/search", params={"q": "R&D labo", "mode": "keyword"}, headers=auth(lib, "student")).json()[
        "hits"
    ]
    snippet = next(h["snippet"] for h in hits if h["clip_id"] == clip_id)
    assert "R&amp;D" in snippet and "R&D" not in snippet.replace("R&amp;D", "")
    lib.restore()
