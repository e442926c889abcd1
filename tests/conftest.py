"""Shared fixtures. Telemetry is off and hubs are unreachable for the whole test session."""

from __future__ import annotations

import os

os.environ["PYANNOTE_METRICS_ENABLED"] = "0"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from tests.conftest_s3 import s3_server  # noqa: E402,F401

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from tests import network_guard  # noqa: E402

network_guard.install()  # before any test imports a library that might phone home


@pytest.fixture(autouse=True)
def no_outbound_connections() -> Iterator[None]:
    """Every test fails if anything in this process tried to reach beyond loopback while it ran."""
    network_guard.take_attempts()
    yield
    attempts = network_guard.take_attempts()
    assert not attempts, f"outbound network attempts during the test: {attempts}"
