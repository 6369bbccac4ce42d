"""The staff console: the static files of ``web/`` at ``/console/``, and the one setting
the page needs that GraphQL does not say (how long it waits before an idle sign-out)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from config.settings import Settings
from schema.documents.console import console_folder


def console_routes(settings: Settings) -> list[BaseRoute]:
    root = console_folder()
    if root is None:
        return []

    async def console_config(_request: Request) -> Response:
        return JSONResponse({"idleSeconds": settings.browser.console_idle_seconds})

    async def to_console(_request: Request) -> Response:
        return RedirectResponse("/console/", status_code=308)

    return [
        Route("/console", to_console, methods=["GET"]),
        Route("/console/config.json", console_config, methods=["GET"]),
        Mount("/console", app=StaticFiles(directory=root, html=True), name="console"),
    ]
