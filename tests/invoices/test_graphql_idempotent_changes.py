"""Staff money changes to invoices with an idempotency key: a resubmitted or retried
recordInsuranceDecision or adjustInvoice books once and answers with the first result; the
same key for another input is refused; a key that collides in flight still books once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from models.audit import AuditEvent
from models.enums import LedgerEntryKind, Role
from models.invoices import Invoice as InvoiceRow
from models.ledger import LedgerEntry
from tests.support.factories.invoices import (
    Caller,
    global_id,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.graphql_client import gql

DECIDE = """
mutation RecordInsuranceDecision($input: InsuranceDecisionInput!) {
  recordInsuranceDecision(input: $input) {
    invoice { id status balance { amount currency } }
    errors { code field message }
  }
}
"""
ADJUST = """
mutation AdjustInvoice($input: AdjustInvoiceInput!) {
  adjustInvoice(input: $input) {
    invoice { id status balance { amount currency } }
    errors { code field message }
  }
}
"""


@pytest.fixture
async def clerk(client: httpx.AsyncClient) -> Caller:
    return await staff_caller(Role.BILLING_STAFF)


@pytest.fixture
async def insured_bill(client: httpx.AsyncClient) -> InvoiceRow:
    """Ada's invoice of 200.00 of which insurance is expected to pay 150.00."""
    ada = await patient_caller("ada@example.org")
    place = await location()
    return await invoice(ada.patient_id, place.id, prices_minor=(20000,), covered_minor=15000)


async def _call(
    client: httpx.AsyncClient, document: str, field: str, fields: dict[str, Any], token: str
) -> dict[str, Any]:
    body = await gql(client, document, {"input": fields}, token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][field]
    return payload


def _decision(bill: InvoiceRow, paid: str, denied: str, key: str | None) -> dict[str, Any]:
    return {
        "invoiceId": global_id("Invoice", bill.id),
        "paidAmount": paid,
        "deniedAmount": denied,
        "idempotencyKey": key,
    }


def _adjustment(bill: InvoiceRow, amount: str, key: str | None) -> dict[str, Any]:
    return {
        "invoiceId": global_id("Invoice", bill.id),
        "amount": amount,
        "reason": "Prompt-pay discount",
        "idempotencyKey": key,
    }


async def _rows(bill: InvoiceRow, kind: LedgerEntryKind) -> int:
    return await LedgerEntry.filter(invoice_id=bill.id, kind=kind).count()


async def test_a_resubmitted_insurance_decision_is_booked_once(
    client: httpx.AsyncClient, clerk: Caller, insured_bill: InvoiceRow
) -> None:
    first = await _call(
        client,
        DECIDE,
        "recordInsuranceDecision",
        _decision(insured_bill, "100", "50", "eob-1"),
        clerk.token,
    )
    again = await _call(
        client,
        DECIDE,
        "recordInsuranceDecision",
        _decision(insured_bill, "100.00", "50.0", "eob-1"),
        clerk.token,
    )

    assert first["errors"] == []
    assert again["errors"] == []
    assert again["invoice"] == first["invoice"]
    assert first["invoice"]["balance"] == {"amount": "100.00", "currency": "USD"}
    assert await _rows(insured_bill, LedgerEntryKind.INSURANCE_PAID) == 1
    assert await _rows(insured_bill, LedgerEntryKind.INSURANCE_DENIED) == 1
    replays = await AuditEvent.filter(
        action="invoice.insurance_decision", reference="idempotent-replay"
    ).count()
    assert replays == 1


async def test_the_same_key_for_another_decision_is_refused_and_books_nothing(
    client: httpx.AsyncClient, clerk: Caller, insured_bill: InvoiceRow
) -> None:
    await _call(
        client,
        DECIDE,
        "recordInsuranceDecision",
        _decision(insured_bill, "100", "0", "eob-2"),
        clerk.token,
    )

    reused = await _call(
        client,
        DECIDE,
        "recordInsuranceDecision",
        _decision(insured_bill, "50", "0", "eob-2"),
        clerk.token,
    )

    assert reused["invoice"] is None
    assert reused["errors"] == [
        {
            "code": "IDEMPOTENCY_KEY_REUSED",
            "field": "idempotencyKey",
            "message": "This idempotency key was used for a different request.",
        }
    ]
    assert await _rows(insured_bill, LedgerEntryKind.INSURANCE_PAID) == 1


async def test_a_retried_adjustment_books_once_and_without_a_key_twice(
    client: httpx.AsyncClient, clerk: Caller, insured_bill: InvoiceRow
) -> None:
    for _attempt in range(3):
        payload = await _call(
            client,
            ADJUST,
            "adjustInvoice",
            _adjustment(insured_bill, "-10.00", "adj-1"),
            clerk.token,
        )
        assert payload["errors"] == []
    assert await _rows(insured_bill, LedgerEntryKind.ADJUSTMENT) == 1

    for _attempt in range(2):
        await _call(
            client, ADJUST, "adjustInvoice", _adjustment(insured_bill, "-1.00", None), clerk.token
        )
    assert await _rows(insured_bill, LedgerEntryKind.ADJUSTMENT) == 3


async def test_one_key_sent_by_two_requests_at_once_books_once(
    client: httpx.AsyncClient, clerk: Caller, insured_bill: InvoiceRow
) -> None:
    fields = _adjustment(insured_bill, "-25.00", "double-click")

    results = await asyncio.gather(
        *(_call(client, ADJUST, "adjustInvoice", fields, clerk.token) for _ in range(4))
    )

    assert [result["errors"] for result in results] == [[]] * 4
    assert len({result["invoice"]["balance"]["amount"] for result in results}) == 1
    assert await _rows(insured_bill, LedgerEntryKind.ADJUSTMENT) == 1
    fresh = await InvoiceRow.get(id=insured_bill.id)
    assert fresh.total_minor == 20000 - 2500


async def test_keys_are_per_caller(
    client: httpx.AsyncClient, clerk: Caller, insured_bill: InvoiceRow
) -> None:
    other_clerk = await staff_caller(Role.ADMIN)

    for caller in (clerk, other_clerk):
        payload = await _call(
            client,
            ADJUST,
            "adjustInvoice",
            _adjustment(insured_bill, "-5.00", "shared"),
            caller.token,
        )
        assert payload["errors"] == []

    assert await _rows(insured_bill, LedgerEntryKind.ADJUSTMENT) == 2


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
async def test_a_blank_or_overlong_key_is_refused(
    client: httpx.AsyncClient, clerk: Caller, insured_bill: InvoiceRow, key: str
) -> None:
    payload = await _call(
        client, ADJUST, "adjustInvoice", _adjustment(insured_bill, "-5.00", key), clerk.token
    )

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_INPUT", "idempotencyKey")
    ]
    assert await _rows(insured_bill, LedgerEntryKind.ADJUSTMENT) == 0
