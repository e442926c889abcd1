"""The search API on a real processed recording: every endpoint x role, visibility of unpublished clips,
search results. Real embedded Qdrant, real local store, real models."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.api_fixtures import Library, library, served  # noqa: F401 - fixture
from tests.pipeline_fixtures import models_dir, prefect_harness  # noqa: F401 - fixtures
from vidlib.search_api.app import create_app
from vidlib.text import fold_accents

pytestmark = pytest.mark.slow
ROLES = ("student", "moderator", "admin")


@pytest.fixture(scope="module")
def api(library: Library) -> Iterator[tuple[TestClient, Library, str, str]]:
    """Client, library, one published clip id, one pending clip id."""
    library.restore()
    published, pending = library.clip_ids()[:2]
    library.set_state(published, "published")
    with TestClient(create_app(library.settings, library.ctx)) as client:
        yield client, library, published, pending


def auth(lib: Library, who: str) -> dict[str, str]:
    if who == "none":
        return {}
    if who == "bad":
        return {"Authorization": "Bearer vl_not-a-token"}
    return {"Authorization": f"Bearer {lib.tokens[who]}"}


def word_of(text: str) -> str:
    return max(re.findall(r"\w{6,}", text), key=len)


# expected status per role for each endpoint; {pub}/{pend} are clip ids
MATRIX = [
    ("GET", "/search?q=travail", (200, 200, 200)),
    ("GET", "/search?q=travail&include_unpublished=true", (403, 200, 200)),
    ("GET", "/discover", (200, 200, 200)),
    ("GET", "/me", (200, 200, 200)),
    ("GET", "/clips/{pub}", (200, 200, 200)),
    ("GET", "/clips/{pend}", (404, 200, 200)),
    ("GET", "/clips/{pub}/media", (200, 200, 200)),
    ("GET", "/clips/{pend}/media", (404, 200, 200)),
    ("GET", "/clips/{pub}/subtitles.vtt", (200, 200, 200)),
    ("GET", "/clips/{pend}/subtitles.vtt", (404, 200, 200)),
    ("GET", "/clips/{pub}/thumbnail.jpg", (200, 200, 200)),
    ("GET", "/clips/{pend}/thumbnail.jpg", (404, 200, 200)),
    ("GET", "/clips/{pub}/similar", (200, 200, 200)),
    ("GET", "/clips/{pend}/similar", (404, 200, 200)),
    ("GET", "/clips/clip_000000000000000000000000", (404, 404, 404)),
    ("GET", "/clips/../../etc/passwd/media", (404, 404, 404)),
    ("GET", "/recordings/{rec}/chapters", (200, 200, 200)),
    ("GET", "/recordings/rec_000000000000000000000000/chapters", (404, 404, 404)),
    ("GET", "/recordings/..%2F..%2Fetc/chapters", (404, 404, 404)),
    ("GET", "/review/queue", (403, 200, 200)),
    ("GET", "/clips/{pend}/history", (403, 200, 200)),
    ("POST", "/clips/{pend}/approve", (403, 409, 409)),  # stale version: refused, nothing changes
    ("POST", "/clips/{pend}/reject", (403, 409, 409)),
    ("POST", "/clips/{pub}/unpublish", (403, 409, 409)),
    ("POST", "/clips/{pend}/retitle", (403, 409, 409)),
    ("POST", "/clips/{pend}/trim", (403, 409, 409)),
    ("POST", "/clips/{pend}/redact", (403, 409, 409)),
    ("POST", "/admin/reindex", (403, 403, 200)),
]
BODIES = {
    "approve": {},
    "reject": {"reason": "hors sujet"},
    "unpublish": {},
    "retitle": {"title": "Un titre"},
    "trim": {"start": 1.0, "end": 20.0},
    "redact": {"spans": [{"start": 1.0, "end": 2.0}]},
}


@pytest.mark.parametrize(("method", "path", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_every_endpoint_for_every_role(
    api: tuple[TestClient, Library, str, str], method: str, path: str, expected: tuple[int, int, int]
) -> None:
    client, lib, pub, pend = api
    url = path.format(pub=pub, pend=pend, rec=lib.recording_id)
    action = url.rsplit("/", 1)[-1]
    body = {"version": "stale-version", **BODIES.get(action, {})} if method == "POST" else None
    for who, status in [*zip(ROLES, expected), ("none", 401), ("bad", 401)]:
        if who in ("none", "bad") and ("../" in url or "%2F" in url):
            status = 404  # never routed to a clip endpoint at all
        res = client.request(method, url, headers=auth(lib, who), json=body)
        assert res.status_code == status, (who, url, res.status_code, res.text[:300])
        if res.headers.get("content-type", "").startswith("application/json") and status >= 400:
            assert res.json()["error"]["message"], res.text
        if status == 401:
            assert res.headers["WWW-Authenticate"] == "Bearer"
    assert lib.ctx.repo.load(lib.recording_id).clips[1].state == "pending_review"  # no request changed it


def test_pages_are_public_and_french(api: tuple[TestClient, Library, str, str]) -> None:
    client = api[0]
    for path, words in (("/", "Rechercher"), ("/moderation", "Approuver")):
        res = client.get(path)
        assert res.status_code == 200 and "text/html" in res.headers["content-type"]
        assert 'lang="fr"' in res.text and words in res.text
    assert client.get("/static/common.js").status_code == 200


def test_student_never_sees_pending_clips(api: tuple[TestClient, Library, str, str]) -> None:
    client, lib, pub, pend = api
    pending = next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id == pend)
    student = auth(lib, "student")
    for mode in ("keyword", "semantic", "hybrid"):
        ids = [
            h["clip_id"]
            for h in client.get("/search", params={"q": word_of(pending.text), "mode": mode}, headers=student).json()[
                "hits"
            ]
        ]
        assert pend not in ids
    for _ in range(3):
        assert {c["clip_id"] for c in client.get("/discover?limit=50", headers=student).json()["clips"]} == {pub}
    assert pend not in [c["clip_id"] for c in client.get(f"/clips/{pub}/similar", headers=student).json()["clips"]]
    # a moderator's signed link does not open a pending clip for anyone holding only the link as a student
    mod_link = client.get(f"/clips/{pend}", headers=auth(lib, "moderator")).json()["links"]["media"]
    forged = mod_link.replace("role=moderator", "role=student")
    assert client.get(forged).status_code == 401
    assert client.get(mod_link, headers=student).status_code == 404  # the bearer token wins over the link


def test_malformed_links_and_ranges_get_4xx_not_500(api: tuple[TestClient, Library, str, str]) -> None:
    client, lib, pub, _ = api
    link = client.get(f"/clips/{pub}", headers=auth(lib, "student")).json()["links"]["media"]
    signed = link.split("sig=")[0] + "sig=" + quote("é" * 32)
    assert client.get(signed).status_code == 401  # a non-ASCII signature is a wrong one
    assert client.get(link).status_code == 200
    huge = "9" * 5000
    res = client.get(link, headers={"Range": f"bytes={huge}-"})
    assert res.status_code == 416 and res.headers["content-range"].startswith("bytes */")
    assert client.get(link, headers={"Range": f"bytes=0-{huge}"}).status_code == 206  # clamped to the end


def test_search_hits_carry_what_the_page_shows(api: tuple[TestClient, Library, str, str]) -> None:
    client, lib, pub, _ = api
    clip = next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id == pub)
    word = word_of(clip.text)
    for mode in ("keyword", "semantic", "hybrid"):
        data = client.get("/search", params={"q": word, "mode": mode}, headers=auth(lib, "student")).json()
        assert data["mode"] == mode and [h["clip_id"] for h in data["hits"]] == [pub]
    hit = data["hits"][0]
    assert hit["title"] == clip.title and hit["state"] == "published"
    assert hit["job"] and hit["sector"] and set(hit["speaker_roles"]) <= {"professional", "student"}
    assert hit["duration"] == pytest.approx(clip.end - clip.start, abs=0.01) and hit["score"] > 0
    assert "<mark>" in hit["snippet"] and word.lower() in hit["snippet"].lower()
    for link in ("media", "subtitles", "thumbnail"):
        assert client.get(hit["links"][link]).status_code == 200  # signed: no header needed
    job = hit["job"]
    assert client.get("/search", params={"q": word, "job": job}, headers=auth(lib, "student")).json()["hits"]
    assert not client.get("/search", params={"q": word, "job": "astronaute"}, headers=auth(lib, "student")).json()[
        "hits"
    ]
    assert client.get("/search", params={"q": word, "lang": "fr"}, headers=auth(lib, "student")).json()["hits"]
    assert not client.get("/search", params={"q": word, "lang": "en"}, headers=auth(lib, "student")).json()["hits"]
    assert client.get("/search", params={"q": word, "mode": "fuzzy"}, headers=auth(lib, "student")).status_code == 422


def test_a_job_the_library_lacks_gets_no_answer_and_what_is_close(api: tuple[TestClient, Library, str, str]) -> None:
    client, lib, pub, _ = api
    student = auth(lib, "student")
    data = client.get("/search", params={"q": "combien gagne un policier"}, headers=student).json()
    assert data["hits"] == [] and data["no_answer"]["asked_jobs"] == ["policier"]
    assert "policier" in data["no_answer"]["message"] and data["understood"]["sectors"] == ["Sécurité et défense"]
    # a query unlike every clip gets nothing in semantic and hybrid, and says so; the greeting clip (published
    # here) is near everything in meaning but answers nothing
    for mode in ("semantic", "hybrid"):
        data = client.get("/search", params={"q": "la recette des crêpes au sucre", "mode": mode}, headers=student)
        assert data.json()["hits"] == [] and data.json()["no_answer"]["asked_jobs"] == [], mode
    # the library's developer, named in any form, gets her clips first
    content = next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.topic not in ("accueil", "autre"))
    lib.set_state(content.clip_id, "published")
    try:
        data = client.get("/search", params={"q": "le métier d'un développeur web"}, headers=student).json()
        assert data["no_answer"] is None and data["understood"]["jobs"] == ["développeuse web"]
        assert data["hits"][0]["clip_id"] == content.clip_id
    finally:
        lib.set_state(content.clip_id, "pending_review")


def test_a_question_about_no_job_gets_no_answer_even_above_the_relevance_floor(
    api: tuple[TestClient, Library, str, str],
) -> None:
    """Everyday questions (a recipe, the weather, games: search_api/data/everyday_fr.json) are near career talk in
    e5's meaning: the floor alone lets some through. Nearer such a question than any clip, a query gets no answer,
    said as such, with no shelf of clips "close" to it; a question about the job keeps its answer."""
    from dataclasses import replace

    from vidlib.search_api.query import understand
    from vidlib.search_api.search import EVERYDAY, RankParams, find

    client, lib, pub, _ = api
    # those pointing at no sector: "mettre à jour mon ordinateur" points at the developer's, and a sector the library
    # holds is a question for it
    questions = [q for q in json.loads(EVERYDAY.read_text(encoding="utf-8"))["questions"] if not understand(q).sectors]
    unchecked = replace(RankParams(), off_topic_margin=None)
    through = [q for q in questions if find(lib.ctx, q, include_unpublished=True, params=unchecked).hits]
    assert through  # without the check, the floor answers some of them
    for q in through:
        found = find(lib.ctx, q, include_unpublished=True)
        assert found.off_topic and not found.hits and found.topic == "autre", q
    asked = {"q": through[0], "include_unpublished": "true"}  # all the clips, as the check above saw them
    data = client.get("/search", params=asked, headers=auth(lib, "moderator")).json()
    assert data["hits"] == [] and data["no_answer"]["shelf"] == [] and "métier" in data["no_answer"]["message"]
    job_question = find(lib.ctx, "qu'est-ce que tu fais dans ton travail de développeuse", include_unpublished=True)
    assert job_question.hits and not job_question.off_topic


def test_a_job_published_a_moment_ago_is_found_at_once(api: tuple[TestClient, Library, str, str]) -> None:
    client, lib, pub, _ = api
    student = auth(lib, "student")
    content = next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.topic not in ("accueil", "autre"))
    lib.set_state(pub, "pending_review")  # nothing of the developer is published: her job is not in the library
    asked = {"q": "le métier d'un développeur web"}
    try:
        assert client.get("/search", params=asked, headers=student).json()["no_answer"]["asked_jobs"] == ["développeur"]
        lib.set_state(content.clip_id, "published")
        data = client.get("/search", params=asked, headers=student).json()
        assert data["no_answer"] is None and data["hits"][0]["clip_id"] == content.clip_id
    finally:
        lib.set_state(content.clip_id, "pending_review")
        lib.set_state(pub, "published")


def test_the_player_starts_where_the_searched_word_is_said(api: tuple[TestClient, Library, str, str]) -> None:
    client, lib, pub, _ = api
    assert len(client.get(f"/clips/{pub}", headers=auth(lib, "student")).json()["words"]) > 5  # for the transcript
    longest = max(lib.ctx.repo.load(lib.recording_id).clips, key=lambda c: c.end - c.start)
    whole = client.get(f"/clips/{longest.clip_id}", headers=auth(lib, "moderator")).json()
    assert whole["moment"] == 0
    late = next(w for w in whole["words"][len(whole["words"]) // 2 :] if re.fullmatch(r"\w{7,}", w["text"]))
    found = client.get(f"/clips/{longest.clip_id}", params={"q": late["text"]}, headers=auth(lib, "moderator"))
    assert 0 < found.json()["moment"] <= late["start"] and late["start"] - found.json()["moment"] < 10


def test_the_home_page_shelves_and_catalogue_hold_published_clips_only(
    api: tuple[TestClient, Library, str, str],
) -> None:
    client, lib, pub, _ = api
    data = client.get("/browse", headers=auth(lib, "student")).json()
    shelves = {s["key"]: [c["clip_id"] for c in s["clips"]] for s in data["shelves"]}
    assert shelves["hasard"] == [pub] and shelves["modeles"] == [pub]  # a developer: women are few in her sector
    job = lib.ctx.repo.load(lib.recording_id).consent.recording.job
    assert data["catalogue"] == [{"sector": "numérique", "jobs": [{"job": job, "clips": 1}]}]
    assert sum(t["clips"] for t in data["topics"]) <= 1


def test_a_moderator_sets_the_styles_of_a_call_for_search_and_browse_and_a_rerun_keeps_them(
    api: tuple[TestClient, Library, str, str],
) -> None:
    from vidlib.pipelines.indexing import finalize_manifest

    client, lib, pub, _ = api
    url = f"/review/recordings/{lib.recording_id}/styles"
    assert client.get("/styles", headers=auth(lib, "student")).json()["creatif"] == "Créatif"
    assert client.put(url, json={"styles": ["creatif"]}, headers=auth(lib, "student")).status_code == 403
    refused = client.put(url, json={"styles": ["rigolo"]}, headers=auth(lib, "moderator"))
    assert refused.status_code == 422 and "rigolo" in refused.json()["error"]["message"]
    before = lib.ctx.repo.load(lib.recording_id)
    assert before.styles_by is None and before.styles == finalize_manifest(lib.ctx, lib.recording_id).styles

    res = client.put(url, json={"styles": ["scientifique", "creatif"]}, headers=auth(lib, "moderator"))
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["styles"] == ["creatif", "scientifique"] and body["styles_by"] == "moderatrice-test"
    assert body["clips_updated"] == len(lib.clip_ids())
    student = auth(lib, "student")
    said = word_of(next(c.text for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id == pub))
    found = client.get("/search", params={"q": said, "style": "scientifique"}, headers=student).json()["hits"]
    assert [h["clip_id"] for h in found] == [pub] and found[0]["styles"] == ["creatif", "scientifique"]
    assert client.get("/search", params={"q": said, "style": "manuel"}, headers=student).json()["hits"] == []
    assert [c["clip_id"] for c in client.get("/discover?style=creatif", headers=student).json()["clips"]] == [pub]
    styles = client.get("/browse", headers=student).json()["styles"]
    assert styles == [
        {"style": "creatif", "style_label": "Créatif", "clips": 1},
        {"style": "scientifique", "style_label": "Scientifique", "clips": 1},
    ]
    chapters = client.get(f"/recordings/{lib.recording_id}/chapters", headers=auth(lib, "moderator")).json()
    assert chapters["styles"] == ["creatif", "scientifique"] and chapters["styles_by"] == "moderatrice-test"
    # a re-run of the flow's last step keeps the moderator's styles
    assert finalize_manifest(lib.ctx, lib.recording_id).styles == ("creatif", "scientifique")
    lib.restore()
    lib.set_state(pub, "published")


def test_reactions_feed_a_pour_toi_shelf_kept_for_the_token_only(api: tuple[TestClient, Library, str, str]) -> None:
    from vidlib.search_api.tokens import create_token

    client, lib, pub, pend = api
    student = auth(lib, "student")
    other = {"Authorization": f"Bearer {create_token(lib.settings, 'student', 'une autre élève')}"}
    others = [c for c in lib.clip_ids() if c != pub]
    for clip_id in others:
        lib.set_state(clip_id, "published")
    try:
        assert client.get("/me/for-you", headers=student).json()["clips"] == []  # nothing until a like
        liked = client.post("/me/reactions", json={"clip_id": pub, "reaction": "utile"}, headers=student)
        assert liked.status_code == 200 and liked.json()["reaction"] == "utile"
        # a watch alone does not undo the like; the longest watch is kept
        client.post("/me/reactions", json={"clip_id": pub, "reaction": "vu", "watched_s": 12}, headers=student)
        assert client.get("/me/reactions", headers=student).json() == [
            {"clip_id": pub, "reaction": "utile", "watched_s": 12.0}
        ]
        shelf = [c["clip_id"] for c in client.get("/me/for-you", headers=student).json()["clips"]]
        assert shelf and pub not in shelf and set(shelf) <= set(others)  # near the liked clip, never it again
        assert client.get("/me/for-you", headers=other).json()["clips"] == []  # another token sees nothing
        # kept under an id derived from the token, no name
        keys = [k for k in lib.ctx.store.list_keys("students/")]
        assert keys and not any("eleve" in k or "élève" in k for k in keys)
        assert client.delete("/me/reactions", headers=student).json() == {"deleted": 1}
        assert client.get("/me/reactions", headers=student).json() == []
    finally:
        for clip_id in others:
            lib.set_state(clip_id, "pending_review")
    # a student cannot react to a clip they cannot see
    assert client.post("/me/reactions", json={"clip_id": pend, "reaction": "utile"}, headers=student).status_code == 404


def test_the_server_writes_no_student_query_to_its_log_unless_asked(
    library: Library,  # noqa: F811
    capfd: pytest.CaptureFixture[str],
) -> None:
    """What a student types may name them: ``vidlib serve`` logs no line per request unless VIDLIB_ACCESS_LOG."""
    import httpx

    from vidlib.search_api.serve import server_options

    query = "je m'appelle Zoé Martin-Zedlitz et je cherche un stage"
    for access_log in (False, True):
        settings = library.settings.model_copy(update={"access_log": access_log})
        with served(create_app(settings, library.ctx), **server_options(settings)) as base:
            student = auth(library, "student")
            assert httpx.get(f"{base}/search", params={"q": query}, headers=student, timeout=60).status_code == 200
        out, err = capfd.readouterr()
        assert ("Zedlitz" in out + err) is access_log, out + err


def test_clip_detail_has_transcript_turns(api: tuple[TestClient, Library, str, str]) -> None:
    client, lib, pub, _ = api
    data = client.get(f"/clips/{pub}", headers=auth(lib, "student")).json()
    assert data["transcript"] and {t["role"] for t in data["transcript"]} <= {"professional", "student"}
    assert all(0 <= t["start"] <= t["end"] <= data["duration"] + 0.01 for t in data["transcript"])
    words = " ".join(t["text"] for t in data["transcript"]).split()
    assert len(words) >= len(data["text"].split()) * 0.8
    assert data["version"] and data["links"]["media"].startswith(f"/clips/{pub}/media?")


def test_review_queue_lists_pending_oldest_first(api: tuple[TestClient, Library, str, str]) -> None:
    client, lib, pub, pend = api
    data = client.get("/review/queue", headers=auth(lib, "moderator")).json()
    ids = [c["clip_id"] for c in data["clips"]]
    assert pub not in ids and pend in ids and data["total"] == len(lib.clip_ids()) - 1
    starts = [c["start"] for c in data["clips"]]
    assert starts == sorted(starts)
    job = data["clips"][0]["job"]
    assert (
        client.get("/review/queue", params={"job": job}, headers=auth(lib, "moderator")).json()["total"]
        == data["total"]
    )
    assert (
        client.get("/review/queue", params={"job": "astronaute"}, headers=auth(lib, "moderator")).json()["total"] == 0
    )
    # any part of the name, whatever the accents and case; the names to choose from come with the queue
    sector = data["clips"][0]["sector"]
    assert data["jobs"] == [job] and data["sectors"] == [sector]
    for params in ({"job": fold_accents(job.split()[0]).upper()}, {"sector": fold_accents(sector)[:5]}):
        assert (
            client.get("/review/queue", params=params, headers=auth(lib, "moderator")).json()["total"] == data["total"]
        )
    page = client.get("/review/queue", params={"limit": 1, "offset": 1}, headers=auth(lib, "moderator")).json()
    assert page["total"] == data["total"] and [c["clip_id"] for c in page["clips"]] == ids[1:2]
    assert {c["clip_id"]: (c["flags"], c["publishable"]) for c in data["clips"]} == {
        c.clip_id: (len(c.flags), True) for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id in ids
    }
    published = client.get("/review/queue", params={"state": "published"}, headers=auth(lib, "moderator")).json()
    assert [c["clip_id"] for c in published["clips"]] == [pub]


def test_admin_reindex_keeps_states(api: tuple[TestClient, Library, str, str]) -> None:
    client, lib, pub, _ = api
    res = client.post("/admin/reindex", headers=auth(lib, "admin"))
    assert res.json()["indexed"] == len(lib.clip_ids())
    assert [c["clip_id"] for c in client.get("/discover", headers=auth(lib, "student")).json()["clips"]] == [pub]


def test_chapters_of_a_call_and_of_a_clip_show_a_student_published_clips_only(
    api: tuple[TestClient, Library, str, str],
) -> None:
    client, lib, pub, pend = api
    manifest = lib.ctx.repo.load(lib.recording_id)
    everything = client.get(f"/recordings/{lib.recording_id}/chapters", headers=auth(lib, "moderator")).json()
    assert [ch["chapter_id"] for ch in everything["chapters"]] == [ch.chapter_id for ch in manifest.chapters]
    assert [i for ch in everything["chapters"] for i in ch["clip_ids"]] == [c.clip_id for c in manifest.clips]
    assert all(ch["topic_label"] and ch["title"] for ch in everything["chapters"])
    student = client.get(f"/recordings/{lib.recording_id}/chapters", headers=auth(lib, "student")).json()
    assert [i for ch in student["chapters"] for i in ch["clip_ids"]] == [pub]  # only the published clip, its chapter
    assert student["job"] == manifest.consent.recording.job
    # the clip's own context: its chapter, no neighbour that a student may not see
    ctx = client.get(f"/clips/{pub}", headers=auth(lib, "student")).json()["context"]
    assert ctx["chapter"]["clip_ids"] == [pub] and ctx["next_clip_id"] is None and ctx["next_chapter_clip_id"] is None
    seen = client.get(f"/clips/{pub}", headers=auth(lib, "moderator")).json()["context"]
    ids = [c.clip_id for c in manifest.clips]
    following = ids[ids.index(pub) + 1] if ids.index(pub) + 1 < len(ids) else None
    assert following in (seen["next_clip_id"], seen["next_chapter_clip_id"])
    # nothing published in the call: a student is told it does not exist
    lib.set_state(pub, "pending_review")
    try:
        assert client.get(f"/recordings/{lib.recording_id}/chapters", headers=auth(lib, "student")).status_code == 404
    finally:
        lib.set_state(pub, "published")
