"""Request limits: aliases, depth, tokens, page sizes and introspection in production."""

from __future__ import annotations

import base64

import httpx
import pytest
import strawberry
from strawberry.extensions import AddValidationRules

from config.settings import Settings, load_settings
from models.enums import Role
from schema import build_schema
from schema.root import MAX_ALIASES, MAX_TOKENS, schema_extensions
from tests.support.factories.accounts import staff_token
from tests.support.graphql_client import gql

INTROSPECTION = "{ __schema { queryType { name } } }"


def _production_settings() -> Settings:
    return load_settings(
        {
            "BILLING_ENV": "production",
            "BILLING_SECRET_KEY": "prod-secret-key-for-tests-only-9f8e7d6c5b4a3210",
            "PHI_ENCRYPTION_KEY": "k1:" + base64.b64encode(bytes(range(1, 33))).decode(),
            "STRIPE_SECRET_KEY": "sk_live_tests_only",
            "STRIPE_WEBHOOK_SECRET": "whsec_tests_only",
            "SHIPPING_WEBHOOK_SECRET": "shipping-secret-tests-only",
            "DATABASE_URL": "postgres://billing@db.internal/billing",
            "PUBLIC_BASE_URL": "https://billing.example.org",
        }
    )


def _aliases(count: int) -> str:
    return "{ " + " ".join(f"a{n}: __typename" for n in range(count)) + " }"


async def test_sixteen_aliases_are_refused(client: httpx.AsyncClient) -> None:
    body = await gql(client, _aliases(MAX_ALIASES + 1))

    assert "data" not in body or body["data"] is None
    assert "aliases" in body["errors"][0]["message"]


async def test_fifteen_aliases_are_fine(client: httpx.AsyncClient) -> None:
    body = await gql(client, _aliases(MAX_ALIASES))

    assert "errors" not in body
    assert len(body["data"]) == MAX_ALIASES


async def test_a_query_deeper_than_ten_is_refused(client: httpx.AsyncClient) -> None:
    # Invoice -> payments -> allocations -> invoice -> ... is a cycle, so depth is unbounded.
    deep = "id"
    for _ in range(4):
        deep = f"payments {{ allocations {{ invoice {{ {deep} }} }} }}"
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on Invoice {{ {deep} }} }} }}"

    body = await gql(client, query, {"id": "SW52b2ljZTox"})

    assert body.get("data") is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_a_document_of_too_many_tokens_is_refused(client: httpx.AsyncClient) -> None:
    body = await gql(client, "{ " + "__typename " * MAX_TOKENS + "}")

    assert body.get("data") is None
    assert "more than 2000 tokens" in body["errors"][0]["message"]


@pytest.mark.parametrize("first", [101, -1])
async def test_a_page_size_out_of_range_is_bad_user_input(
    client: httpx.AsyncClient, first: int
) -> None:
    _auditor, token = await staff_token(Role.AUDITOR)
    body = await gql(
        client,
        "query($first: Int) { auditTrail(first: $first) { edges { node { id } } } }",
        {"first": first},
        token,
    )

    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "`first` must be between 0 and 100" in error["message"]


async def test_a_foreign_cursor_is_bad_user_input(client: httpx.AsyncClient) -> None:
    _patient, token = await staff_token(Role.PATIENT)
    body = await gql(
        client, '{ myInvoices(after: "bm90LWEtY3Vyc29y") { totalCount } }', token=token
    )

    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_introspection_is_off_in_production() -> None:
    schema = build_schema(_production_settings())

    result = await schema.execute(INTROSPECTION)

    assert result.data is None
    assert result.errors is not None
    assert "introspection" in result.errors[0].message.lower()


async def test_introspection_is_on_in_development(settings: Settings) -> None:
    result = await build_schema(settings).execute(INTROSPECTION)

    assert result.errors is None
    assert result.data == {"__schema": {"queryType": {"name": "Query"}}}


def test_extensions_are_classes_or_factories_with_shared_rules(settings: Settings) -> None:
    # ValidationCache keys on the rule classes: one request's rules must be the next one's.
    factories = schema_extensions(settings)

    assert not any(isinstance(f, strawberry.extensions.SchemaExtension) for f in factories)
    first_request = [f() for f in factories]
    second_request = [f() for f in factories]
    rules = [
        [ext.validation_rules for ext in request if isinstance(ext, AddValidationRules)]
        for request in (first_request, second_request)
    ]
    assert rules[0]
    assert rules[0] == rules[1]
    assert all(a is not b for a, b in zip(first_request, second_request, strict=True))


# Near misses of real names: a field, an argument, a type, an enum value in a literal and
# one in a variable. Each would get "Did you mean ...?" from graphql-core.
NEAR_MISSES = [
    ("{ myInvoice { totalCount } }", None),
    ("{ myInvoices(frist: 1) { totalCount } }", None),
    ("query($f: InvoiceFilte) { myInvoices { totalCount } }", None),
    ("{ myInvoices(filter: { status: OPN }) { totalCount } }", None),
    (
        "query($s: [InvoiceStatus!]) { myInvoices(filter: { status: $s }) { totalCount } }",
        {"s": ["PAIDD"]},
    ),
]


@pytest.mark.parametrize(("query", "variables"), NEAR_MISSES)
async def test_production_suggests_no_names(
    query: str, variables: dict[str, object] | None
) -> None:
    production = build_schema(_production_settings())
    development = build_schema(load_settings({"DATABASE_URL": "sqlite://:memory:"}))

    hidden = await production.execute(query, variable_values=variables)
    shown = await development.execute(query, variable_values=variables)

    assert hidden.errors
    assert shown.errors
    assert any("Did you mean" in error.message for error in shown.errors), shown.errors
    assert not any("Did you mean" in error.message for error in hidden.errors), hidden.errors
    # the rest of what went wrong is still said
    assert [e.message.split(" Did you mean")[0] for e in shown.errors] == [
        e.message for e in hidden.errors
    ]
