"""The same flow with the object store on a real S3 server (SeaweedFS on loopback, signatures checked)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from pipelines import flows
from pipelines.context import close_contexts, configure_offline_environment, context_for
from pipelines.ingest import ingest_recording
from search_api.search import search_clips
from tests.pipeline_fixtures import copy_excerpt, excerpt_consent, make_settings
from tests.pipeline_fixtures import models_dir, prefect_harness  # noqa: F401 - fixtures

pytestmark = [pytest.mark.slow, pytest.mark.s3]


def test_flow_on_s3_store(tmp_path: Path, models_dir: Path, prefect_harness: None, s3_server) -> None:  # noqa: F811
    settings = make_settings(
        tmp_path / "home", models_dir, store="s3", s3_endpoint_url=s3_server.endpoint_url, s3_bucket="vidlib-e2e",
        s3_access_key_id=s3_server.access_key, s3_secret_access_key=s3_server.secret_key, s3_presign_expiry_s=60,
    )
    configure_offline_environment(settings)
    ctx = context_for(settings)
    try:
        rid = ingest_recording(ctx, copy_excerpt(tmp_path), excerpt_consent(tmp_path)).recording_id
        flows.process_recording(rid, settings)
        manifest = ctx.repo.load(rid)
        keys = set(ctx.store.list_keys(f"recordings/{rid}/"))
        assert manifest.original_key in keys and f"recordings/{rid}/manifest.json" in keys
        assert manifest.clips and all(c.video_key in keys and c.subtitles_key in keys for c in manifest.clips)
        with urllib.request.urlopen(ctx.store.presign_url(manifest.clips[0].video_key), timeout=10) as resp:
            assert resp.read(12)[4:8] == b"ftyp"
        hits = search_clips(ctx, manifest.clips[0].title, mode="hybrid", include_unpublished=True)
        assert hits and hits[0].recording_id == rid
    finally:
        close_contexts()
