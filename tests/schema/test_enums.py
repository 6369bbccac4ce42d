"""The enums of the API have exactly the values the apps are built against."""

from __future__ import annotations

import graphql
import pytest

from billing.errors import ErrorCode
from config.settings import Settings
from schema import build_schema

EXPECTED_ENUMS = {
    "InvoiceStatus": ["OPEN", "PENDING_INSURANCE", "PARTIALLY_PAID", "PAID", "VOID", "PROCESSING"],
    "InvoiceCustomer": ["PATIENT", "ORGANIZATION"],
    "CollectionsTier": ["STANDARD", "ENTERPRISE"],
    "PaymentStatus": [
        "PENDING",
        "REQUIRES_ACTION",
        "PROCESSING",
        "SUCCEEDED",
        "FAILED",
        "CANCELED",
        "REFUNDED",
        "PARTIALLY_REFUNDED",
    ],
    "PaymentPlanStatus": ["ACTIVE", "COMPLETED", "DEFAULTED", "CANCELED"],
    "InstallmentStatus": ["SCHEDULED", "PAID", "FAILED", "CANCELED", "NEEDS_AUTHENTICATION"],
    "ShipmentStatus": [
        "LABEL_CREATED",
        "IN_TRANSIT",
        "OUT_FOR_DELIVERY",
        "DELIVERED",
        "EXCEPTION",
        "RETURNED",
    ],
    "InvoiceOrderField": ["ISSUED_AT", "DUE_AT", "TOTAL", "BALANCE", "PROVIDER"],
    "OrderDirection": ["ASC", "DESC"],
    "OfflinePaymentMethod": ["CHECK", "CASH", "BANK_TRANSFER"],
    "OrganizationPaymentMethod": ["CARD", "US_BANK_ACCOUNT"],
    "Role": ["PATIENT", "BILLING_STAFF", "ACCOUNTANT", "ADMIN", "AUDITOR", "ORGANIZATION_BILLING"],
}


@pytest.fixture(scope="module")
def exported(settings: Settings) -> graphql.GraphQLSchema:
    return graphql.build_schema(build_schema(settings).as_str())


@pytest.mark.parametrize(("name", "values"), EXPECTED_ENUMS.items())
def test_enum_has_exactly_these_values(
    exported: graphql.GraphQLSchema, name: str, values: list[str]
) -> None:
    enum = exported.get_type(name)

    assert isinstance(enum, graphql.GraphQLEnumType)
    assert list(enum.values) == values


def test_error_code_is_the_domain_enum(exported: graphql.GraphQLSchema) -> None:
    enum = exported.get_type("ErrorCode")

    assert isinstance(enum, graphql.GraphQLEnumType)
    assert list(enum.values) == [code.value for code in ErrorCode]
