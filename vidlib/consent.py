"""Reading and checking consent records: no processing unless every participant consented."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from vidlib.domain import ConsentRecord
from vidlib.errors import ConsentError

_ADAPTER = TypeAdapter(ConsentRecord)


def parse_consent(data: dict[str, Any]) -> ConsentRecord:
    """Validate a consent document (see README) into a ConsentRecord."""
    try:
        record = _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConsentError(f"consent record is invalid at '{where}': {first['msg']}") from exc
    if not record.participants:
        raise ConsentError("consent record names no participant")
    return record


def load_consent(path: Path) -> ConsentRecord:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConsentError(f"consent file not found: {path}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConsentError(f"consent file {path.name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConsentError(f"consent file {path.name} must hold a JSON object")
    return parse_consent(data)


def consent_problems(record: ConsentRecord, *, now: datetime | None = None) -> list[str]:
    """Every reason this record does not allow processing; empty when it does."""
    problems: list[str] = []
    roles = [p.role for p in record.participants]
    if "professional" not in roles:
        problems.append("no professional is named in the consent record")
    if "student" not in roles:
        problems.append("no student is named in the consent record")
    guardian_ok = any(p.role == "guardian" and p.consent for p in record.participants)
    for p in record.participants:
        label = f"{p.role} '{p.name}'"
        if not p.consent:
            problems.append(f"{label} did not consent")
        elif p.consented_at is None:
            problems.append(f"{label} has no consent date")
        elif now is not None and p.consented_at.replace(tzinfo=None) > now.replace(tzinfo=None):
            problems.append(f"{label} has a consent date in the future")
        if p.minor and p.consent and not (p.guardian_consent or guardian_ok):
            problems.append(f"{label} is a minor and no guardian consent is recorded")
    return problems


def check_consent(record: ConsentRecord, *, now: datetime | None = None) -> None:
    """Raise ConsentError naming everyone whose consent is missing; return quietly otherwise."""
    problems = consent_problems(record, now=now)
    if problems:
        raise ConsentError("processing refused: " + "; ".join(problems))
