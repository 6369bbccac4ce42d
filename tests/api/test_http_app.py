"""The HTTP surface: probes, request ids, size limit, and how /graphql may be called."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from api.app import build_app
from api.middleware import RequestIdMiddleware
from config.settings import load_settings
from models.audit import AuditEvent
from tests.support.environments import PRODUCTION

TYPENAME = {"query": "{ __typename }"}


async def test_healthz_answers_without_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_graphql_answers_a_post_with_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=TYPENAME)

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_every_response_carries_a_request_id_of_our_own(client: httpx.AsyncClient) -> None:
    generated = await client.get("/healthz")
    chosen = await client.get("/healthz", headers={"X-Request-Id": "phone-app-1234abcd"})
    malformed = await client.get("/healthz", headers={"X-Request-Id": "bad id\nwith newline"})

    for response in (generated, chosen, malformed):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert len({r.headers["x-request-id"] for r in (generated, chosen, malformed)}) == 3


async def test_a_client_chosen_request_id_never_reaches_the_access_log(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given a client that names its request after someone else's
    forged = "0123456789abcdef0123456789abcdef"

    # when it calls an operation that is put on the access log
    with caplog.at_level(logging.INFO, logger="billing.access"):
        response = await client.post(
            "/graphql", json={"query": "{ me { id } }"}, headers={"X-Request-Id": forged}
        )

    # then the log holds the id we made, and the client's only beside it, in the request line
    ours = response.headers["x-request-id"]
    assert ours != forged
    [denied] = await AuditEvent.filter(action="access.denied")
    assert denied.request_id == ours
    assert await AuditEvent.filter(request_id=forged).count() == 0
    [line] = [r for r in caplog.records if r.name == "billing.access"]
    assert line.__dict__["client_request_id"] == forged


@pytest.mark.parametrize(
    "body",
    [b"null", b'"x"', b"42", b"true", b"\xff\xfe{}", b"[" * 100_000, b"{" * 50_000],
    ids=["null", "string", "number", "boolean", "invalid-utf8", "deep-array", "deep-object"],
)
async def test_a_body_that_is_no_json_object_is_a_400_with_the_request_id(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert "Internal" not in response.text


async def test_an_error_nothing_handled_is_a_500_with_the_request_id_and_no_details() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("patient Ada Lovelace, born 1815-12-10")

    app = RequestIdMiddleware(broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/anything")

    assert response.status_code == 500
    assert response.json() == {"error": "internal_error"}
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_queries_over_get_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }"})

    assert response.status_code in (400, 405)
    assert "data" not in response.text


async def test_batched_requests_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=[TYPENAME, TYPENAME])

    assert response.status_code == 400


async def test_a_form_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", data={"query": "{ __typename }"})

    assert response.status_code in (400, 415)


async def test_an_oversized_body_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    padding = "x" * 1_100_000
    response = await client.post("/graphql", json={"query": "{ __typename }", "pad": padding})

    assert response.status_code == 413


async def test_an_oversized_chunked_body_is_refused(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 100_000

    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413


async def test_graphiql_is_served_in_development(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


@pytest.mark.usefixtures("db")
async def test_graphiql_is_off_in_production() -> None:
    app = build_app(load_settings(PRODUCTION))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code != 200
    assert "graphiql" not in response.text.lower()
