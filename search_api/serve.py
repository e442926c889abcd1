"""``vidlib serve``: run the API and the web pages with uvicorn (one worker process: the embedded index admits one)."""

from __future__ import annotations

from vidlib.search_api.app import create_app
from vidlib.settings import Settings


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, workers=1, log_level="info", proxy_headers=True)
