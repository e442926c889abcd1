"""The two web pages (French, plain HTML + a little JS): ``/`` for students, ``/moderation`` for moderators."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
router = APIRouter(include_in_schema=False)
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@router.get("/")
def student_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "student.html", media_type="text/html; charset=utf-8", headers=_HEADERS)


@router.get("/moderation")
def moderator_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "moderator.html", media_type="text/html; charset=utf-8", headers=_HEADERS)


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg")
