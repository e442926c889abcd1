"""Shared fixtures. Telemetry is off and hubs are unreachable for the whole test session."""

from __future__ import annotations

import os

os.environ["PYANNOTE_METRICS_ENABLED"] = "0"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from tests.conftest_s3 import s3_server  # noqa: E402,F401
