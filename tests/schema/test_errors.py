"""Expected failures reach the client with a code; unexpected ones are masked."""

from __future__ import annotations

import logging

import httpx
import pytest
import strawberry

from billing.errors import DomainError, ErrorCode
from config.settings import Settings
from models.enums import Role
from schema.common.errors import ExpectedError, RequestErrorCode, UserError, raise_not_implemented
from schema.root import BillingSchema, schema_extensions
from tests.support.factories.accounts import staff_token
from tests.support.factories.invoices import patient_caller
from tests.support.graphql_client import gql

PAY_INVOICES = """
mutation PayInvoices($input: PayInvoicesInput!) {
  payInvoices(input: $input) {
    payment { id status }
    errors { code field message }
  }
}
"""

SECRET_DETAIL = "patient Jane Roe, DOB 1980-02-29"


async def test_an_expected_failure_of_a_mutation_is_in_its_payload(
    client: httpx.AsyncClient,
) -> None:
    ada = await patient_caller("ada@example.org")
    body = await gql(
        client,
        PAY_INVOICES,
        {
            "input": {
                "allocations": [{"invoiceId": "SW52b2ljZToxMjM=", "amount": "125.40"}],
                "idempotencyKey": "attempt-1",
            }
        },
        ada.token,
    )

    assert "errors" not in body
    payload = body["data"]["payInvoices"]
    assert payload["payment"] is None
    assert payload["errors"] == [
        {"code": "NOT_FOUND", "field": "allocations.0.invoiceId", "message": "No such invoice."}
    ]


async def test_a_field_not_built_yet_is_an_expected_top_level_error(
    probe_schema: strawberry.Schema,
) -> None:
    result = await probe_schema.execute("{ unbuilt }")

    assert result.data is None
    assert result.errors is not None
    [error] = [e.formatted for e in result.errors]
    assert error["extensions"] == {"code": "NOT_IMPLEMENTED"}
    assert error["message"] == "Probing is not available yet."
    assert error["path"] == ["unbuilt"]


async def test_a_malformed_id_is_bad_user_input(client: httpx.AsyncClient) -> None:
    body = await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": "not-an-id"})

    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert body["errors"][0]["message"] == "Not a valid ID for this field."


async def test_the_id_of_the_node_interface_itself_names_nothing(
    client: httpx.AsyncClient,
) -> None:
    # An attacker's probe: Node is an interface, not a type, so no object has such an ID.
    _patient, token = await staff_token(Role.PATIENT)
    node_id = strawberry.relay.to_base64("Node", 1)

    body = await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": node_id}, token)

    # Answered like a missing object, not as an internal error.
    assert body == {"data": {"node": None}}


@strawberry.type
class _ProbeQuery:
    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError(SECRET_DETAIL)

    @strawberry.field
    def unbuilt(self) -> str:
        raise_not_implemented("Probing")

    @strawberry.field
    def refused(self) -> str:
        raise ExpectedError(RequestErrorCode.FORBIDDEN, "Staff only.")


@pytest.fixture
def probe_schema(settings: Settings) -> strawberry.Schema:
    return BillingSchema(query=_ProbeQuery, extensions=schema_extensions(settings))


async def test_an_unexpected_exception_is_masked(probe_schema: strawberry.Schema) -> None:
    result = await probe_schema.execute("{ broken }")

    assert result.errors is not None
    [error] = [e.formatted for e in result.errors]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert SECRET_DETAIL not in str(error)
    assert "Jane" not in str(error)


async def test_an_expected_error_passes_the_mask(probe_schema: strawberry.Schema) -> None:
    result = await probe_schema.execute("{ refused }")

    assert result.errors is not None
    [error] = [e.formatted for e in result.errors]
    assert error["message"] == "Staff only."
    assert error["extensions"] == {"code": "FORBIDDEN"}


async def test_a_validation_error_passes_the_mask(probe_schema: strawberry.Schema) -> None:
    result = await probe_schema.execute("{ nonsense }")

    assert result.errors is not None
    assert "Cannot query field 'nonsense'" in result.errors[0].message


async def test_only_unexpected_errors_are_logged(
    probe_schema: strawberry.Schema, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        await probe_schema.execute("{ refused }")
        assert caplog.records == []

        await probe_schema.execute("{ broken }")
        [record] = caplog.records
        assert record.exc_info is not None
        assert record.exc_info[0] is RuntimeError


def test_a_domain_error_becomes_a_user_error() -> None:
    error = DomainError(ErrorCode.AMOUNT_EXCEEDS_BALANCE, "More than the balance.", "amount")

    assert UserError.from_domain_error(error) == UserError(
        code=ErrorCode.AMOUNT_EXCEEDS_BALANCE, field="amount", message="More than the balance."
    )
