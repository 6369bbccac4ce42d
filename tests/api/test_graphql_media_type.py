"""GraphQL over HTTP's two response types: application/graphql-response+json when Accept
prefers it (request errors then 400 without data), application/json as before."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.graphql_media import GRAPHQL_RESPONSE_JSON, JSON, preferred_media_type

ACCEPT_GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json, application/json;q=0.9"}


async def _post(client: httpx.AsyncClient, body: dict[str, Any], accept: str) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={"accept": accept})


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"query": "{ me { id "}, "a document that does not parse"),
        ({"query": "{ noSuchField }"}, "a document that does not validate"),
        (
            {
                "query": "query($n: Int) { myInvoices(first: $n) { totalCount } }",
                "variables": {"n": "x"},
            },
            "variables that do not coerce",
        ),
    ],
)
async def test_a_request_error_is_400_without_data(
    client: httpx.AsyncClient, body: dict[str, Any], kind: str
) -> None:
    response = await _post(client, body, ACCEPT_GRAPHQL_RESPONSE["accept"])

    assert response.status_code == 400, kind
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    result = response.json()
    assert "data" not in result, kind
    assert result["errors"], kind


async def test_an_executed_operation_is_200_with_data_even_with_field_errors(
    client: httpx.AsyncClient,
) -> None:
    nullable = await _post(client, {"query": "{ me { id } }"}, GRAPHQL_RESPONSE_JSON)
    non_null = await _post(
        client, {"query": "{ myInvoices { totalCount } }"}, GRAPHQL_RESPONSE_JSON
    )
    fine = await _post(client, {"query": "{ __typename }"}, GRAPHQL_RESPONSE_JSON)

    assert nullable.status_code == 200
    assert nullable.json()["data"] == {"me": None}
    assert nullable.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # the error reached the root, so data is null, but the operation ran: still 200
    assert non_null.status_code == 200
    assert non_null.json()["data"] is None
    assert fine.status_code == 200
    assert fine.headers["content-type"] == f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    assert fine.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", ["application/json", "*/*", ""])
async def test_application_json_answers_request_errors_with_200_as_before(
    client: httpx.AsyncClient, accept: str
) -> None:
    response = await _post(client, {"query": "{ noSuchField }"}, accept)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"] is None


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0.5, application/json", JSON),
        ("application/json;q=0.5, application/graphql-response+json;q=0.8", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0", JSON),
        ("Application/GraphQL-Response+JSON; charset=utf-8", GRAPHQL_RESPONSE_JSON),
        ("text/html", JSON),
    ],
)
def test_the_preferred_media_type(accept: str | None, chosen: str) -> None:
    assert preferred_media_type(accept) == chosen
