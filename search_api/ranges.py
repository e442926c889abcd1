"""Serving a stored object with HTTP Range support (RFC 9110): 200, 206 for one range, 416 outside it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi.responses import Response, StreamingResponse

from vidlib.search_api.errors import RangeError
from vidlib.storage.objectstore import ObjectStore

CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")  # ASCII digits only: \d also takes other scripts' digits
_MAX_DIGITS = 18  # beyond any object size; int() refuses strings of thousands of digits


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` inclusive for a single satisfiable range; None to send the whole object.

    Several ranges, or a header we do not understand, are answered with the whole object (allowed).
    """
    if not header:
        return None
    m = _RANGE.match(header.strip().replace(" ", ""))
    if not m or (not m.group(1) and not m.group(2)):
        return None
    first_s, last_s = m.groups()
    if not first_s:  # suffix range: the last N bytes
        n = _number(last_s)
        if n == 0 or size == 0:
            raise RangeError(f"range {header!r} selects no byte of a {size}-byte object", size=size)
        return max(0, size - n), size - 1
    first = _number(first_s)
    last = _number(last_s) if last_s else size - 1
    if last_s and last < first:
        return None  # invalid syntax: ignore the header
    if first >= size:
        raise RangeError(f"range {header!r} starts after the end of the {size}-byte object", size=size)
    return first, min(last, size - 1)


def _chunks(store: ObjectStore, key: str, first: int, last: int) -> Iterator[bytes]:
    pos = first
    while pos <= last:
        end = min(pos + CHUNK, last + 1)
        yield store.open_range(key, pos, end)
        pos = end


def object_response(
    store: ObjectStore, key: str, media_type: str, range_header: str | None, *, cache: str = "private, max-age=300"
) -> Response:
    size = store.size(key)
    span = parse_range(range_header, size)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": cache}
    if span is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(_chunks(store, key, 0, size - 1), media_type=media_type, headers=headers)
    first, last = span
    headers.update({"Content-Range": f"bytes {first}-{last}/{size}", "Content-Length": str(last - first + 1)})
    return StreamingResponse(_chunks(store, key, first, last), status_code=206, media_type=media_type, headers=headers)
