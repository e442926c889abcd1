"""``create_app(settings)``: the search API and its web pages. Nothing is built at import."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from vidlib.pipelines.context import RunContext, configure_offline_environment, context_for
from vidlib.search_api.catalog import Catalog
from vidlib.search_api.deps import Services
from vidlib.search_api.errors import install_error_handlers
from vidlib.search_api.links import LinkSigner
from vidlib.search_api.moderation import Moderation
from vidlib.search_api.routers import clips, pages, reactions, recordings, review, search
from vidlib.search_api.tokens import TokenBook
from vidlib.settings import Settings


def create_app(settings: Settings, ctx: RunContext | None = None) -> FastAPI:
    """The app over ``settings``' store and index; pass ``ctx`` to share one already open (tests, CLI)."""
    configure_offline_environment(settings)
    ctx = ctx or context_for(settings)
    catalog = Catalog(ctx)
    services = Services(
        ctx=ctx,
        catalog=catalog,
        moderation=Moderation(catalog),
        tokens=TokenBook(settings),
        signer=LinkSigner(settings),
    )
    app = FastAPI(title="vidlib", summary="Clips of career calls: search, play, moderate", version="1")
    app.state.services = services
    install_error_handlers(app)
    for module in (search, clips, recordings, review, reactions, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    return app
