"""Fault: the database goes away in the middle of a request. The request fails with the
masked error (no SQL, no driver message, no stack trace) and writes nothing; the next
request succeeds on a fresh connection.

On PostgreSQL the app's own backend is terminated (``pg_terminate_backend``, what an
administrator or a failover does) while its INSERT waits for a lock the test holds. SQLite
has no server connection to drop; what happens to a live SQLite service instead is another
process holding the database's write lock past the busy timeout, and then the request's
transaction fails.

The request runs in its own task, as under uvicorn, so nothing it leaves in its context
(Tortoise keeps the current transaction in a context variable) helps the requests after it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from tortoise.connection import connections

from billing.statements.links import LINK_ACTION
from config.settings import Settings
from models.audit import AuditEvent
from models.statements import StatementLink
from tests.support.database_locks import postgres_table_lock, sqlite_write_lock
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
)
from tests.support.graphql_client import GRAPHQL_PATH

CREATE_PDF_LINK = """
mutation CreateInvoicePdfLink($invoiceId: ID!) {
  createInvoicePdfLink(invoiceId: $invoiceId) { url errors { code message } }
}
"""
MASKED = {
    "message": "Unexpected error.",
    "locations": [{"line": 3, "column": 3}],
    "path": ["createInvoicePdfLink"],
    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
}
# Far longer than the app waits for a lock (busy_timeout, 5 s): after it, the database is stuck.
RECOVERY_SECONDS = 15
# What the database, its driver or the ORM would say; none of it may reach the client.
INTERNALS = re.compile(
    r"sqlite|asyncpg|postgres|tortoise|locked|terminat|administrator|statement_link"
    r"|insert|select|traceback|\.py\b",
    re.IGNORECASE,
)


async def _request_link(
    client: httpx.AsyncClient, ada: PatientCaller, invoice_id: str
) -> httpx.Response:
    return await client.post(
        GRAPHQL_PATH,
        json={"query": CREATE_PDF_LINK, "variables": {"invoiceId": invoice_id}},
        headers={"authorization": f"Bearer {ada.token}"},
    )


async def _request_during_outage(
    client: httpx.AsyncClient,
    settings: Settings,
    database_url: str,
    ada: PatientCaller,
    invoice_id: str,
) -> httpx.Response:
    if settings.sqlite_path is not None:
        with sqlite_write_lock(settings.sqlite_path):
            return await asyncio.create_task(_request_link(client, ada, invoice_id))
    async with postgres_table_lock(database_url, "statement_link", "ACCESS EXCLUSIVE") as lock:
        request = asyncio.create_task(_request_link(client, ada, invoice_id))
        await lock.terminate(await lock.waiting_backend("INSERT"))
        return await request


@pytest.fixture
async def unstuck_sqlite_lock(settings: Settings) -> AsyncIterator[None]:
    """After the test, free this process's SQLite transaction lock if a failed BEGIN left it
    taken (see the assertion below), so the rest of the suite is not stuck behind it."""
    yield
    if settings.sqlite_path is not None:
        lock = connections.get("default")._lock
        if lock.locked():
            lock.release()


async def test_a_request_that_loses_its_database_fails_cleanly_and_the_next_succeeds(
    client: httpx.AsyncClient, settings: Settings, database_url: str, unstuck_sqlite_lock: None
) -> None:
    # given Ada and one of her invoices
    ada = await patient_caller("ada@example.org")
    invoice_id = global_id("Invoice", (await invoice(ada.patient_id, (await location()).id)).id)

    # when the database goes away while she asks for a PDF link
    failed = await _request_during_outage(client, settings, database_url, ada, invoice_id)

    # then she gets the masked error
    assert failed.status_code == 200
    assert failed.json() == {"data": None, "errors": [MASKED]}
    assert not INTERNALS.search(failed.text), failed.text
    try:
        async with asyncio.timeout(RECOVERY_SECONDS):
            # and nothing was written
            assert await StatementLink.all().count() == 0
            assert not await AuditEvent.filter(action=LINK_ACTION, outcome="SUCCESS").exists()

            # and once the database is back, her next request succeeds
            retried = await asyncio.create_task(_request_link(client, ada, invoice_id))
            payload = retried.json()["data"]["createInvoicePdfLink"]
            assert payload["errors"] == []
            assert payload["url"].startswith(f"{settings.public_base_url}/statements/")
            assert await StatementLink.all().count() == 1
            assert await AuditEvent.filter(action=LINK_ACTION, outcome="SUCCESS").count() == 1
    except TimeoutError:
        raise AssertionError(
            "after the failed request this process could not use the database at all: the "
            "failed transaction left Tortoise's SQLite transaction lock taken (a BEGIN that "
            "fails in api/sqlite_engine.py never reaches __aexit__, which releases it)"
        ) from None
