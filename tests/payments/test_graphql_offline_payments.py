"""Billing staff record checks, cash and bank transfers over the API: the payment lands on
the invoice's ledger like a card payment, an overpayment becomes the patient's credit
balance, bad input is refused with nothing written, every attempt is audited, and only
staff who record payments may do it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from strawberry import relay

from billing.ledger.figures import summarize
from billing.ledger.postings import Posting, post_entries
from models.audit import AuditEvent
from models.enums import LedgerEntryKind, Role
from models.invoices import Invoice as InvoiceRow
from models.ledger import LedgerEntry
from models.locations import Location as LocationRow
from models.patients import CreditEntry
from models.payments import Payment as PaymentRow
from models.payments import PaymentAllocation as PaymentAllocationRow
from tests.support.factories.invoices import (
    Caller,
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.graphql_client import gql

RECORD_OFFLINE_PAYMENT = """
mutation RecordOfflinePayment($input: OfflinePaymentInput!) {
  recordOfflinePayment(input: $input) {
    payment { id status amount { amount currency } }
    errors { code field message }
  }
}
"""
INVOICE_DETAIL = """
query InvoiceDetail($id: ID!) {
  node(id: $id) {
    ... on Invoice {
      status
      balance { amount currency }
      payments { id amount { amount currency } status }
    }
  }
}
"""
PAYMENT_STATUS = """
query PaymentStatus($id: ID!) {
  node(id: $id) {
    ... on Payment {
      id
      status
      amount { amount currency }
      allocations { invoice { id status balance { amount currency } } amount { amount currency } }
    }
  }
}
"""
ME = """
query Me { me { patient { creditBalance { amount currency } } } }
"""


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def offline(invoice_row: InvoiceRow, amount: str, **changes: Any) -> dict[str, Any]:
    """The input of recordOfflinePayment: a check for ``amount`` with a check number."""
    fields: dict[str, Any] = {
        "invoiceId": global_id("Invoice", invoice_row.id),
        "amount": amount,
        "method": "CHECK",
        "reference": "Check 1042",
    }
    return {**fields, **changes}


async def record(client: httpx.AsyncClient, token: str, fields: dict[str, Any]) -> dict[str, Any]:
    body = await gql(client, RECORD_OFFLINE_PAYMENT, {"input": fields}, token)
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"]["recordOfflinePayment"]
    return payload


async def node(client: httpx.AsyncClient, query: str, token: str, node_id: str) -> Any:
    body = await gql(client, query, {"id": node_id}, token)
    assert "errors" not in body, body["errors"]
    return body["data"]["node"]


def row_id(node_id: str) -> int:
    return int(relay.GlobalID.from_id(node_id).node_id)


async def nothing_written(invoice_row: InvoiceRow) -> None:
    assert await PaymentRow.all().count() == 0
    assert await PaymentAllocationRow.all().count() == 0
    assert await CreditEntry.all().count() == 0
    assert not await LedgerEntry.filter(
        invoice_id=invoice_row.id, kind=LedgerEntryKind.PAYMENT
    ).exists()


@pytest.fixture
async def clerk(client: httpx.AsyncClient) -> Caller:
    return await staff_caller(Role.BILLING_STAFF)


@pytest.fixture
async def ada(client: httpx.AsyncClient) -> PatientCaller:
    return await patient_caller("ada@example.org")


@pytest.fixture
async def north(client: httpx.AsyncClient) -> LocationRow:
    return await location("North Clinic")


@pytest.fixture
async def bill(ada: PatientCaller, north: LocationRow) -> InvoiceRow:
    """Ada's open invoice of 100.00."""
    return await invoice(ada.patient_id, north.id, prices_minor=(10000,))


async def test_a_partial_check_leaves_the_invoice_partially_paid(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, bill: InvoiceRow
) -> None:
    payload = await record(client, clerk.token, offline(bill, "40.00"))

    assert payload["errors"] == []
    assert payload["payment"]["status"] == "SUCCEEDED"
    assert payload["payment"]["amount"] == usd("40.00")
    row = await PaymentRow.get(id=row_id(payload["payment"]["id"]))
    assert (row.channel, row.offline_reference, row.recorded_by_id, row.patient_id) == (
        "CHECK",
        "Check 1042",
        clerk.user_id,
        ada.patient_id,
    )
    detail = await node(client, INVOICE_DETAIL, ada.token, global_id("Invoice", bill.id))
    assert detail["status"] == "PARTIALLY_PAID"
    assert detail["balance"] == usd("60.00")
    assert [(p["id"], p["amount"], p["status"]) for p in detail["payments"]] == [
        (payload["payment"]["id"], usd("40.00"), "SUCCEEDED")
    ]


async def test_paying_the_whole_balance_in_cash_marks_the_invoice_paid(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, bill: InvoiceRow
) -> None:
    payload = await record(client, clerk.token, offline(bill, "100", method="CASH", reference=None))

    assert payload["errors"] == []
    detail = await node(client, INVOICE_DETAIL, clerk.token, global_id("Invoice", bill.id))
    assert (detail["status"], detail["balance"]) == ("PAID", usd("0.00"))
    row = await PaymentRow.get(id=row_id(payload["payment"]["id"]))
    assert (row.channel, row.offline_reference) == ("CASH", None)


async def test_an_overpayment_becomes_the_patients_credit_balance(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, bill: InvoiceRow
) -> None:
    payload = await record(
        client, clerk.token, offline(bill, "130.00", method="BANK_TRANSFER", reference="WIRE-77")
    )

    assert payload["errors"] == []
    assert payload["payment"]["amount"] == usd("130.00")
    detail = await node(client, INVOICE_DETAIL, ada.token, global_id("Invoice", bill.id))
    assert (detail["status"], detail["balance"]) == ("PAID", usd("0.00"))
    me = (await gql(client, ME, token=ada.token))["data"]["me"]
    assert me["patient"]["creditBalance"] == usd("30.00")
    [allocation] = await PaymentAllocationRow.all()
    assert (allocation.amount_minor, allocation.status) == (10000, "POSTED")


async def test_the_payment_shows_its_allocation_to_its_patient_only(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, bill: InvoiceRow
) -> None:
    payload = await record(client, clerk.token, offline(bill, "25.50"))
    payment_id = payload["payment"]["id"]
    grace = await patient_caller("grace@example.org")

    seen = await node(client, PAYMENT_STATUS, ada.token, payment_id)
    hidden = await node(client, PAYMENT_STATUS, grace.token, payment_id)

    assert seen["status"] == "SUCCEEDED"
    assert seen["allocations"] == [
        {
            "invoice": {
                "id": global_id("Invoice", bill.id),
                "status": "PARTIALLY_PAID",
                "balance": usd("74.50"),
            },
            "amount": usd("25.50"),
        }
    ]
    assert hidden is None


@pytest.mark.parametrize(
    "amount",
    [
        "0",
        "-5.00",
        "10.005",
        # more decimals than the context's 28 digits: once rounded to 1.00 and booked
        "1.000000000000000000000000000000000001",
        # an exponent too large to scale: once a masked internal error
        "1e1000000",
        "1E-1000000",
        "NaN",
        "-Infinity",
        "99999999999999999999",
    ],
)
async def test_an_invalid_amount_is_refused_with_nothing_written(
    client: httpx.AsyncClient, clerk: Caller, bill: InvoiceRow, amount: str
) -> None:
    payload = await record(client, clerk.token, offline(bill, amount))

    assert payload["payment"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_AMOUNT", "amount")]
    await nothing_written(bill)


async def test_a_void_invoice_is_not_payable(
    client: httpx.AsyncClient, clerk: Caller, bill: InvoiceRow
) -> None:
    await post_entries(bill, [Posting(LedgerEntryKind.VOID, 0)])

    payload = await record(client, clerk.token, offline(bill, "10.00"))

    assert [e["code"] for e in payload["errors"]] == ["INVOICE_NOT_PAYABLE"]
    await nothing_written(bill)


@pytest.mark.parametrize(
    ("method", "reference"),
    [("CHECK", None), ("CHECK", "   "), ("BANK_TRANSFER", ""), ("CASH", "x" * 201)],
)
async def test_a_missing_or_overlong_reference_is_refused(
    client: httpx.AsyncClient, clerk: Caller, bill: InvoiceRow, method: str, reference: str | None
) -> None:
    payload = await record(
        client, clerk.token, offline(bill, "10.00", method=method, reference=reference)
    )

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", "reference")]
    await nothing_written(bill)


async def test_the_reference_is_stored_trimmed(
    client: httpx.AsyncClient, clerk: Caller, bill: InvoiceRow
) -> None:
    payload = await record(client, clerk.token, offline(bill, "10.00", reference="  1042  "))

    row = await PaymentRow.get(id=row_id(payload["payment"]["id"]))
    assert row.offline_reference == "1042"


async def test_an_unknown_invoice_is_not_found(
    client: httpx.AsyncClient, clerk: Caller, bill: InvoiceRow
) -> None:
    fields = offline(bill, "10.00", invoiceId=global_id("Invoice", bill.id + 1000))

    payload = await record(client, clerk.token, fields)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", "invoiceId")]


async def test_the_payment_and_a_refusal_are_audited(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, bill: InvoiceRow
) -> None:
    payload = await record(client, clerk.token, offline(bill, "10.00"))
    await record(client, clerk.token, offline(bill, "0"))

    success, failure = await AuditEvent.filter(action="payment.offline").order_by("id")
    assert (success.outcome, success.actor_id, success.resource_type) == (
        "SUCCESS",
        clerk.user_id,
        "Payment",
    )
    assert success.resource_id == str(row_id(payload["payment"]["id"]))
    assert success.patient_id == ada.patient_id
    assert (failure.outcome, failure.actor_id, failure.reference) == (
        "FAILURE",
        clerk.user_id,
        "INVALID_AMOUNT",
    )


@pytest.mark.parametrize("role", [Role.PATIENT, Role.ACCOUNTANT, Role.AUDITOR])
async def test_only_staff_who_record_payments_may_do_it(
    client: httpx.AsyncClient, bill: InvoiceRow, ada: PatientCaller, role: Role
) -> None:
    token = ada.token if role is Role.PATIENT else (await staff_caller(role)).token

    body = await gql(client, RECORD_OFFLINE_PAYMENT, {"input": offline(bill, "10.00")}, token)

    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    await nothing_written(bill)


async def test_concurrent_payments_on_one_invoice_are_both_booked(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, bill: InvoiceRow
) -> None:
    first, second = await asyncio.gather(
        record(client, clerk.token, offline(bill, "70.00", reference="Check 1")),
        record(client, clerk.token, offline(bill, "50.00", reference="Check 2")),
    )

    assert first["errors"] == []
    assert second["errors"] == []
    row = await InvoiceRow.get(id=bill.id)
    figures = summarize(await LedgerEntry.filter(invoice_id=bill.id))
    assert (row.status, row.balance_minor, row.total_minor) == (
        figures.status,
        figures.balance,
        figures.total,
    )
    assert (figures.status, figures.payments, figures.balance) == ("PAID", 12000, 0)
    assert sum(row.amount_minor for row in await PaymentAllocationRow.all()) == 10000
    credit = await CreditEntry.filter(patient_id=ada.patient_id)
    assert [entry.amount_minor for entry in credit] == [2000]
