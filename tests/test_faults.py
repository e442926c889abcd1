"""Fault injection on the real flow (real models, ffmpeg, store, embedded index).

- A failure raised at the start of every stage in turn; each re-run resumes; the last one completes.
- A real SIGKILL of the process running the flow (``vidlib process`` in a subprocess) in the middle of
  the cut stage; a re-run completes.
After each: the manifest is complete, the index holds exactly one point per clip, and the store holds no
clip object that the manifest does not reference.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pipeline_fixtures import EXCERPT, excerpt_consent, make_settings, models_dir, prefect_harness  # noqa: F401 - fixtures
from vidlib.pipelines import flows
from vidlib.pipelines.context import RunContext, close_contexts, configure_offline_environment, context_for
from vidlib.pipelines.ingest import ingest_recording
from vidlib.pipelines.timings import STAGES
from vidlib.storage.layout import stage_key

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


class InjectedFault(RuntimeError):
    """Not a transient error: the flow must not retry it."""


@pytest.fixture(scope="module")
def short_call(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 50 s of the excerpt (its own content hash, so its own recording id)."""
    out = tmp_path_factory.mktemp("short") / "short_call.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(EXCERPT), "-t", "50", "-c", "copy", str(out)], check=True)
    return out


@pytest.fixture()
def fresh(tmp_path: Path, models_dir: Path, prefect_harness: None) -> Iterator[tuple[RunContext, Path]]:
    settings = make_settings(tmp_path / "home", models_dir)
    configure_offline_environment(settings)
    yield context_for(settings), tmp_path
    close_contexts()


def assert_consistent(ctx: RunContext, recording_id: str) -> None:
    manifest = ctx.repo.load(recording_id)
    assert manifest.status == "indexed" and manifest.error is None
    assert manifest.clips, "the call should give at least one clip"
    assert ctx.index.count(recording_id) == len(manifest.clips)
    assert all(ctx.index.get(c.clip_id) is not None for c in manifest.clips)
    clip_objects = set(ctx.store.list_keys(f"recordings/{recording_id}/clips/"))
    referenced = {k for c in manifest.clips for k in (c.video_key, c.subtitles_key, c.thumbnail_key)}
    assert clip_objects == referenced, f"orphans {clip_objects - referenced}, missing {referenced - clip_objects}"
    for stage in STAGES:
        assert ctx.store.exists(stage_key(recording_id, stage)), stage


def test_a_failure_at_every_stage_then_a_rerun_completes(fresh: tuple[RunContext, Path], short_call: Path) -> None:
    ctx, tmp = fresh
    rid = ingest_recording(ctx, short_call, excerpt_consent(tmp)).recording_id
    failed_at = []
    for target in STAGES:
        if ctx.store.exists(stage_key(rid, target)):
            continue  # diarize runs beside transcribe and may finish while transcribe fails: it is kept

        def fail_at(recording_id: str, stage: str, event: str, target: str = target) -> None:
            if stage == target and event == "start":
                raise InjectedFault(f"injected failure at {target}")

        ctx.progress = fail_at
        with pytest.raises(InjectedFault, match=f"at {target}"):
            flows.process_recording(rid, ctx.settings)
        manifest = ctx.repo.load(rid)
        assert manifest.status == "failed" and f"at {target}" in (manifest.error or "")
        assert not ctx.store.exists(stage_key(rid, target))  # a stage that failed left no result
        failed_at.append(target)
    assert set(STAGES) - set(failed_at) <= {"diarize"}
    ctx.progress = None
    flows.process_recording(rid, ctx.settings)
    assert_consistent(ctx, rid)
    flows.process_recording(rid, ctx.settings)  # and once more: nothing changes, nothing is added
    assert_consistent(ctx, rid)


def test_sigkill_of_the_worker_mid_stage_then_a_rerun_completes(
    fresh: tuple[RunContext, Path], short_call: Path
) -> None:
    ctx, tmp = fresh
    settings = ctx.settings
    rid = ingest_recording(ctx, short_call, excerpt_consent(tmp)).recording_id
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {
        "VIDLIB_HOME": str(settings.home),
        "VIDLIB_MODELS_DIR": str(settings.resolved_models_dir),
        "VIDLIB_WHISPER_THREADS": "1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "vidlib.cli", "process", rid],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    plan = settings.store_dir / stage_key(rid, "plan")
    deadline = time.monotonic() + 600
    try:
        while not plan.exists():  # the cut stage starts right after the plan is stored
            assert worker.poll() is None, f"the worker ended early: {worker.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < deadline, "the worker did not reach the cut stage in time"
            time.sleep(0.05)
        time.sleep(1.0)  # inside the cut stage (one encode of the call, several seconds)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=60)
    assert worker.returncode == -signal.SIGKILL
    assert not ctx.store.exists(stage_key(rid, "cut")), "the kill should land inside the cut stage"
    assert ctx.repo.load(rid).status != "indexed"
    flows.process_recording(rid, settings)
    assert_consistent(ctx, rid)


def test_a_withdrawal_stops_the_running_transcription_and_diarisation(fresh: tuple[RunContext, Path]) -> None:
    """Consent withdrawn two seconds into transcription (the whole 92 s excerpt: 25-40 s of work here, models loaded
    beforehand): it stops at its next check instead of finishing the stage, diarisation beside it too, and everything
    of the recording is purged
    but the tombstone."""
    from vidlib.errors import ConsentError
    from vidlib.pipelines.withdrawal import withdraw_consent

    ctx, tmp = fresh
    ctx = context_for(ctx.settings.model_copy(update={"withdrawal_check_s": 0.5}))
    ctx.models.whisper(), ctx.models.diarizer()  # loaded already: at the withdrawal both stages are at work
    rid = ingest_recording(ctx, EXCERPT, excerpt_consent(tmp)).recording_id
    events: list[tuple[str, str]] = []
    timers: list[threading.Timer] = []

    def withdraw_soon_after_transcription_starts(recording_id: str, stage: str, event: str) -> None:
        events.append((stage, event))
        if (stage, event) == ("transcribe", "start"):
            timers.append(threading.Timer(2.0, withdraw_consent, (ctx, recording_id, None), {"requested_by": "test"}))
            timers[-1].start()

    ctx.progress = withdraw_soon_after_transcription_starts
    with pytest.raises(ConsentError, match="withdrawn"):
        flows.process_recording(rid, ctx.settings)
    timers[0].join()
    assert ("transcribe", "start") in events and ("diarize", "start") in events
    assert ("transcribe", "done") not in events and ("diarize", "done") not in events
    assert [k for k in ctx.store.list_keys("") if rid in k] == [f"tombstones/{rid}.json"]
    assert ctx.index.count(rid) == 0


def test_sigterm_stops_the_worker_within_seconds_and_leaves_no_process_behind(fresh: tuple[RunContext, Path]) -> None:
    """A worker or container runtime stopping ``vidlib process`` with SIGTERM in the middle of transcribing a 10-minute
    call: it unwinds (the stages stop at their next check), records why in the manifest, and Prefect's temporary API
    server goes with it (killed at once, it used to outlive the process)."""
    from bench.perf_scale import make_call

    ctx, tmp = fresh
    settings = ctx.settings
    rid = ingest_recording(ctx, make_call(EXCERPT, 600, tmp / "ten_minutes.mp4"), excerpt_consent(tmp)).recording_id
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {
        "VIDLIB_HOME": str(settings.home),
        "VIDLIB_MODELS_DIR": str(settings.resolved_models_dir),
        "VIDLIB_WHISPER_THREADS": "1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "vidlib.cli", "process", rid, "--no-progress"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    audio = settings.store_dir / "recordings" / rid / "audio.wav"
    deadline = time.monotonic() + 300
    try:
        while not audio.exists():  # transcription and diarisation start right after the audio is stored
            assert worker.poll() is None, "the worker ended early"
            assert time.monotonic() < deadline, "the worker did not reach transcription in time"
            time.sleep(0.05)
        time.sleep(10.0)  # models loaded, both stages at work (transcribing 10 minutes takes minutes here)
        stopped = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=120)
        took = time.monotonic() - stopped
        time.sleep(1.0)
        left = subprocess.run(["pgrep", "-g", str(worker.pid)], capture_output=True, text=True).stdout.split()
    finally:
        try:  # whatever is left in the group (it would hold the stderr pipe open)
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        worker.wait(timeout=60)
    errors = worker.stderr.read().decode()[-2000:]
    assert left == [], f"processes left behind in the worker's group: {left}"
    assert worker.returncode == 130, errors
    assert took < 45, f"{took:.0f} s to stop after SIGTERM"
    manifest = ctx.repo.load(rid)
    assert manifest.status == "failed" and "interrupted" in (manifest.error or "")
    assert not ctx.store.exists(stage_key(rid, "transcribe"))
