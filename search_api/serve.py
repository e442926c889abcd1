"""``vidlib serve``: run the API and the web pages with uvicorn (one worker process: the embedded index admits one)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from vidlib.errors import VidlibError
from vidlib.pipelines.context import RunContext
from vidlib.search_api.app import create_app
from vidlib.search_api.search import find
from vidlib.settings import Settings

_log = logging.getLogger("vidlib.serve")


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options: no line per request unless ``access_log`` is set, as that line holds the query string,
    what a student searched."""
    return {"workers": 1, "log_level": "info", "proxy_headers": True, "access_log": settings.access_log}


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """The server answers at once; meanwhile, on a thread of its own, the index's payloads are read once
    (``ClipIndex.warm``) and one search loads the query model, so that a student's first searches pay for neither
    (the first one waited about 3 s in a Chromium review)."""
    import uvicorn

    app = create_app(settings)
    threading.Thread(target=_warm, args=(app.state.services.ctx,), name="warm-index", daemon=True).start()
    uvicorn.run(app, host=host, port=port, **server_options(settings))


def _warm(ctx: RunContext) -> None:
    """Open the index and read its payloads once, then search once (the query model, the topics' and the everyday
    questions' vectors); a failure leaves the searches to load them as they come."""
    try:
        read = ctx.index.warm()
        find(ctx, "qu'est-ce que vous faites dans votre métier ?", limit=1)
    except VidlibError as exc:
        _log.warning("the index was not warmed: %s", exc)
    else:
        _log.info("index warmed: %d clips read", read)
