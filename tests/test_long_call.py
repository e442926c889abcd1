"""A 3-hour call goes through the whole pipeline with bounded memory (issue 5's "3-hour call" case).

About 30-60 minutes on two cores, so it runs only when asked: ``VIDLIB_LONG_TESTS=1 .venv/bin/python -m pytest
tests/test_long_call.py``. The call is the repository's 92 s excerpt of rec04 (French, two synthetic voices)
repeated by stream copy; ``vidlib ingest`` and ``vidlib process`` run as a worker would, in a child process whose
whole process tree is sampled for resident memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bench.perf_scale import make_call, tree_rss_mb
from tests.pipeline_fixtures import (
    EXCERPT,
    excerpt_consent,
    models_dir,  # noqa: F401 - fixture
)

HOURS = 3.0
# issue 6's bound for a 2-hour call, on the processing process (a deployed worker does not run Prefect's temporary
# API server, which the tree includes). Measured 2026-11-26: 3.13 GB before diarisation mapped the call (failed), then
# 2.58 GB (docs/bad-input.md).
PEAK_RSS_LIMIT_MB = 3000.0

pytestmark = pytest.mark.skipif(
    os.environ.get("VIDLIB_LONG_TESTS") != "1", reason="3-hour call, 30-60 min: set VIDLIB_LONG_TESTS=1 to run it"
)


def test_a_three_hour_call_is_processed_with_bounded_memory(tmp_path: Path, models_dir: Path) -> None:  # noqa: F811
    media = make_call(EXCERPT, HOURS * 3600, tmp_path / "three_hours.mp4")
    home = tmp_path / "home"
    env = {**os.environ, "VIDLIB_HOME": str(home), "VIDLIB_MODELS_DIR": str(models_dir)}
    vidlib = [sys.executable, "-m", "vidlib.cli"]
    ingest = subprocess.run(
        [*vidlib, "ingest", str(media), "--consent", str(excerpt_consent(tmp_path))],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    recording_id = ingest.stdout.strip().splitlines()[-1]

    worker = subprocess.Popen([*vidlib, "process", recording_id, "--no-progress"], env=env)
    peak, done = [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            peak[0] = max(peak[0], tree_rss_mb(worker.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        _, status, usage = os.wait4(worker.pid, 0)
    finally:
        done.set()
        sampler.join()
    assert status == 0, f"vidlib process exited with status {status}"
    process_peak_mb = usage.ru_maxrss / 1024  # kB on Linux

    manifest = json.loads((home / "store" / "recordings" / recording_id / "manifest.json").read_text())
    assert manifest["status"] == "indexed"
    assert manifest["media"]["duration_s"] == pytest.approx(HOURS * 3600, abs=2)
    last_word = max(w["end"] for s in manifest["transcript"]["sentences"] for w in s["words"])
    assert last_word > HOURS * 3600 - 120  # transcribed to the end, not stopped after a window
    assert len(manifest["clips"]) >= HOURS * 3600 / 180  # clips are at most 3 minutes long
    flagged = sum(t["end"] - t["start"] for t in manifest["diarization"].get("unconsented", ()))  # everyone consented
    print(
        f"3-hour call: peak RSS {process_peak_mb:.0f} MB (processing process), {peak[0]:.0f} MB (process tree), "
        f"{len(manifest['clips'])} clips, timings {manifest['timings']}, {flagged:.1f} s flagged as unconsented"
    )
    assert process_peak_mb <= PEAK_RSS_LIMIT_MB, f"peak RSS of the processing process {process_peak_mb:.0f} MB"
