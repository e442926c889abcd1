"""Read the ground truth of ../shared/data/calls (JSON next to each mp4) for benchmarks and tests."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any


def load_truth(media: Path) -> dict[str, Any]:
    return json.loads(media.with_suffix(".json").read_text(encoding="utf-8"))


def consent_from_truth(truth: dict[str, Any]) -> dict[str, Any]:
    """A vidlib consent document built from the call's consent block (every party consented)."""
    parties = truth["consent"]["parties"]
    people = [
        {
            "role": p["role"],
            "name": p["name"],
            "consent": p["consented"] == "yes",
            "consented_at": "2026-10-01T10:00:00+02:00",
            "minor": False,
        }
        for p in parties
    ]
    return {
        "recording": {
            "title": truth["job"]["title"],
            "job": truth["job"]["label"],
            "sector": truth["job"]["sector"],
            "language": None,
        },
        "participants": people,
    }


def reference_text(truth: dict[str, Any]) -> str:
    return " ".join(t["text"] for t in sorted(truth["turns"], key=lambda t: t["start"]))


def normalise_for_wer(text: str) -> str:
    text = unicodedata.normalize("NFC", text.lower()).replace("’", "'")
    text = re.sub(r"[^\w' -]+", " ", text)
    text = re.sub(r"[-']", " ", text)
    return re.sub(r"\s+", " ", text).strip()
