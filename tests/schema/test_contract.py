"""The exported schema accepts every operation of the shared contract, as written."""

from __future__ import annotations

import graphql

from config.settings import Settings
from schema import build_schema
from schema.root import MAX_TOKENS, limit_rules
from tests.support.graphql_client import CONTRACT


def _contract() -> graphql.DocumentNode:
    return graphql.parse(CONTRACT.read_text(encoding="utf-8"))


def _operation_names(document: graphql.DocumentNode) -> list[str]:
    return [
        definition.name.value
        for definition in document.definitions
        if isinstance(definition, graphql.OperationDefinitionNode) and definition.name
    ]


def test_every_contract_operation_validates_against_the_exported_sdl(settings: Settings) -> None:
    # given the SDL that `billing export-schema` writes
    exported = graphql.build_schema(build_schema(settings).as_str())

    # when the contract is validated against it
    errors = graphql.validate(exported, _contract())

    # then nothing is missing or mistyped
    assert [error.message for error in errors] == []


def test_the_contract_is_a_list_of_named_operations(settings: Settings) -> None:
    document = _contract()
    names = _operation_names(document)

    assert len(names) > 30
    assert len(names) == len(document.definitions), "every operation has a name"
    assert len(set(names)) == len(names)
    for name in ("Login", "MyInvoices", "InvoiceDetail", "PayInvoices", "AuditTrail"):
        assert name in names


def test_each_contract_operation_passes_the_request_limits(settings: Settings) -> None:
    # The apps send one operation per request; the depth, alias and token limits apply.
    exported = graphql.build_schema(build_schema(settings).as_str())
    rules = [*graphql.specified_rules, *limit_rules()]

    for definition in _contract().definitions:
        text = graphql.print_ast(definition)
        single = graphql.parse(text, max_tokens=MAX_TOKENS)
        assert graphql.validate(exported, single, rules) == [], text
