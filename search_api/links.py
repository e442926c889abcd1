"""Signed media links: ``<video>``, ``<track>`` and ``<img>`` cannot send a bearer token, so the API hands
out URLs carrying an HMAC of (clip id, role, expiry). The role is checked again when the link is used, so an
unpublished clip stops playing for students at once, whatever links they hold."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode

from vidlib.search_api.tokens import ROLES, ApiRole
from vidlib.settings import Settings


class LinkSigner:
    def __init__(self, settings: Settings) -> None:
        secret = settings.media_link_secret
        self._key = secret.get_secret_value().encode() if secret else secrets.token_bytes(32)
        self._expiry_s = settings.media_link_expiry_s

    def _mac(self, clip_id: str, role: str, exp: int) -> str:
        return hmac.new(self._key, f"{clip_id}|{role}|{exp}".encode(), hashlib.sha256).hexdigest()[:32]

    def query(self, clip_id: str, role: ApiRole, now: float | None = None) -> str:
        exp = int((time.time() if now is None else now) + self._expiry_s)
        return urlencode({"role": role, "exp": exp, "sig": self._mac(clip_id, role, exp)})

    def verify(self, clip_id: str, role: str, exp: int, sig: str) -> ApiRole | None:
        if role not in ROLES or exp < time.time() or not sig.isascii():
            return None  # compare_digest refuses non-ASCII text: such a signature is simply wrong
        if not hmac.compare_digest(self._mac(clip_id, role, exp), sig):
            return None
        return role  # type: ignore[return-value]
