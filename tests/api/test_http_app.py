"""The HTTP surface: probes, request ids, size limit, and how /graphql may be called."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import build_app
from config.settings import load_settings
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


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    generated = await client.get("/healthz")
    echoed = await client.get("/healthz", headers={"X-Request-Id": "phone-app-1234abcd"})
    malformed = await client.get("/healthz", headers={"X-Request-Id": "bad id\nwith newline"})

    assert len(generated.headers["x-request-id"]) == 32
    assert echoed.headers["x-request-id"] == "phone-app-1234abcd"
    assert malformed.headers["x-request-id"] != "bad id\nwith newline"


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
