"""The exported schema accepts every operation of the shared contract files this
repository serves, as written."""

from __future__ import annotations

from pathlib import Path

import graphql
import pytest

from config.settings import Settings
from schema import build_schema
from schema.root import MAX_TOKENS, limit_rules
from tests.support.graphql_client import (
    ACCOUNT_SECURITY_CONTRACT,
    BILLING_OFFICE_CONTRACT,
    CONTRACT,
    CONTRACTS,
    ORGANIZATIONS_CONTRACT,
    REMITTANCE_CONTRACT,
)

by_file = pytest.mark.parametrize("contract", CONTRACTS, ids=[path.name for path in CONTRACTS])


def _contract(path: Path = CONTRACT) -> graphql.DocumentNode:
    return graphql.parse(path.read_text(encoding="utf-8"))


def _operation_names(document: graphql.DocumentNode) -> list[str]:
    return [
        definition.name.value
        for definition in document.definitions
        if isinstance(definition, graphql.OperationDefinitionNode) and definition.name
    ]


@by_file
def test_every_contract_operation_validates_against_the_exported_sdl(
    settings: Settings, contract: Path
) -> None:
    # given the SDL that `billing export-schema` writes
    exported = graphql.build_schema(build_schema(settings).as_str())

    # when the contract is validated against it
    errors = graphql.validate(exported, _contract(contract))

    # then nothing is missing or mistyped
    assert [error.message for error in errors] == []


def test_the_contract_is_a_list_of_named_operations(settings: Settings) -> None:
    document = _contract(CONTRACT)
    names = _operation_names(document)

    assert len(names) > 30
    assert len(names) == len(document.definitions), "every operation has a name"
    assert len(set(names)) == len(names)
    for name in ("Login", "MyInvoices", "InvoiceDetail", "PayInvoices", "AuditTrail"):
        assert name in names


def test_the_account_security_contract_names_its_four_operations() -> None:
    document = _contract(ACCOUNT_SECURITY_CONTRACT)

    assert _operation_names(document) == [
        "ChangePassword",
        "RequestPasswordReset",
        "ResetPassword",
        "StartTotpReplacement",
    ]


def test_the_billing_office_contract_is_every_office_operation(settings: Settings) -> None:
    document = _contract(BILLING_OFFICE_CONTRACT)
    names = _operation_names(document)

    assert len(names) == len(document.definitions), "every operation has a name"
    assert sorted(names) == sorted(
        [
            "FindPatients",
            "PatientRecord",
            "UpdatePatient",
            "StaffInvoices",
            "StaffPayments",
            "ResolvePaymentReview",
            "CollectionsReport",
            "RevenueByService",
            "CreateExport",
        ]
    )


def test_the_remittance_contract_is_the_three_remittance_operations() -> None:
    document = _contract(REMITTANCE_CONTRACT)

    assert _operation_names(document) == [
        "UploadRemittance",
        "Remittances",
        "MatchRemittanceClaim",
    ]


def test_the_organizations_contract_is_every_business_account_operation() -> None:
    document = _contract(ORGANIZATIONS_CONTRACT)

    # tests/organizations/test_graphql_organizations.py runs each of them end to end.
    assert _operation_names(document) == [
        "CreateOrganization",
        "CreateOrganizationInvoice",
        "OrganizationAccount",
        "PauseCollections",
        "CreateOrganizationStatementLink",
    ]


@by_file
def test_each_contract_operation_passes_the_request_limits(
    settings: Settings, contract: Path
) -> None:
    # The apps send one operation per request; the depth, alias and token limits apply.
    exported = graphql.build_schema(build_schema(settings).as_str())
    rules = [*graphql.specified_rules, *limit_rules()]

    for definition in _contract(contract).definitions:
        text = graphql.print_ast(definition)
        single = graphql.parse(text, max_tokens=MAX_TOKENS)
        assert graphql.validate(exported, single, rules) == [], text
