"""``vidlib serve``: run the API and the web pages with uvicorn (one worker process: the embedded index admits one)."""

from __future__ import annotations

import threading
from typing import Any

from vidlib.search_api.app import create_app
from vidlib.settings import Settings


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options: no line per request unless ``access_log`` is set, as that line holds the query string,
    what a student searched."""
    return {"workers": 1, "log_level": "info", "proxy_headers": True, "access_log": settings.access_log}


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """The server answers at once; the index's payloads are read once on a thread of their own meanwhile
    (``ClipIndex.warm``), so that a student's first searches do not pay for the first reads."""
    import uvicorn

    app = create_app(settings)
    threading.Thread(target=app.state.services.ctx.index.warm, name="warm-index", daemon=True).start()
    uvicorn.run(app, host=host, port=port, **server_options(settings))
