"""Shared fixtures. Telemetry is off and hubs are unreachable for the whole test session."""

from __future__ import annotations

import os

os.environ["PYANNOTE_METRICS_ENABLED"] = "0"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import atexit  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests import network_guard  # noqa: E402
from tests.conftest_s3 import s3_server  # noqa: E402,F401

network_guard.install()  # before any test imports a library that might phone home
# Python subprocesses (CLI runs, Prefect's temporary server, workers) load tests/guard_site/sitecustomize.py, which
# guards them too and writes their attempts to this file; the fixture below reads it with this process's attempts
_ROOT = Path(__file__).resolve().parent.parent
_fd, _log = tempfile.mkstemp(prefix="vidlib-network-guard-", suffix=".log")
os.close(_fd)
atexit.register(lambda: Path(_log).unlink(missing_ok=True))
os.environ[network_guard.LOG_VARIABLE] = _log
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(_ROOT / "tests" / "guard_site"), str(_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
)


@pytest.fixture(autouse=True)
def no_outbound_connections() -> Iterator[None]:
    """Every test fails if anything in this process tried to reach beyond loopback while it ran."""
    network_guard.take_attempts()
    yield
    attempts = network_guard.take_attempts()
    assert not attempts, f"outbound network attempts during the test: {attempts}"
