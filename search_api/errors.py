"""Errors of the search API, under ``VidlibError``; ``install_error_handlers`` turns every error into JSON.

VidlibError
├── NotFoundError        404: no such clip, or a clip the caller may not see (the same answer)
├── ApiError             base of the API's own errors
│   ├── AuthError        401: no token, or one the operator did not configure
│   ├── ForbiddenError   403: a valid token whose role is too low for the endpoint
│   ├── ConflictError    409: the clip changed since the caller read it (send its new version)
│   │   └── NotPublishableError  409: consent forbids publishing the clip (no override possible)
│   ├── OverrideRequiredError    422: personal data flagged: redact, or approve with an override reason
│   ├── VoicesCheckRequiredError 422: approval without the moderator's word: only consented voices heard
│   ├── BadRequestError  400/422: a request that cannot be carried out as asked
│   └── RangeError       416: a Range header outside the object
├── BusyError            409: another writer (a processing run, a re-cut) holds the recording: try again
├── WithdrawnError       410: consent for the recording was withdrawn; nothing was changed
└── StorageError, MediaError, ...  503 / 500
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from vidlib.errors import BusyError, ConsentError, MediaError, NotFoundError, StorageError, VidlibError, WithdrawnError

log = logging.getLogger("vidlib.api")


class ApiError(VidlibError):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details = details


class AuthError(ApiError):
    status, code = 401, "unauthenticated"


class ForbiddenError(ApiError):
    status, code = 403, "forbidden"


class ConflictError(ApiError):
    status, code = 409, "conflict"


class NotPublishableError(ConflictError):
    code = "not_publishable"


class OverrideRequiredError(ApiError):
    status, code = 422, "override_reason_required"


class VoicesCheckRequiredError(ApiError):
    status, code = 422, "voices_check_required"


class BadRequestError(ApiError):
    status, code = 422, "invalid_request"


class RangeError(ApiError):
    status, code = 416, "range_not_satisfiable"


def _body(code: str, message: str, **details: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **details}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, RangeError) and "size" in exc.details:
            headers = {"Content-Range": f"bytes */{exc.details['size']}"}
        return JSONResponse(_body(exc.code, str(exc), **exc.details), status_code=exc.status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"where": ".".join(map(str, e["loc"])), "problem": e["msg"]} for e in exc.errors()]
        where = ", ".join(p["where"] for p in problems)
        return JSONResponse(_body("invalid_request", f"invalid request ({where})", problems=problems), status_code=422)

    for error_type, code, status, log_as in _VIDLIB_ERRORS:  # Starlette picks the closest class in the MRO
        app.add_exception_handler(error_type, _vidlib_handler(code, status, log_as))


# our errors -> (code, HTTP status, log prefix or None: consent reasons name people and are never logged)
_VIDLIB_ERRORS: tuple[tuple[type[VidlibError], str, int, str | None], ...] = (
    (NotFoundError, "not_found", 404, None),
    (BusyError, "recording_busy", 409, None),
    (WithdrawnError, "consent_withdrawn", 410, None),
    (StorageError, "storage_unavailable", 503, "storage error"),
    (ConsentError, "consent_error", 422, None),
    (MediaError, "media_error", 500, "media error"),
    (VidlibError, "error", 500, "error"),
)


def _vidlib_handler(code: str, status: int, log_as: str | None) -> Any:
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        if log_as is not None:
            log.error("%s: %s", log_as, exc)
        return JSONResponse(_body(code, str(exc)), status_code=status)

    return handle
