"""One invoice by global ID: only its patient (or staff who read all bills) may see it,
clinical details only with CLINICAL_READ, every read on the access log, and a page of
invoices with everything under them in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from models.audit import AuditEvent
from models.enums import PaymentStatus, Role
from models.invoices import InvoiceLine as InvoiceLineRow
from models.payments import PaymentAllocation
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
    payment,
    shipment,
    staff_caller,
)
from tests.support.graphql_client import contract_operation, gql

INVOICE_DETAIL = contract_operation("InvoiceDetail")
PAYMENT_STATUS = contract_operation("PaymentStatus")
SHIPMENT = """
query Shipment($id: ID!) {
  node(id: $id) { ... on Shipment { id trackingNumber items { quantity line { id code } } } }
}
"""
PAGE_WITH_EVERYTHING = """
query Page($first: Int) {
  myInvoices(first: $first) {
    totalCount
    edges {
      node {
        id
        location { id name }
        patientResponsibility { amount currency }
        lines { id code description amount { amount currency } }
        payments { id status amount { amount currency } }
        shipments {
          id
          items { quantity line { id description } }
          events { occurredAt status }
        }
      }
    }
  }
}
"""


@dataclass(frozen=True)
class Detailed:
    ada: PatientCaller
    bob: PatientCaller
    invoice_id: int
    line_ids: list[int]
    payment_ids: list[int]
    shipment_id: int
    bobs_invoice_id: int
    bobs_payment_id: int
    bobs_shipment_id: int


@pytest.fixture
async def detailed(client: httpx.AsyncClient) -> Detailed:
    ada = await patient_caller("ada@example.org")
    bob = await patient_caller("bob@example.org")
    site = await location("South Clinic")
    bill = await invoice(
        ada.patient_id,
        site.id,
        issued=date(2025, 1, 10),
        prices_minor=(12000, 3540),
        covered_minor=5000,
        paid_minor=2000,
    )
    paid_first = await _payment_ids(bill.id)
    failed = await payment(
        ada.patient_id,
        {bill.id: 1000},
        status=PaymentStatus.FAILED,
        created_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    line_ids = [
        row.id for row in await InvoiceLineRow.filter(invoice_id=bill.id).order_by("position")
    ]
    parcel = await shipment(bill, line_ids)
    bobs = await invoice(bob.patient_id, site.id, paid_minor=1000)
    bobs_line = await InvoiceLineRow.filter(invoice_id=bobs.id).first()
    assert bobs_line is not None
    bobs_parcel = await shipment(bobs, [bobs_line.id])
    bobs_payment = await payment(bob.patient_id, {bobs.id: 500})
    return Detailed(
        ada=ada,
        bob=bob,
        invoice_id=bill.id,
        line_ids=line_ids,
        payment_ids=[*paid_first, failed.id],
        shipment_id=parcel.id,
        bobs_invoice_id=bobs.id,
        bobs_payment_id=bobs_payment.id,
        bobs_shipment_id=bobs_parcel.id,
    )


async def _payment_ids(invoice_id: int) -> list[int]:
    rows = await PaymentAllocation.filter(invoice_id=invoice_id).order_by("-payment_id")
    return [row.payment_id for row in rows]


async def _detail(client: httpx.AsyncClient, row_id: int, token: str | None) -> dict[str, Any]:
    return await gql(client, INVOICE_DETAIL, {"id": global_id("Invoice", row_id)}, token=token)


def _money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


async def test_a_patient_reads_their_invoice_with_everything_under_it(
    client: httpx.AsyncClient, detailed: Detailed
) -> None:
    body = await _detail(client, detailed.invoice_id, detailed.ada.token)

    assert "errors" not in body, body["errors"]
    node = body["data"]["node"]
    assert node["id"] == global_id("Invoice", detailed.invoice_id)
    assert node["status"] == "PENDING_INSURANCE"
    assert node["location"]["name"] == "South Clinic"
    assert node["serviceDate"] == "2025-01-09"
    assert node["total"] == _money("155.40")
    assert node["insurancePending"] == _money("50.00")
    assert node["patientResponsibility"] == _money("105.40")
    assert node["balance"] == _money("85.40")
    assert node["lines"] == [
        {
            "id": global_id("InvoiceLine", detailed.line_ids[0]),
            "description": "Item 1",
            "code": "A4250",
            "quantity": 1,
            "unitPrice": _money("120.00"),
            "amount": _money("120.00"),
            "reorderable": True,
        },
        {
            "id": global_id("InvoiceLine", detailed.line_ids[1]),
            "description": "Item 2",
            "code": "A4251",
            "quantity": 1,
            "unitPrice": _money("35.40"),
            "amount": _money("35.40"),
            "reorderable": False,
        },
    ]
    assert [p["id"] for p in node["payments"]] == [
        global_id("Payment", row_id) for row_id in detailed.payment_ids
    ]
    assert [p["status"] for p in node["payments"]] == ["SUCCEEDED", "FAILED"]
    [parcel] = node["shipments"]
    assert parcel["id"] == global_id("Shipment", detailed.shipment_id)
    assert parcel["status"] == "IN_TRANSIT"
    assert parcel["estimatedDelivery"] == "2025-03-01"
    assert parcel["items"] == [
        {
            "line": {"id": global_id("InvoiceLine", line_id), "description": f"Item {n}"},
            "quantity": 1,
        }
        for n, line_id in enumerate(detailed.line_ids, start=1)
    ]
    times = [event["occurredAt"] for event in parcel["events"]]
    assert times == sorted(times)
    assert [event["description"] for event in parcel["events"]] == ["Scan 1", "Scan 2"]


async def test_another_patients_invoice_looks_exactly_like_a_missing_one(
    client: httpx.AsyncClient, detailed: Detailed
) -> None:
    others = await _detail(client, detailed.bobs_invoice_id, detailed.ada.token)
    missing = await _detail(client, 987_654_321, detailed.ada.token)

    assert others == missing == {"data": {"node": None}}


@pytest.mark.parametrize(
    ("operation", "type_name", "attribute"),
    [
        (PAYMENT_STATUS, "Payment", "bobs_payment_id"),
        (SHIPMENT, "Shipment", "bobs_shipment_id"),
    ],
)
async def test_another_patients_payment_or_shipment_looks_like_a_missing_one(
    client: httpx.AsyncClient,
    detailed: Detailed,
    operation: str,
    type_name: str,
    attribute: str,
) -> None:
    theirs = global_id(type_name, getattr(detailed, attribute))
    others = await gql(client, operation, {"id": theirs}, token=detailed.ada.token)
    missing = await gql(
        client, operation, {"id": global_id(type_name, 987_654_321)}, token=detailed.ada.token
    )
    own = await gql(client, operation, {"id": theirs}, token=detailed.bob.token)

    assert others == missing == {"data": {"node": None}}
    assert own["data"]["node"]["id"] == theirs


async def test_a_patient_follows_their_payment_to_its_invoices(
    client: httpx.AsyncClient, detailed: Detailed
) -> None:
    paid_id = global_id("Payment", detailed.payment_ids[0])

    body = await gql(client, PAYMENT_STATUS, {"id": paid_id}, token=detailed.ada.token)

    assert "errors" not in body, body["errors"]
    assert body["data"]["node"] == {
        "id": paid_id,
        "status": "SUCCEEDED",
        "failureMessage": None,
        "amount": _money("20.00"),
        "allocations": [
            {
                "invoice": {
                    "id": global_id("Invoice", detailed.invoice_id),
                    "status": "PENDING_INSURANCE",
                    "balance": _money("85.40"),
                },
                "amount": _money("20.00"),
            }
        ],
    }


async def test_a_signed_out_caller_must_sign_in(
    client: httpx.AsyncClient, detailed: Detailed
) -> None:
    body = await _detail(client, detailed.invoice_id, None)

    assert body["data"] == {"node": None}
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_an_accountant_sees_the_money_but_no_codes_or_descriptions(
    client: httpx.AsyncClient, detailed: Detailed
) -> None:
    accountant = await staff_caller(Role.ACCOUNTANT)

    body = await _detail(client, detailed.invoice_id, accountant.token)

    assert "errors" not in body, body["errors"]
    node = body["data"]["node"]
    assert node["total"] == _money("155.40")
    assert [(line["code"], line["description"]) for line in node["lines"]] == [(None, None)] * 2
    assert [line["amount"] for line in node["lines"]] == [_money("120.00"), _money("35.40")]
    items = node["shipments"][0]["items"]
    assert [item["line"]["description"] for item in items] == [None, None]


async def test_billing_staff_read_any_patients_invoice_with_codes(
    client: httpx.AsyncClient, detailed: Detailed
) -> None:
    staff = await staff_caller(Role.BILLING_STAFF)

    body = await _detail(client, detailed.bobs_invoice_id, staff.token)

    assert body["data"]["node"]["lines"][0]["code"] == "A4250"


async def test_an_auditor_reads_no_invoices(client: httpx.AsyncClient, detailed: Detailed) -> None:
    auditor = await staff_caller(Role.AUDITOR)

    body = await _detail(client, detailed.invoice_id, auditor.token)

    assert body == {"data": {"node": None}}


async def test_every_invoice_payment_and_shipment_read_is_on_the_access_log(
    client: httpx.AsyncClient, detailed: Detailed
) -> None:
    await _detail(client, detailed.invoice_id, detailed.ada.token)
    await _detail(client, detailed.bobs_invoice_id, detailed.ada.token)

    reads = await AuditEvent.filter(actor_id=detailed.ada.user_id).values(
        "resource_type", "resource_id", "patient_id"
    )
    logged = {
        (row["resource_type"], row_id, row["patient_id"])
        for row in reads
        for row_id in row["resource_id"].split(",")
    }
    ada = detailed.ada.patient_id
    assert ("Invoice", str(detailed.invoice_id), ada) in logged
    for payment_id in detailed.payment_ids:
        assert ("Payment", str(payment_id), ada) in logged
    assert ("Shipment", str(detailed.shipment_id), ada) in logged
    # Ids of other tables may be the same number: only an Invoice row names Bob's invoice.
    assert not any(
        kind == "Invoice" and row_id == str(detailed.bobs_invoice_id) for kind, row_id, _ in logged
    )


async def test_a_listed_page_is_on_the_access_log(
    client: httpx.AsyncClient, detailed: Detailed
) -> None:
    await gql(client, "{ myInvoices { edges { node { id } } } }", token=detailed.ada.token)

    rows = await AuditEvent.filter(resource_type="Invoice").values("resource_id", "patient_id")
    assert {"resource_id": str(detailed.invoice_id), "patient_id": detailed.ada.patient_id} in rows


async def test_the_query_count_does_not_grow_with_the_page(
    client: httpx.AsyncClient, count_queries: Callable[[], int]
) -> None:
    ada = await patient_caller("ada@example.org")
    site = await location()
    for day in range(1, 51):
        bill = await invoice(
            ada.patient_id,
            site.id,
            issued=date(2025, 1, 1).replace(day=1 + day % 28),
            prices_minor=(1000, 2000),
            paid_minor=500,
        )
        line_ids = [row.id for row in await InvoiceLineRow.filter(invoice_id=bill.id)]
        await shipment(bill, line_ids)

    async def queries_for(first: int) -> int:
        start = count_queries()
        body = await gql(client, PAGE_WITH_EVERYTHING, {"first": first}, token=ada.token)
        assert "errors" not in body, body["errors"]
        edges = body["data"]["myInvoices"]["edges"]
        assert len(edges) == first
        assert all(len(edge["node"]["shipments"][0]["events"]) == 2 for edge in edges)
        return count_queries() - start

    small, large = await queries_for(5), await queries_for(50)

    assert small == large
    assert large <= 15


SKUS = """
query Skus($id: ID!) {
  node(id: $id) {
    ... on Invoice {
      lines { sku }
      shipments { items { line { sku } } }
    }
  }
}
"""


async def test_an_accountant_sees_no_product_skus_on_lines_or_shipped_items(
    client: httpx.AsyncClient, detailed: Detailed
) -> None:
    # given an invoice whose lines are catalog products, shipped to the patient
    await InvoiceLineRow.filter(invoice_id=detailed.invoice_id).update(sku="CGM-SENSOR-10D")
    accountant = await staff_caller(Role.ACCOUNTANT)
    staff = await staff_caller(Role.BILLING_STAFF)
    invoice_id = global_id("Invoice", detailed.invoice_id)

    # when the accountant, billing staff and the patient read the skus
    seen = {
        who: (await gql(client, SKUS, {"id": invoice_id}, token=caller.token))["data"]["node"]
        for who, caller in (("accountant", accountant), ("staff", staff), ("patient", detailed.ada))
    }

    # then the sku, which names the product as plainly as its description, is hidden from
    # the accountant along with codes and descriptions, there and through shipments
    assert seen["accountant"] == {
        "lines": [{"sku": None}] * 2,
        "shipments": [{"items": [{"line": {"sku": None}}] * 2}],
    }
    for who in ("staff", "patient"):
        assert [line["sku"] for line in seen[who]["lines"]] == ["CGM-SENSOR-10D"] * 2
        items = seen[who]["shipments"][0]["items"]
        assert [item["line"]["sku"] for item in items] == ["CGM-SENSOR-10D"] * 2
