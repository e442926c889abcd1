"""Reading and checking consent records: no processing unless every participant consented.

Each participant's consent has a ``scope`` ("processing", "publication"; both by default) and may end
(``expires_at`` for every scope, ``publication_expires_at`` for publication alone). Processing needs
"processing" from everyone, unexpired; publishing a clip needs "publication", unexpired, from every
participant who speaks in it. The file format is described in docs/consent.md.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from vidlib.domain import ConsentRecord, Participant, Role, Scope
from vidlib.errors import ConsentError

_ADAPTER = TypeAdapter(ConsentRecord)


def parse_consent(data: dict[str, Any]) -> ConsentRecord:
    """Validate a consent document (docs/consent.md) into a ConsentRecord."""
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


def _naive(when: datetime) -> datetime:
    """Compare instants: aware times in UTC, naive ones taken as UTC."""
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def has_passed(when: datetime, now: datetime) -> bool:
    return _naive(when) <= _naive(now)


def scope_ends(p: Participant, scope: Scope) -> datetime | None:
    """When ``p``'s consent for ``scope`` ends (None: it does not)."""
    ends = [t for t in (p.expires_at, p.publication_expires_at if scope == "publication" else None) if t is not None]
    return min(ends, key=_naive) if ends else None


def scope_problem(p: Participant, scope: Scope, now: datetime | None) -> str | None:
    """Why ``p`` does not (or no longer) consent to ``scope`` at ``now``; None when they do."""
    label = f"{p.role} '{p.name}'"
    if not p.consent:
        return f"{label} did not consent"
    if scope not in p.scope:
        return f"{label} did not consent to {scope}"
    end = scope_ends(p, scope)
    if now is not None and end is not None and has_passed(end, now):
        return f"{label}'s consent to {scope} expired on {end.isoformat()}"
    return None


def publication_problems(record: ConsentRecord, roles: tuple[Role, ...], *, now: datetime) -> list[str]:
    """Why a clip whose speakers have ``roles`` cannot be published at ``now``: every participant with one of
    those roles must consent to publication (a role nobody in the record holds is an unconsented speaker)."""
    problems: list[str] = []
    for role in dict.fromkeys(roles):
        people = [p for p in record.participants if p.role == role]
        if not people:
            problems.append(f"a {role} speaks in the clip but no {role} is in the consent record")
        problems.extend(msg for p in people if (msg := scope_problem(p, "publication", now)) is not None)
        guardians = [g for g in record.participants if g.role == "guardian"]
        for minor in (p for p in people if p.minor and not p.guardian_consent and guardians):
            if all(scope_problem(g, "publication", now) is not None for g in guardians):
                problems.append(f"{minor.role} '{minor.name}' is a minor and no guardian consents to publication")
    return problems


def consent_problems(record: ConsentRecord, *, now: datetime | None = None) -> list[str]:
    """Every reason this record does not allow processing; empty when it does. Expiry is checked against
    ``now`` (default: the current time); a consent date in the future only when ``now`` is given."""
    problems: list[str] = []
    roles = [p.role for p in record.participants]
    if "professional" not in roles:
        problems.append("no professional is named in the consent record")
    if "student" not in roles:
        problems.append("no student is named in the consent record")
    guardian_ok = any(
        p.role == "guardian" and scope_problem(p, "processing", now or datetime.now(UTC)) is None
        for p in record.participants
    )
    for p in record.participants:
        label = f"{p.role} '{p.name}'"
        processing = scope_problem(p, "processing", now or datetime.now(UTC))
        if processing is not None:
            problems.append(processing)
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
