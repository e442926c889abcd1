import json
from datetime import UTC, datetime, timezone
from pathlib import Path

import pytest

from vidlib.consent import check_consent, load_consent, parse_consent
from vidlib.errors import ConsentError

WHEN = "2026-10-01T10:00:00+02:00"


def record(*participants: dict) -> dict:
    return {
        "recording": {"title": "t", "job": "infirmière", "sector": "santé", "language": "fr"},
        "participants": list(participants),
    }


def person(role: str, name: str, consent: bool = True, minor: bool = False, **extra: object) -> dict:
    return {"role": role, "name": name, "consent": consent, "consented_at": WHEN, "minor": minor, **extra}


def test_everyone_consented_passes() -> None:
    check_consent(
        parse_consent(record(person("professional", "A"), person("student", "B", minor=True), person("guardian", "C")))
    )


def test_one_refusal_names_the_person() -> None:
    with pytest.raises(ConsentError, match="student 'B' did not consent"):
        check_consent(parse_consent(record(person("professional", "A"), person("student", "B", consent=False))))


def test_minor_without_guardian_consent_is_refused() -> None:
    with pytest.raises(ConsentError, match="minor"):
        check_consent(parse_consent(record(person("professional", "A"), person("student", "B", minor=True))))


def test_minor_with_guardian_consent_flag_passes() -> None:
    check_consent(
        parse_consent(record(person("professional", "A"), person("student", "B", minor=True, guardian_consent=True)))
    )


def test_missing_date_and_future_date_are_refused() -> None:
    p = person("student", "B")
    del p["consented_at"]
    with pytest.raises(ConsentError, match="no consent date"):
        check_consent(parse_consent(record(person("professional", "A"), p)))
    future = person("student", "B", consented_at="2099-01-01T00:00:00Z")
    with pytest.raises(ConsentError, match="future"):
        check_consent(parse_consent(record(person("professional", "A"), future)), now=datetime.now(UTC))


def test_bad_role_and_corrupt_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConsentError, match="participants"):
        parse_consent(record(person("teacher", "A")))
    bad = tmp_path / "c.json"
    bad.write_text("{not json")
    with pytest.raises(ConsentError, match="not valid JSON"):
        load_consent(bad)
    with pytest.raises(ConsentError, match="not found"):
        load_consent(tmp_path / "missing.json")
    bad.write_text(json.dumps(record()))
    with pytest.raises(ConsentError, match="no participant"):
        load_consent(bad)
