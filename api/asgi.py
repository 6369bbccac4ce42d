"""The ASGI entry point uvicorn imports in each worker process."""

from __future__ import annotations

from starlette.applications import Starlette

from api.app import build_app
from api.logs import configure_logging
from config.settings import load_settings


def create_app() -> Starlette:
    configure_logging()
    return build_app(load_settings())
