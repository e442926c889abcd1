"""Fixtures for tests that run the real flow on real models (installed once, cached outside the clone)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from vidlib.settings import Settings

DATA = Path(__file__).parent / "data"
EXCERPT = DATA / "rec04_excerpt.mp4"


def excerpt_consent(tmp: Path, **changes: object) -> Path:
    truth = json.loads((DATA / "rec04_excerpt.json").read_text())
    people = [
        {
            "role": p["role"],
            "name": p["name"],
            "consent": True,
            "consented_at": "2026-10-01T10:00:00+02:00",
            "minor": False,
        }
        for p in truth["consent"]["parties"]
    ]
    doc = {
        "recording": {
            "title": truth["job"]["title"],
            "job": truth["job"]["label"],
            "sector": truth["job"]["sector"],
            "language": None,
        },
        "participants": people,
    }
    for key, value in changes.items():
        doc[key] = value  # type: ignore[assignment]
    path = tmp / "consent.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The models folder of the default settings, built once if missing (idempotent)."""
    from vidlib.models.install import install_models

    path = Settings().resolved_models_dir
    install_models(path)
    return path


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def make_settings(home: Path, models_dir: Path, **extra: object) -> Settings:
    return Settings(home=home, models_dir=models_dir, whisper_threads=1, **extra)  # type: ignore[arg-type]


def copy_excerpt(tmp: Path) -> Path:
    dest = tmp / "call.mp4"
    shutil.copy(EXCERPT, dest)
    return dest
