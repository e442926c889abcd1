"""One processed recording for the API and browser tests: processed once per session, restored per module.

The real flow (real models, ffmpeg, embedded Qdrant, local store) runs once; its store is snapshotted, and
each module that needs a clean library restores the snapshot and rebuilds the index from the manifests.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.pipeline_fixtures import copy_excerpt, excerpt_consent, make_settings
from vidlib.pipelines.context import RunContext, configure_offline_environment, context_for
from vidlib.settings import Settings
from vidlib.storage.manifests import ManifestRepo
from vidlib.storage.objectstore import LocalObjectStore

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@dataclass
class Library:
    settings: Settings
    ctx: RunContext
    recording_id: str
    snapshot: Path
    tokens: dict[str, str]  # role -> bearer token

    def restore(self) -> None:
        """Back to the freshly processed state: every clip pending, index rebuilt from the manifests."""
        from vidlib.pipelines.reindex import reindex_all

        # another module may have closed every context (close_contexts): use the one flows will find, and let go
        # of the embedded index held by a stale one (one process, one holder)
        current = context_for(self.settings)
        if current is not self.ctx:
            self.ctx.release_index()
            self.ctx = current
        store_dir = self.settings.store_dir
        shutil.rmtree(store_dir, ignore_errors=True)
        shutil.copytree(self.snapshot, store_dir)
        self.ctx.index.clear()
        reindex_all(self.ctx)

    def clip_ids(self) -> list[str]:
        return [c.clip_id for c in self.ctx.repo.load(self.recording_id).clips]

    def set_state(self, clip_id: str, state: str) -> None:
        """Test set-up shortcut (not a moderation decision): write a clip's state to manifest and index."""
        repo = self.ctx.repo
        manifest = repo.load(self.recording_id)
        clips = tuple(replace(c, state=state) if c.clip_id == clip_id else c for c in manifest.clips)  # type: ignore[arg-type]
        repo.save(replace(manifest, clips=clips))
        self.ctx.index.set_state(clip_id, state)


_SHARED: list[Library] = []


@pytest.fixture(scope="session")
def library(
    tmp_path_factory: pytest.TempPathFactory, models_dir: Path, request: pytest.FixtureRequest
) -> Iterator[Library]:
    """The processed excerpt. ``VIDLIB_TEST_LIBRARY_CACHE=DIR`` (development only) keeps the processed store
    in DIR and reuses it on the next run instead of processing again.

    Test modules import this fixture, which gives each module its own "session" instance; the module-level
    ``_SHARED`` makes them all one library, processed once per test run and closed when pytest ends.
    """
    if _SHARED:
        yield _SHARED[0]
        return
    from vidlib.search_api.tokens import create_token

    tmp = tmp_path_factory.mktemp("api")
    admin_token = "vl_admin-token-from-the-environment-0123456789"
    settings = make_settings(
        tmp / "home", models_dir, api_tokens=f"admin:{hashlib.sha256(admin_token.encode()).hexdigest()}"
    )
    configure_offline_environment(settings)
    ctx = context_for(settings)
    cache = Path(os.environ["VIDLIB_TEST_LIBRARY_CACHE"]) if os.environ.get("VIDLIB_TEST_LIBRARY_CACHE") else None
    snapshot = tmp / "store-snapshot"
    if cache is not None and cache.is_dir():
        shutil.copytree(cache, snapshot)
        rid = ManifestRepo(LocalObjectStore(snapshot)).list_ids()[0]
    else:
        from vidlib.pipelines import flows
        from vidlib.pipelines.ingest import ingest_recording

        request.getfixturevalue("prefect_harness")
        rid = ingest_recording(ctx, copy_excerpt(tmp), excerpt_consent(tmp)).recording_id
        flows.process_recording(rid, settings)
        shutil.copytree(settings.store_dir, snapshot)
        if cache is not None:
            shutil.copytree(snapshot, cache)
    tokens = {
        "student": create_token(settings, "student", "eleve-test"),
        "moderator": create_token(settings, "moderator", "moderatrice-test"),
        "admin": admin_token,
    }
    lib = Library(settings, ctx, rid, snapshot, tokens)
    lib.restore()
    _SHARED.append(lib)
    request.config.add_cleanup(ctx.close)
    yield lib


@pytest.fixture(scope="module")
def api(library: Library) -> Iterator[tuple[TestClient, Library]]:
    """A client of the app over the freshly restored library; restored again after the module, for the next one."""
    from fastapi.testclient import TestClient

    from vidlib.search_api.app import create_app

    library.restore()
    with TestClient(create_app(library.settings, library.ctx)) as client:
        yield client, library
    library.restore()


@contextmanager
def served(app: object, **options: object) -> Iterator[str]:
    """``app`` served by a real uvicorn on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
