"""The Starlette application, assembled explicitly from routes, middleware and a lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from api.console import console_routes
from api.database import close_database, open_database
from api.exports import export_download
from api.graphql_view import BillingGraphQL
from api.health import healthz, readyz
from api.http_security import browser_middleware
from api.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from api.origins import OriginPolicy
from api.statements import statement_download
from billing.wiring import connect_domains
from config.settings import Settings
from schema import build_schema
from webhooks.shipping import shipping_webhook
from webhooks.stripe import stripe_webhook


def build_app(settings: Settings) -> Starlette:
    connect_domains()
    graphql = BillingGraphQL(build_schema(settings), settings, OriginPolicy(settings))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await open_database(settings)
        try:
            yield
        finally:
            await close_database()

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/statements/{token}", statement_download(settings), methods=["GET"]),
        Route("/exports/{token}", export_download(settings), methods=["GET"]),
        Route("/webhooks/shipping", shipping_webhook(settings), methods=["POST"]),
        Route("/webhooks/stripe", stripe_webhook(settings), methods=["POST"]),
        *console_routes(settings),
    ]
    middleware = [
        Middleware(RequestIdMiddleware),
        *browser_middleware(settings),
        Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
