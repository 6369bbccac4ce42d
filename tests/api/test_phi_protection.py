"""PHI stays out of responses and logs, and the request limits hold end to end over HTTP.

The limits themselves (aliases, depth, tokens, page size, introspection at the schema)
are specified in ``test_schema_limits``; these are the cases it does not reach: a real
operation multiplied by aliases, an oversized page asked for by a caller allowed to read
it, and introspection refused by the production app itself.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import httpx
import orjson
import pytest
import strawberry
from starlette.applications import Starlette

import api.app
from api.app import build_app
from api.logs import JsonFormatter
from auth.sessions import SessionScope, create_session
from config.settings import Settings, load_settings
from models.audit import AuditEvent
from models.enums import Role
from models.users import RateLimitCounter
from schema.common import fields
from schema.root import MAX_ALIASES, BillingSchema, schema_extensions
from tests.support.environments import PRODUCTION
from tests.support.factories.auth import make_user
from tests.support.graphql_client import gql

PATIENT_NAME = "Margaret Thistlewood"

STATEMENT = "query { statementHeading }"


@strawberry.type(description="A stand-in for a resolver that fails with PHI in hand.")
class LeakyQuery:
    @fields.field(description="Fails the way a careless formatter would.")
    def statement_heading(self) -> str:
        raise ValueError(f"could not format the statement heading for {PATIENT_NAME}")


@pytest.fixture
def log_text() -> Iterator[StringIO]:
    """Everything logged during the test, as the production JSON formatter writes it."""
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)


async def _client_for(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def leaky_client(
    settings: Settings, db: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app and its real extensions, serving a schema whose one field fails."""
    leaky = BillingSchema(query=LeakyQuery, extensions=schema_extensions(settings))
    monkeypatch.setattr(api.app, "build_schema", lambda _settings: leaky)
    async for http in _client_for(build_app(settings)):
        yield http


@pytest.fixture
async def production_client() -> AsyncIterator[httpx.AsyncClient]:
    """Production, but running any document (as an operator may choose), so that the
    introspection switch is what refuses; by default the document is refused before it
    is even parsed (tests/api/test_registered_documents.py)."""
    # No lifespan runs, so the production database is never reached; nothing here needs it.
    environment = PRODUCTION | {"GRAPHQL_DOCUMENTS": "any"}
    async for http in _client_for(build_app(load_settings(environment))):
        yield http


async def test_a_resolver_error_naming_a_patient_reaches_neither_client_nor_log(
    leaky_client: httpx.AsyncClient, log_text: StringIO
) -> None:
    response = await leaky_client.post("/graphql", json={"query": STATEMENT})

    assert PATIENT_NAME not in response.text
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    logged = log_text.getvalue()
    assert PATIENT_NAME not in logged
    assert "Thistlewood" not in logged
    # The failure was logged, as its type only.
    entries = [orjson.loads(line) for line in logged.splitlines()]
    assert any(entry.get("error_type") == "ValueError" for entry in entries), entries


async def test_fifty_aliased_mfa_attempts_are_refused_before_any_runs(
    client: httpx.AsyncClient,
) -> None:
    attempts = " ".join(
        f'a{n}: verifyMfa(ticket: "ticket", code: "{n:06d}") {{ errors {{ code }} }}'
        for n in range(50)
    )

    body = await gql(client, f"mutation {{ {attempts} }}")

    # One validation error and nothing else: a resolver that ran would have left a payload
    # or an error of its own, and a failed attempt its trace in the database.
    assert body.get("data") is None
    [error] = body["errors"]
    assert f"Allowed: {MAX_ALIASES}" in error["message"]
    assert await AuditEvent.all().count() == 0
    assert await RateLimitCounter.all().count() == 0


async def test_a_thousand_rows_are_refused_even_to_a_caller_allowed_to_read_them(
    client: httpx.AsyncClient,
) -> None:
    auditor = await make_user("audrey@example.org", Role.AUDITOR)
    issued = await create_session(auditor.id, scope=SessionScope.FULL, now=datetime.now(UTC))

    body = await gql(
        client,
        "query($first: Int) { auditTrail(first: $first) { edges { node { id } } } }",
        {"first": 1000},
        token=issued.access_token,
    )

    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Patient") { fields { name } } }',
    ],
)
async def test_the_production_app_refuses_introspection(
    production_client: httpx.AsyncClient, query: str
) -> None:
    response = await production_client.post("/graphql", json={"query": query})

    body: dict[str, Any] = response.json()
    assert body.get("data") is None
    assert "introspection" in body["errors"][0]["message"].lower()
