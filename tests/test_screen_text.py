"""Names written on the video tiles: read by a real OCR engine (Debian's Tesseract with its French model) on the
real processed recording, offered for blurring when they name a participant, blurred by a redaction request (the
thumbnail too), and still blurred after a re-run and a later trim: read again, the names are gone."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from tests.api_fixtures import Library, api, library  # noqa: F401 - fixtures
from tests.pipeline_fixtures import models_dir, prefect_harness  # noqa: F401 - fixtures
from tests.test_api import auth

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("tesseract") is None,
        reason="needs Debian's tesseract-ocr and tesseract-ocr-fra (scripts/setup.sh installs them)",
    ),
]


def _read(client: TestClient, lib: Library, clip_id: str) -> dict[str, dict]:
    res = client.get(f"/clips/{clip_id}/screen-text", headers=auth(lib, "moderator"))
    assert res.status_code == 200, res.text
    return {item["text"]: item for item in res.json()["items"]}


def test_names_on_the_tiles_are_found_offered_and_blurred_for_good(
    api: tuple[TestClient, Library], prefect_harness: None
) -> None:
    from vidlib.pipelines import flows

    client, lib = api
    lib.restore()
    clip = lib.ctx.repo.load(lib.recording_id).clips[1]
    assert client.get(f"/clips/{clip.clip_id}/screen-text", headers=auth(lib, "student")).status_code == 403
    found = _read(client, lib, clip.clip_id)
    # the fixture's tiles: "Julie Tran" / "JT" (the professional), "Nathan" (the student), their captions
    assert found["Julie Tran"]["suggested"] and found["Nathan"]["suggested"] and found["JT"]["suggested"]
    assert not found["Élève de seconde"]["suggested"]  # a caption that names nobody is shown, not suggested
    names = [found[t]["box"] for t in ("Julie Tran", "Nathan", "JT")]
    detail = client.get(f"/clips/{clip.clip_id}", headers=auth(lib, "moderator")).json()
    thumbnail = client.get(detail["links"]["thumbnail"]).content
    res = client.post(
        f"/clips/{clip.clip_id}/redact",
        headers=auth(lib, "moderator"),
        json={"version": detail["version"], "boxes": names, "reason": "noms à l'écran"},
    )
    assert res.status_code == 200, res.text
    after = res.json()["clip"]
    assert after["screen_redactions"] == names and res.json()["entry"]["details"]["boxes"]
    assert client.get(after["links"]["thumbnail"]).content != thumbnail
    left = _read(client, lib, clip.clip_id)
    assert not [t for t in left if "Julie" in t or "Tran" in t or "Nathan" in t or t == "JT"], left
    assert "Élève de seconde" in left  # the rest of the picture is untouched

    flows.process_recording(lib.recording_id, lib.settings)  # a re-run keeps the blurred boxes in the manifest
    kept = next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id == clip.clip_id)
    assert [[b.x, b.y, b.w, b.h] for b in kept.screen_redactions] == [[b["x"], b["y"], b["w"], b["h"]] for b in names]
    version = client.get(f"/clips/{clip.clip_id}", headers=auth(lib, "moderator")).json()["version"]
    res = client.post(
        f"/clips/{clip.clip_id}/trim",
        headers=auth(lib, "moderator"),
        json={"version": version, "start": clip.start + 1.0, "end": clip.end},
    )
    assert res.status_code == 200, res.text
    assert not [t for t in _read(client, lib, clip.clip_id) if "Julie" in t or "Nathan" in t]  # a re-cut keeps it
    lib.restore()
