"""The same flow with the object store on a real S3 server (SeaweedFS on loopback, signatures checked)."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pipeline_fixtures import copy_excerpt, excerpt_consent, make_settings, models_dir, prefect_harness  # noqa: F401 - fixtures
from vidlib.errors import StorageError
from vidlib.pipelines import flows
from vidlib.pipelines.context import RunContext, close_contexts, configure_offline_environment, context_for
from vidlib.pipelines.ingest import ingest_recording
from vidlib.search_api.search import search_clips
from vidlib.storage.layout import manifest_key, stage_key

pytestmark = [pytest.mark.slow, pytest.mark.s3]


@pytest.fixture(scope="module")
def on_s3(
    tmp_path_factory: pytest.TempPathFactory,
    models_dir: Path,
    prefect_harness: None,  # noqa: F811
    s3_server,
) -> Iterator[tuple[RunContext, str]]:  # noqa: F811
    tmp = tmp_path_factory.mktemp("s3flow")
    settings = make_settings(
        tmp / "home",
        models_dir,
        store="s3",
        s3_endpoint_url=s3_server.endpoint_url,
        s3_bucket="vidlib-e2e",
        s3_access_key_id=s3_server.access_key,
        s3_secret_access_key=s3_server.secret_key,
        s3_presign_expiry_s=60,
    )
    configure_offline_environment(settings)
    ctx = context_for(settings)
    try:
        rid = ingest_recording(ctx, copy_excerpt(tmp), excerpt_consent(tmp)).recording_id
        flows.process_recording(rid, settings)
        yield ctx, rid
    finally:
        close_contexts()


def test_flow_on_s3_store(on_s3: tuple[RunContext, str]) -> None:
    ctx, rid = on_s3
    manifest = ctx.repo.load(rid)
    keys = set(ctx.store.list_keys(f"recordings/{rid}/"))
    assert manifest.original_key in keys and f"recordings/{rid}/manifest.json" in keys
    assert manifest.clips and all(c.video_key in keys and c.subtitles_key in keys for c in manifest.clips)
    with urllib.request.urlopen(ctx.store.presign_url(manifest.clips[0].video_key), timeout=10) as resp:
        assert resp.read(12)[4:8] == b"ftyp"
    hits = search_clips(ctx, manifest.clips[0].title, mode="hybrid", include_unpublished=True)
    assert hits and hits[0].recording_id == rid


def test_s3_down_mid_run_fails_clearly_then_a_rerun_completes(on_s3: tuple[RunContext, str], s3_server) -> None:  # noqa: F811
    """The real SeaweedFS stops as the cut stage starts: the task retries with backoff, then the flow fails with
    a storage error; the manifest stays a whole, readable document; once the server is back a re-run completes."""
    ctx, rid = on_s3
    clips_before = [c.clip_id for c in ctx.repo.load(rid).clips]
    for stage in ("cut", "enrich", "embed", "index"):
        ctx.store.delete(stage_key(rid, stage))

    def stop_at_cut(recording_id: str, stage: str, event: str) -> None:
        if stage == "cut" and event == "start":
            s3_server.stop()

    ctx.progress = stop_at_cut
    t0 = time.monotonic()
    try:
        with pytest.raises(StorageError) as failure:
            flows.process_recording(rid, ctx.settings)
        elapsed = time.monotonic() - t0
    finally:
        ctx.progress = None
        s3_server.start()
    assert s3_server.endpoint_url.split("//")[1] in str(failure.value) or "S3" in str(failure.value)
    assert elapsed >= 12, "two retries with 2 s and 10 s of backoff come before the failure"
    assert any("could not be recorded" in note for note in getattr(failure.value, "__notes__", []))
    manifest = ctx.repo.load(rid)  # parses and validates: never half-written
    assert manifest.status == "indexed" and [c.clip_id for c in manifest.clips] == clips_before
    assert ctx.store.exists(manifest_key(rid)) and not ctx.store.exists(stage_key(rid, "cut"))
    flows.process_recording(rid, ctx.settings)
    manifest = ctx.repo.load(rid)
    assert manifest.status == "indexed" and [c.clip_id for c in manifest.clips] == clips_before
    assert ctx.index.count(rid) == len(manifest.clips)
    clip_objects = set(ctx.store.list_keys(f"recordings/{rid}/clips/"))
    assert clip_objects == {k for c in manifest.clips for k in (c.video_key, c.subtitles_key, c.thumbnail_key)}
