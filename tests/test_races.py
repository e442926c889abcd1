"""Writers of one recording in separate processes: the API (its own process, each re-cut slowed to open a window)
against a consent withdrawal or a consent amendment sent while a trim or a redaction holds the recording. Every
writer holds the recording's one lock (``vidlib.pipelines.recording_lock``) and re-reads under it: nothing is lost and
nothing purged comes back. docs/moderation.md has the table of the races tried."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import TypeAdapter

from tests.api_fixtures import Library, library  # noqa: F401 - fixture
from tests.pipeline_fixtures import models_dir, prefect_harness  # noqa: F401 - fixtures
from vidlib.domain import ConsentRecord
from vidlib.storage.layout import recording_prefix, tombstone_key

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
SLOW_S = 4.0


def _env(lib: Library) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDLIB_")}
    for name, value in lib.settings.model_dump(exclude_defaults=True).items():
        env[f"VIDLIB_{name.upper()}"] = str(value.get_secret_value() if hasattr(value, "get_secret_value") else value)
    return env


@contextmanager
def _api_process(lib: Library, marker: Path) -> Iterator[httpx.Client]:
    """The real API in a child process over the library's store; the test process lets go of the embedded index."""
    lib.ctx.release_index()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.slow_recut_server", str(marker), str(port), str(SLOW_S)], cwd=ROOT, env=_env(lib)
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, "the API process ended"
                try:
                    if client.get("/static/common.js").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the API process did not start"
                time.sleep(0.2)
            yield client
    finally:
        proc.terminate()
        proc.wait(30)


def _bearer(lib: Library, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {lib.tokens[role]}"}


def _in_background(fn, *args, **kwargs) -> tuple[threading.Thread, list]:  # noqa: ANN001, ANN002, ANN003
    out: list = []
    thread = threading.Thread(target=lambda: out.append(fn(*args, **kwargs)))
    thread.start()
    return thread, out


def _wait_for(marker: Path) -> None:
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert time.monotonic() < deadline, "the re-cut never started"
        time.sleep(0.05)


def test_a_withdrawal_during_a_trim_leaves_nothing_behind(library: Library, tmp_path: Path) -> None:
    """The security review's case: a published clip is trimmed; consent is withdrawn during the re-cut. Before the
    one lock, the trim's save wrote the clip's media, manifest and index point back after the purge."""
    lib = library
    lib.restore()
    rid = lib.recording_id
    clip = lib.ctx.repo.load(rid).clips[1]
    lib.set_state(clip.clip_id, "published")
    marker = tmp_path / "recut-started"
    with _api_process(lib, marker) as api:
        version = api.get(f"/clips/{clip.clip_id}", headers=_bearer(lib, "moderator")).json()["version"]
        trim, trimmed = _in_background(
            api.post,
            f"/clips/{clip.clip_id}/trim",
            headers=_bearer(lib, "moderator"),
            json={"version": version, "start": clip.start + 1.0, "end": clip.end - 1.0},
        )
        _wait_for(marker)  # the trim holds the recording now
        withdrawn = api.post(f"/admin/recordings/{rid}/withdraw", json={}, headers=_bearer(lib, "admin"))
        trim.join(120)
        hits = api.get(
            "/search", params={"q": clip.text.split()[3], "mode": "keyword"}, headers=_bearer(lib, "student")
        ).json()["hits"]
        after = api.get(f"/clips/{clip.clip_id}", headers=_bearer(lib, "moderator"))
    assert list(lib.ctx.store.list_keys(recording_prefix(rid))) == []  # no media, manifest or audit came back
    assert lib.ctx.index.count(rid) == 0 and clip.clip_id not in [h["clip_id"] for h in hits]
    assert lib.ctx.store.exists(tombstone_key(rid))
    assert withdrawn.status_code == 200, withdrawn.text
    assert trimmed[0].status_code == 200, trimmed[0].text  # it held the recording first: done, then purged
    assert after.status_code == 410 and "withdrawn" in after.json()["error"]["message"], after.text
    lib.restore()


def test_a_consent_amendment_during_a_redaction_loses_neither(library: Library, tmp_path: Path) -> None:
    """A redaction in the API process and ``vidlib consent amend`` in another process at the same time: both changes
    are in the manifest and the audit log. Before the one lock, the redaction saved the manifest it had read before
    the amendment, and the new consent record was lost."""
    lib = library
    lib.restore()
    rid = lib.recording_id
    manifest = lib.ctx.repo.load(rid)
    clip = manifest.clips[1]
    document = TypeAdapter(ConsentRecord).dump_python(manifest.consent, mode="json")
    document["participants"].append(
        {"role": "guardian", "name": "Parent Tardif", "consent": True, "consented_at": "2026-11-20T10:00:00+00:00"}
    )
    amended = tmp_path / "amended.json"
    amended.write_text(json.dumps(document))
    marker = tmp_path / "recut-started"
    with _api_process(lib, marker) as api:
        version = api.get(f"/clips/{clip.clip_id}", headers=_bearer(lib, "moderator")).json()["version"]
        redact, redacted = _in_background(
            api.post,
            f"/clips/{clip.clip_id}/redact",
            headers=_bearer(lib, "moderator"),
            json={
                "version": version,
                "spans": [{"start": clip.start + 2.0, "end": clip.start + 3.0}],
                "reason": "un prénom",
            },
        )
        _wait_for(marker)
        amend = subprocess.run(
            [
                sys.executable,
                "-m",
                "vidlib.cli",
                "consent",
                "amend",
                rid,
                "--file",
                str(amended),
                "--requested-by",
                "dpo",
                "--json",
            ],
            cwd=ROOT,
            env=_env(lib),
            capture_output=True,
            text=True,
            timeout=180,
        )
        redact.join(120)
        assert amend.returncode == 0, amend.stderr
        assert redacted[0].status_code == 200, redacted[0].text
    stored = lib.ctx.repo.load(rid)
    assert len(stored.consent.participants) == len(manifest.consent.participants) + 1  # the amendment is kept
    after = next(c for c in stored.clips if c.clip_id == clip.clip_id)
    assert len(after.redactions) == len(clip.redactions) + 1  # and so is the redaction
    lib.restore()
