"""Bearer tokens of the search API: roles, hashes at rest, and the helper that makes a token.

A token is a random secret shown once; only its SHA-256 is stored (tokens are 256-bit random, so a plain
hash is enough: nothing to brute-force). Two sources, both read by :class:`TokenBook`:

* ``VIDLIB_API_TOKENS="moderator:<sha256hex>,student:<sha256hex>"`` (settings ``api_tokens``);
* ``$VIDLIB_HOME/api_tokens.json``, written by :func:`create_token` (re-read when it changes).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, get_args

from vidlib.errors import StorageError
from vidlib.settings import Settings
from vidlib.storage.manifests import now_iso

ApiRole = Literal["student", "moderator", "admin"]
ROLES: tuple[ApiRole, ...] = get_args(ApiRole)
RANK = {role: i for i, role in enumerate(ROLES)}
TOKEN_PREFIX = "vl_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a name for the audit log and a role."""

    name: str
    role: ApiRole
    token_id: str = ""  # derived from the token's hash, never from a name: what a student's reactions are kept under

    def at_least(self, role: ApiRole) -> bool:
        return RANK[self.role] >= RANK[role]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_file(settings: Settings) -> Path:
    return settings.home / "api_tokens.json"


def create_token(settings: Settings, role: ApiRole, name: str) -> str:
    """Make a token for ``name`` with ``role``, store its hash in HOME/api_tokens.json, return the token."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    path = tokens_file(settings)
    entries = _read_file(path)
    entries.append({"name": name, "role": role, "sha256": hash_token(token), "created_at": now_iso()})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, indent=1), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return token


def _read_file(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StorageError(f"cannot read the API tokens file {path}: {exc}; fix or delete it") from exc
    if not isinstance(entries, list):
        raise StorageError(f"the API tokens file {path} must hold a JSON list")
    return entries


def parse_token_setting(value: str) -> dict[str, Principal]:
    """``"role:hash,role:hash"`` -> {hash: Principal}; refuses anything that is not a role and a SHA-256."""
    out: dict[str, Principal] = {}
    for i, item in enumerate(x.strip() for x in value.split(",") if x.strip()):
        role, _, digest = item.partition(":")
        digest = digest.strip().lower()
        if role not in ROLES or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(
                f"VIDLIB_API_TOKENS entry {i + 1} is not 'role:sha256hex' with a role among "
                f"{', '.join(ROLES)} (store hashes, never tokens)"
            )
        out[digest] = Principal(name=f"{role}-{digest[:8]}", role=role)  # type: ignore[arg-type]
    return out


class TokenBook:
    """Token hash -> Principal, from the settings and the tokens file (re-read when its mtime changes)."""

    def __init__(self, settings: Settings) -> None:
        self._static = parse_token_setting(settings.api_tokens)
        self._path = tokens_file(settings)
        self._mtime: float | None = None
        self._from_file: dict[str, Principal] = {}

    def lookup(self, token: str) -> Principal | None:
        self._refresh()
        digest = hash_token(token)
        who = self._static.get(digest) or self._from_file.get(digest)
        return None if who is None else replace(who, token_id=hashlib.sha256(digest.encode()).hexdigest()[:24])

    def _refresh(self) -> None:
        try:
            mtime = self._path.stat().st_mtime
        except FileNotFoundError:
            self._from_file, self._mtime = {}, None
            return
        if mtime != self._mtime:
            self._from_file = {
                e["sha256"]: Principal(e["name"], e["role"])  # type: ignore[arg-type]
                for e in _read_file(self._path)
                if e.get("role") in ROLES
            }
            self._mtime = mtime


def main(argv: list[str] | None = None) -> int:
    """``python -m vidlib.search_api.tokens ROLE NAME``: make a token, print it once (until wired as `vidlib token`)."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m vidlib.search_api.tokens", description=main.__doc__)
    p.add_argument("role", choices=ROLES)
    p.add_argument("name", help="who holds it; recorded in the moderation audit log")
    args = p.parse_args(argv)
    settings = Settings()
    token = create_token(settings, args.role, args.name)
    print(token)
    import sys

    print(
        f"stored its hash in {tokens_file(settings)}; the token is not stored: give it to {args.name} now",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
