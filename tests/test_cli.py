"""The command line as an operator meets it: clear one-line refusals, no tracebacks, ids on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.pipeline_fixtures import copy_excerpt, excerpt_consent


def vidlib(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # the operator's environment: none of the Prefect settings other tests of this session may have set
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"VIDLIB_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "vidlib.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    out = vidlib(tmp_path, "--help")
    assert out.returncode == 0
    for command in ("ingest", "process", "status", "show", "search", "reindex", "models", "demo"):
        assert command in out.stdout


def test_ingest_prints_the_id_last_and_is_idempotent(tmp_path: Path) -> None:
    media, consent = copy_excerpt(tmp_path), excerpt_consent(tmp_path)
    first = vidlib(tmp_path / "home", "ingest", str(media), "--consent", str(consent))
    assert first.returncode == 0, first.stderr
    rid = first.stdout.strip().splitlines()[-1]
    assert rid.startswith("rec_")
    second = vidlib(tmp_path / "home", "ingest", str(media), "--consent", str(consent))
    assert second.stdout.strip().splitlines()[-1] == rid and "already registered" in second.stderr
    status = json.loads(vidlib(tmp_path / "home", "status", "--json").stdout)
    assert [r["recording_id"] for r in status] == [rid]


def test_refusals_are_one_line_without_traceback(tmp_path: Path) -> None:
    consent = excerpt_consent(tmp_path)
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are meeting notes, not a video")
    cases = [
        ("ingest", str(fake), "--consent", str(consent)),
        ("ingest", str(tmp_path / "missing.mp4"), "--consent", str(consent)),
        ("process", "rec_doesnotexist"),
        ("show", "rec_doesnotexist", "--json"),
    ]
    for args in cases:
        out = vidlib(tmp_path / "home", *args)
        assert out.returncode == 2, (args, out.stderr)
        assert "Traceback" not in out.stderr
        assert out.stderr.strip().startswith("error: ") and len(out.stderr.strip().splitlines()) == 1


def _lavfi(tmp: Path, name: str, *inputs: str) -> Path:
    out = tmp / name
    args = ["ffmpeg", "-loglevel", "error", "-y"]
    for spec in inputs:
        args += ["-f", "lavfi", "-i", spec]
    subprocess.run(
        [*args, "-t", "20", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out)], check=True
    )
    return out


def test_silent_or_audioless_recordings_are_refused_with_a_reason(tmp_path: Path) -> None:
    home, consent = tmp_path / "home", excerpt_consent(tmp_path)
    mute = _lavfi(tmp_path, "mute.mp4", "testsrc2=size=320x240:rate=25")
    out = vidlib(home, "ingest", str(mute), "--consent", str(consent))
    assert out.returncode == 2 and "no audio" in out.stderr
    silent = _lavfi(tmp_path, "silent.mp4", "testsrc2=size=320x240:rate=25", "anullsrc=r=48000:cl=stereo")
    rid = vidlib(home, "ingest", str(silent), "--consent", str(consent)).stdout.strip().splitlines()[-1]
    out = vidlib(home, "process", rid, "--no-progress")
    assert out.returncode == 2 and "silent" in out.stderr and "Traceback" not in out.stderr
    status = json.loads(vidlib(home, "status", "--json").stdout)
    assert status[0]["status"] == "quarantined" and "silent" in status[0]["error"]
