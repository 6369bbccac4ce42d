"""A patient orders supplies again from a past invoice: a new open invoice for the
reorderable lines (all, or the chosen ones) at today's catalog prices, at the same
location, remembering where it came from. Another patient's invoice is not found, exactly
like one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from strawberry import relay

from billing.invoices.rules import NewInvoiceLine, create_invoice
from models.audit import AuditEvent
from models.enums import Role
from models.invoices import CatalogItem
from models.invoices import Invoice as InvoiceRow
from models.invoices import InvoiceLine as InvoiceLineRow
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.graphql_client import gql

REORDER_ITEMS = """
mutation ReorderItems($invoiceId: ID!, $lineIds: [ID!]) {
  reorderItems(invoiceId: $invoiceId, lineIds: $lineIds) {
    invoice { id number status total { amount currency } }
    errors { code field message }
  }
}
"""


@dataclass(frozen=True)
class PastOrder:
    ada: PatientCaller
    bob: PatientCaller
    location_id: int
    invoice_id: int
    # By position: strips (catalog sku), lancets (sku not in the catalog), visit (not
    # reorderable), meter (reorderable, no sku).
    line_ids: list[int]


LINES = [
    NewInvoiceLine("A4253", "Test strips", 2, 1520, reorderable=True, sku="STRIPS-50"),
    NewInvoiceLine("A4259", "Lancets", 1, 800, reorderable=True, sku="LANCETS-100"),
    NewInvoiceLine("99213", "Office visit", 1, 12000),
    NewInvoiceLine("E0607", "Glucose meter", 1, 4500, reorderable=True),
]


@pytest.fixture
async def past_order(client: httpx.AsyncClient) -> PastOrder:
    ada = await patient_caller("ada@example.org")
    bob = await patient_caller("bob@example.org")
    site = await location("North Clinic")
    bill = await create_invoice(
        ada.patient_id,
        site.id,
        "Dr. Adams",
        date(2025, 1, 9),
        date(2025, 2, 9),
        "USD",
        LINES,
        issued_at=date(2025, 1, 10),
    )
    # The strips cost more now; the lancets' catalog price is in another currency.
    await CatalogItem.create(
        sku="STRIPS-50", description="Strips", code="A4253", unit_price_minor=1750, currency="USD"
    )
    await CatalogItem.create(
        sku="LANCETS-100", description="Lancets", code="A4259", unit_price_minor=1, currency="EUR"
    )
    lines = await InvoiceLineRow.filter(invoice_id=bill.id).order_by("position")
    return PastOrder(ada, bob, site.id, bill.id, [line.id for line in lines])


async def _reorder(
    client: httpx.AsyncClient, token: str, invoice_id: str, line_ids: list[str] | None = None
) -> dict[str, Any]:
    body = await gql(client, REORDER_ITEMS, {"invoiceId": invoice_id, "lineIds": line_ids}, token)
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"]["reorderItems"]
    return payload


def _line(line_id: int) -> str:
    return global_id("InvoiceLine", line_id)


def _row_id(node_id: str) -> int:
    return int(relay.GlobalID.from_id(node_id).node_id)


async def test_all_reorderable_lines_are_ordered_again_at_todays_prices(
    client: httpx.AsyncClient, past_order: PastOrder
) -> None:
    payload = await _reorder(
        client, past_order.ada.token, global_id("Invoice", past_order.invoice_id)
    )

    assert payload["errors"] == []
    order = payload["invoice"]
    # 2 x 17.50 (catalog) + 8.00 (catalog price in EUR: last price) + 45.00 (no sku)
    assert order["total"] == {"amount": "88.00", "currency": "USD"}
    assert order["status"] == "OPEN"
    assert order["number"] == f"L{past_order.location_id}-000002"
    row = await InvoiceRow.get(id=_row_id(order["id"]))
    assert row.reordered_from_id == past_order.invoice_id
    assert (row.patient_id, row.location_id, row.provider_name) == (
        past_order.ada.patient_id,
        past_order.location_id,
        "Dr. Adams",
    )
    today = datetime.now(ZoneInfo("America/Chicago")).date()
    assert row.issued_at == today
    assert row.due_at == today + timedelta(days=30)
    lines = await InvoiceLineRow.filter(invoice_id=row.id).order_by("position")
    assert [
        (line.code, line.quantity, line.unit_price_minor, line.sku, line.reorderable)
        for line in lines
    ] == [
        ("A4253", 2, 1750, "STRIPS-50", True),
        ("A4259", 1, 800, "LANCETS-100", True),
        ("E0607", 1, 4500, None, True),
    ]


async def test_only_the_chosen_lines_are_ordered(
    client: httpx.AsyncClient, past_order: PastOrder
) -> None:
    strips, _lancets, _visit, meter = past_order.line_ids

    payload = await _reorder(
        client,
        past_order.ada.token,
        global_id("Invoice", past_order.invoice_id),
        [_line(meter), _line(strips), _line(strips)],
    )

    assert payload["invoice"]["total"]["amount"] == "80.00"  # 45.00 + 2 x 17.50
    lines = await InvoiceLineRow.filter(invoice_id=_row_id(payload["invoice"]["id"])).order_by(
        "position"
    )
    assert [line.code for line in lines] == ["E0607", "A4253"]


async def test_the_reorder_is_audited(client: httpx.AsyncClient, past_order: PastOrder) -> None:
    payload = await _reorder(
        client, past_order.ada.token, global_id("Invoice", past_order.invoice_id)
    )

    [record] = await AuditEvent.filter(action="invoice.reorder")
    assert (record.outcome, record.actor_id, record.patient_id) == (
        "SUCCESS",
        past_order.ada.user_id,
        past_order.ada.patient_id,
    )
    assert record.resource_id == str(_row_id(payload["invoice"]["id"]))
    assert record.reference == str(past_order.invoice_id)


async def test_another_patients_invoice_is_not_found_like_a_missing_one(
    client: httpx.AsyncClient, past_order: PastOrder
) -> None:
    theirs = await _reorder(
        client, past_order.bob.token, global_id("Invoice", past_order.invoice_id)
    )
    missing = await _reorder(client, past_order.bob.token, global_id("Invoice", 987654))
    theirs_chosen = await _reorder(
        client,
        past_order.bob.token,
        global_id("Invoice", past_order.invoice_id),
        [_line(past_order.line_ids[0])],
    )

    assert theirs == missing
    assert theirs_chosen == missing
    assert missing["invoice"] is None
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("NOT_FOUND", "invoiceId")]
    assert await InvoiceRow.all().count() == 1


@pytest.mark.parametrize(
    ("choose", "code", "field"),
    [
        pytest.param(lambda ids, other: [ids[0], ids[2]], "INVALID_INPUT", "lineIds.1", id="visit"),
        pytest.param(lambda ids, other: [other], "NOT_FOUND", "lineIds.0", id="other-invoice"),
        pytest.param(lambda ids, other: [987654], "NOT_FOUND", "lineIds.0", id="missing-line"),
        pytest.param(lambda ids, other: [], "NOTHING_TO_REORDER", "lineIds", id="none-chosen"),
    ],
)
async def test_a_line_that_cannot_be_reordered_is_refused(
    client: httpx.AsyncClient,
    past_order: PastOrder,
    choose: Any,
    code: str,
    field: str,
) -> None:
    bobs = await create_invoice(
        past_order.bob.patient_id,
        past_order.location_id,
        "Dr. Adams",
        date(2025, 1, 9),
        date(2025, 2, 9),
        "USD",
        LINES[:1],
        issued_at=date(2025, 1, 10),
    )
    bobs_line = await InvoiceLineRow.get(invoice_id=bobs.id)
    chosen = [_line(line_id) for line_id in choose(past_order.line_ids, bobs_line.id)]

    payload = await _reorder(
        client, past_order.ada.token, global_id("Invoice", past_order.invoice_id), chosen
    )

    assert payload["invoice"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert await InvoiceRow.all().count() == 2
    [record] = await AuditEvent.filter(action="invoice.reorder")
    assert (record.outcome, record.reference) == ("FAILURE", code)


async def test_an_invoice_without_reorderable_lines_has_nothing_to_reorder(
    client: httpx.AsyncClient, past_order: PastOrder
) -> None:
    visit_only = await create_invoice(
        past_order.ada.patient_id,
        past_order.location_id,
        "Dr. Adams",
        date(2025, 1, 9),
        date(2025, 2, 9),
        "USD",
        LINES[2:3],
        issued_at=date(2025, 1, 10),
    )

    payload = await _reorder(client, past_order.ada.token, global_id("Invoice", visit_only.id))

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOTHING_TO_REORDER", None)]


async def test_a_line_id_of_another_type_is_an_input_error(
    client: httpx.AsyncClient, past_order: PastOrder
) -> None:
    payload = await _reorder(
        client,
        past_order.ada.token,
        global_id("Invoice", past_order.invoice_id),
        [global_id("Invoice", past_order.line_ids[0])],
    )

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", "lineIds.0")]


@pytest.mark.parametrize("role", [Role.BILLING_STAFF, Role.ACCOUNTANT])
async def test_staff_cannot_reorder_for_a_patient(
    client: httpx.AsyncClient, past_order: PastOrder, role: Role
) -> None:
    staff = await staff_caller(role)

    body = await gql(
        client,
        REORDER_ITEMS,
        {"invoiceId": global_id("Invoice", past_order.invoice_id)},
        staff.token,
    )

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await InvoiceRow.all().count() == 1
