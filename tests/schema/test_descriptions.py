"""The schema documents itself completely, as clients see it through introspection: every
type, field, argument, input field, enum value and directive has a description, none of them
Strawberry's generic words; and the SDL `billing export-schema` prints is exactly what
introspection shows (no internal directive leaks into it)."""

from __future__ import annotations

from typing import Any, cast

import graphql
import pytest

from config.settings import Settings
from schema import build_schema

# Strawberry's and graphql-core's stand-ins, which say nothing to an app developer.
GENERIC = {
    "The Globally Unique ID of this object",
    "Date (isoformat)",
    "Date with time (isoformat)",
    "Decimal (fixed-point)",
}


@pytest.fixture(scope="module")
async def introspected(settings: Settings) -> dict[str, Any]:
    result = await build_schema(settings).execute(
        graphql.get_introspection_query(descriptions=True, input_value_deprecation=True)
    )
    assert result.errors is None
    assert result.data is not None
    schema: dict[str, Any] = result.data["__schema"]
    return schema


def _undescribed(schema: dict[str, Any]) -> list[str]:
    missing: list[str] = []

    def check(where: str, description: str | None) -> None:
        if not (description or "").strip() or description in GENERIC:
            missing.append(where)

    for kind in schema["types"]:
        name = kind["name"]
        if name.startswith("__"):
            continue
        check(name, kind["description"])
        for field in kind["fields"] or []:
            check(f"{name}.{field['name']}", field["description"])
            for argument in field["args"]:
                check(f"{name}.{field['name']}({argument['name']})", argument["description"])
        for input_field in kind["inputFields"] or []:
            check(f"{name}.{input_field['name']}", input_field["description"])
        for value in kind["enumValues"] or []:
            check(f"{name}.{value['name']}", value["description"])
    for directive in schema["directives"]:
        check(f"@{directive['name']}", directive["description"])
        for argument in directive["args"]:
            check(f"@{directive['name']}({argument['name']})", argument["description"])
    return missing


def test_every_schema_element_has_a_description(introspected: dict[str, Any]) -> None:
    assert _undescribed(introspected) == []


def test_the_check_sees_an_undescribed_element() -> None:
    # the same walk over a schema with gaps finds each gap
    sdl = '"""A thing."""\ntype Query { a(b: Int): E }\nenum E { X }\n'
    introspection = graphql.graphql_sync(
        graphql.build_schema(sdl), graphql.get_introspection_query(descriptions=True)
    ).data
    assert introspection is not None

    found = set(_undescribed(introspection["__schema"]))

    assert {"Query.a", "Query.a(b)", "E", "E.X"} <= found
    assert "Query" not in found


def test_every_error_code_says_when_it_comes_and_what_to_do(
    introspected: dict[str, Any],
) -> None:
    [error_code] = [kind for kind in introspected["types"] if kind["name"] == "ErrorCode"]

    for value in error_code["enumValues"]:
        description = value["description"]
        assert len(description) > 60, value["name"]
        # names at least one operation (in camelCase) or says it is a top-level error
        assert any(word[:1].islower() and word[1:2].isalpha() for word in description.split())


def test_decimal_is_described_as_a_string_of_the_currencys_minor_digits(
    introspected: dict[str, Any],
) -> None:
    [decimal] = [kind for kind in introspected["types"] if kind["name"] == "Decimal"]

    assert "string" in decimal["description"]
    assert "minor digits" in decimal["description"]


def test_the_exported_sdl_is_exactly_what_introspection_shows(
    settings: Settings, introspected: dict[str, Any]
) -> None:
    exported = build_schema(settings).as_str()
    from_introspection = graphql.build_client_schema(cast(Any, {"__schema": introspected}))

    def printed(schema: graphql.GraphQLSchema) -> str:
        return graphql.print_schema(graphql.lexicographic_sort_schema(schema))

    assert printed(graphql.build_schema(exported)) == printed(from_introspection)
    assert "directive @" not in exported
