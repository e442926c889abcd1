"""The admin withdrawal endpoint: only an admin may purge; afterwards nothing of the recording is served."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api_fixtures import Library, api, library  # noqa: F401 - fixtures
from tests.pipeline_fixtures import models_dir, prefect_harness  # noqa: F401 - fixtures
from tests.test_api import auth

pytestmark = pytest.mark.slow


def test_only_an_admin_can_withdraw_and_then_nothing_is_left(api: tuple[TestClient, Library]) -> None:
    client, lib = api
    rid, clips = lib.recording_id, lib.clip_ids()
    lib.set_state(clips[0], "published")
    url = f"/admin/recordings/{rid}/withdraw"
    assert client.post(url, json={}).status_code == 401
    for who in ("student", "moderator"):
        res = client.post(url, json={}, headers=auth(lib, who))
        assert res.status_code == 403 and "admin" in res.json()["error"]["message"].lower()
    assert (
        client.post("/admin/recordings/rec_..%2F..%2Fetc/withdraw", json={}, headers=auth(lib, "admin")).status_code
        == 404
    )
    assert client.post(f"{url}", json={"participant": "Quelqu'un d'autre"}, headers=auth(lib, "admin")).status_code in (
        400,
        422,
    )
    assert lib.ctx.repo.exists(rid)  # a refused request purged nothing
    queued = client.get("/review/queue", headers=auth(lib, "moderator")).json()["clips"]
    versions = {item["clip_id"]: item["version"] for item in queued}  # a moderator's page, open during the withdrawal

    res = client.post(url, json={"participant": "student"}, headers=auth(lib, "admin"))
    assert res.status_code == 200, res.text
    report = res.json()
    assert report["participant_role"] == "student" and report["deleted_points"] == len(clips)
    assert report["deleted_objects"] > len(clips)
    assert list(lib.ctx.store.list_keys(f"recordings/{rid}/")) == [] and lib.ctx.index.count(rid) == 0
    for clip_id in clips:  # a student learns nothing; staff are told why the clip is gone
        assert client.get(f"/clips/{clip_id}", headers=auth(lib, "student")).status_code == 404
        assert client.get(f"/clips/{clip_id}/media", headers=auth(lib, "student")).status_code == 404
        for who in ("moderator", "admin"):
            gone = client.get(f"/clips/{clip_id}", headers=auth(lib, who))
            assert gone.status_code == 410 and "withdrawn" in gone.json()["error"]["message"], gone.text
    late = client.post(
        f"/clips/{clips[1]}/reject",
        json={"version": versions[clips[1]], "reason": "hors sujet"},
        headers=auth(lib, "moderator"),
    )
    assert late.status_code == 410 and late.json()["error"]["code"] == "consent_withdrawn", late.text
    late_edit = client.post(
        f"/clips/{clips[1]}/edit",
        json={"version": versions[clips[1]], "title": "Nouveau titre"},
        headers=auth(lib, "moderator"),
    )
    assert late_edit.status_code == 410, late_edit.text
    assert list(lib.ctx.store.list_keys(f"recordings/{rid}/")) == []  # the refused decisions wrote nothing
    queue = client.get("/review/queue", headers=auth(lib, "moderator")).json()
    assert not [i for i in queue["clips"] if i["clip_id"] in clips]
    again = client.post(url, json={}, headers=auth(lib, "admin"))
    assert again.status_code == 404 and "already withdrawn" in again.json()["error"]["message"]
