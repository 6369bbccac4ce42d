"""Shared fixtures. The suite runs against SQLite by default and against PostgreSQL when
``TEST_DATABASE_URL`` names one (``.ci/run`` does both)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from tortoise.connection import get_connection

from api.app import build_app
from api.database import close_database, migrate_database, open_database
from billing.wiring import connect_domains
from config.settings import Settings, load_settings
from tests.support.database_reset import reset_database


@pytest.fixture(scope="session", autouse=True)
def _domains_connected() -> None:
    """Plans listen to payments and invoices, as in the running app and the CLI."""
    connect_domains()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    configured = os.environ.get("TEST_DATABASE_URL", "").strip()
    if configured:
        return configured
    path: Path = tmp_path_factory.mktemp("db") / "billing-test.sqlite3"
    return f"sqlite://{path}"


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return load_settings({"DATABASE_URL": database_url, "BILLING_ENV": "development"})


@pytest.fixture(scope="session")
async def _migrated_database(settings: Settings) -> AsyncIterator[None]:
    await migrate_database(settings)
    await open_database(settings)
    try:
        yield
    finally:
        await close_database()


@pytest.fixture
async def db(_migrated_database: None, settings: Settings) -> None:
    """A migrated database, emptied before the test (the access log's head signed anew)."""
    await reset_database(settings)


@pytest.fixture
def app(settings: Settings) -> Starlette:
    return build_app(settings)


@pytest.fixture
async def client(app: Starlette, db: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def count_queries() -> Iterator[Callable[[], int]]:
    """Counts the SQL statements sent on the default connection from now on."""
    connection = get_connection("default")
    sent: list[str] = []
    originals = {
        name: getattr(connection, name) for name in ("execute_query", "execute_query_dict")
    }

    def counting(name: str) -> Callable[..., Any]:
        original = originals[name]

        async def execute(query: str, values: list[Any] | None = None) -> Any:
            sent.append(query)
            return await original(query, values)

        return execute

    for name in originals:
        setattr(connection, name, counting(name))
    try:
        yield lambda: len(sent)
    finally:
        for name, original in originals.items():
            setattr(connection, name, original)
