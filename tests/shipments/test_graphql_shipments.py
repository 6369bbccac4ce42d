"""addShipment: staff ship an invoice's items in one or more parcels, never more of a line
than was invoiced (even when two clerks ship at once), with clear errors, nothing written on
failure, and an audit record of each shipment."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from billing.invoices.rules import NewInvoiceLine, create_invoice
from models.audit import AuditEvent
from models.enums import Role
from models.invoices import InvoiceLine as InvoiceLineRow
from models.shipments import Shipment as ShipmentRow
from models.shipments import ShipmentItem as ShipmentItemRow
from tests.support.factories.invoices import (
    Caller,
    PatientCaller,
    global_id,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.graphql_client import contract_operation, gql

ADD_SHIPMENT = contract_operation("AddShipment")
INVOICE_DETAIL = contract_operation("InvoiceDetail")
SHIPMENT_NODE = """
query Shipment($id: ID!) {
  node(id: $id) { ... on Shipment { id trackingNumber status } }
}
"""


@dataclass(frozen=True)
class Order:
    clerk: Caller
    ada: PatientCaller
    invoice_id: int
    line_ids: list[int]  # quantities 3 and 1


async def _invoice_with_lines(patient_id: int, location_id: int, *quantities: int) -> int:
    row = await create_invoice(
        patient_id,
        location_id,
        "Dr. Adams",
        date(2025, 1, 9),
        date(2025, 2, 10),
        "USD",
        [
            NewInvoiceLine(
                code=f"A{4250 + index}",
                description=f"Item {index + 1}",
                quantity=quantity,
                unit_price_minor=1500,
            )
            for index, quantity in enumerate(quantities)
        ],
        issued_at=date(2025, 1, 10),
    )
    invoice_id: int = row.id
    return invoice_id


async def _line_ids(invoice_id: int) -> list[int]:
    rows = await InvoiceLineRow.filter(invoice_id=invoice_id).order_by("position")
    return [row.id for row in rows]


@pytest.fixture
async def order(client: httpx.AsyncClient) -> Order:
    ada = await patient_caller("ada@example.org")
    site = await location()
    invoice_id = await _invoice_with_lines(ada.patient_id, site.id, 3, 1)
    return Order(
        clerk=await staff_caller(Role.BILLING_STAFF),
        ada=ada,
        invoice_id=invoice_id,
        line_ids=await _line_ids(invoice_id),
    )


def _input(
    invoice_id: int,
    items: list[tuple[int, int]],
    *,
    tracking_number: str = "1Z999AA10123456784",
    carrier: str = "UPS",
) -> dict[str, Any]:
    return {
        "input": {
            "invoiceId": global_id("Invoice", invoice_id),
            "carrier": carrier,
            "trackingNumber": tracking_number,
            "items": [
                {"lineId": global_id("InvoiceLine", line_id), "quantity": quantity}
                for line_id, quantity in items
            ],
        }
    }


async def _add(client: httpx.AsyncClient, token: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = await gql(client, ADD_SHIPMENT, variables, token=token)
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"]["addShipment"]
    return payload


def _errors(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


async def _shipped(line_id: int) -> int:
    return sum(row.quantity for row in await ShipmentItemRow.filter(line_id=line_id))


async def test_staff_ship_items_of_an_invoice(client: httpx.AsyncClient, order: Order) -> None:
    # given an invoice with a line of 3 and a line of 1
    line_a, line_b = order.line_ids

    # when a clerk ships 2 of the first line and the second line
    payload = await _add(
        client, order.clerk.token, _input(order.invoice_id, [(line_a, 2), (line_b, 1)])
    )

    # then the shipment exists with its items, waiting for the carrier
    assert payload["errors"] == []
    row = await ShipmentRow.get(tracking_number="1Z999AA10123456784")
    assert payload["shipment"] == {
        "id": global_id("Shipment", row.id),
        "status": "LABEL_CREATED",
        "trackingNumber": "1Z999AA10123456784",
    }
    assert (row.invoice_id, row.carrier, row.status_at) == (order.invoice_id, "UPS", None)
    items = await ShipmentItemRow.filter(shipment_id=row.id).order_by("id")
    assert [(item.line_id, item.quantity) for item in items] == [(line_a, 2), (line_b, 1)]
    # and it is on record, by whom and for which patient
    [record] = await AuditEvent.filter(action="shipment.create")
    assert (record.actor_id, record.actor_role, record.outcome) == (
        order.clerk.user_id,
        "billing_staff",
        "SUCCESS",
    )
    assert (record.resource_type, record.resource_id, record.patient_id) == (
        "Shipment",
        str(row.id),
        order.ada.patient_id,
    )


async def test_an_order_ships_in_several_parcels_up_to_what_was_invoiced(
    client: httpx.AsyncClient, order: Order
) -> None:
    line_a, _line_b = order.line_ids

    first = await _add(client, order.clerk.token, _input(order.invoice_id, [(line_a, 2)]))
    second = await _add(
        client, order.clerk.token, _input(order.invoice_id, [(line_a, 1)], tracking_number="1Z2")
    )
    third = await _add(
        client, order.clerk.token, _input(order.invoice_id, [(line_a, 1)], tracking_number="1Z3")
    )

    assert first["errors"] == second["errors"] == []
    assert _errors(third) == [("QUANTITY_EXCEEDS_INVOICED", "items.0.quantity")]
    assert third["shipment"] is None
    assert await _shipped(line_a) == 3
    # and the patient sees both parcels on the invoice
    body = await gql(
        client, INVOICE_DETAIL, {"id": global_id("Invoice", order.invoice_id)}, order.ada.token
    )
    parcels = body["data"]["node"]["shipments"]
    assert [(p["trackingNumber"], p["status"]) for p in parcels] == [
        ("1Z999AA10123456784", "LABEL_CREATED"),
        ("1Z2", "LABEL_CREATED"),
    ]
    assert [p["items"][0]["quantity"] for p in parcels] == [2, 1]
    assert parcels[0]["items"][0]["line"] == {
        "id": global_id("InvoiceLine", line_a),
        "description": "Item 1",
    }


async def test_more_than_was_invoiced_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, order: Order
) -> None:
    line_a, line_b = order.line_ids

    payload = await _add(
        client, order.clerk.token, _input(order.invoice_id, [(line_b, 1), (line_a, 4)])
    )

    assert _errors(payload) == [("QUANTITY_EXCEEDS_INVOICED", "items.1.quantity")]
    assert payload["shipment"] is None
    assert await ShipmentRow.all().count() == 0
    assert await ShipmentItemRow.all().count() == 0
    [record] = await AuditEvent.filter(action="shipment.create")
    assert (record.outcome, record.reference) == ("FAILURE", "QUANTITY_EXCEEDS_INVOICED")


async def test_two_concurrent_shipments_cannot_both_take_the_last_units(
    client: httpx.AsyncClient, order: Order
) -> None:
    # given a line of 3, and two clerks each shipping 2 of it at the same moment
    line_a, _line_b = order.line_ids
    other_clerk = await staff_caller(Role.BILLING_STAFF)

    payloads = await asyncio.gather(
        _add(client, order.clerk.token, _input(order.invoice_id, [(line_a, 2)])),
        _add(
            client,
            other_clerk.token,
            _input(order.invoice_id, [(line_a, 2)], tracking_number="1Z-OTHER"),
        ),
    )

    # then exactly one succeeds and the other is told why
    outcomes = sorted(_errors(payload) for payload in payloads)
    assert outcomes == [[], [("QUANTITY_EXCEEDS_INVOICED", "items.0.quantity")]]
    assert await ShipmentRow.all().count() == 1
    assert await _shipped(line_a) == 2


async def test_a_line_of_another_invoice_is_not_found(
    client: httpx.AsyncClient, order: Order
) -> None:
    bob = await patient_caller("bob@example.org")
    site = await location("South Clinic")
    [bobs_line] = await _line_ids(await _invoice_with_lines(bob.patient_id, site.id, 5))

    payload = await _add(
        client,
        order.clerk.token,
        _input(order.invoice_id, [(order.line_ids[0], 1), (bobs_line, 1)]),
    )

    assert _errors(payload) == [("NOT_FOUND", "items.1.lineId")]
    assert await ShipmentRow.all().count() == 0


@pytest.mark.parametrize("quantity", [0, -1])
async def test_a_quantity_must_be_positive(
    client: httpx.AsyncClient, order: Order, quantity: int
) -> None:
    payload = await _add(
        client, order.clerk.token, _input(order.invoice_id, [(order.line_ids[0], quantity)])
    )

    assert _errors(payload) == [("INVALID_QUANTITY", "items.0.quantity")]
    assert await ShipmentRow.all().count() == 0


async def test_a_tracking_number_is_recorded_once(client: httpx.AsyncClient, order: Order) -> None:
    line_a, line_b = order.line_ids
    await _add(client, order.clerk.token, _input(order.invoice_id, [(line_a, 1)]))

    payload = await _add(client, order.clerk.token, _input(order.invoice_id, [(line_b, 1)]))

    assert _errors(payload) == [("CONFLICT", "trackingNumber")]
    assert await ShipmentRow.all().count() == 1
    assert await _shipped(line_b) == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"carrier": "  "}, ("INVALID_INPUT", "carrier")),
        ({"trackingNumber": ""}, ("INVALID_INPUT", "trackingNumber")),
        ({"items": []}, ("INVALID_INPUT", "items")),
        ({"invoiceId": global_id("Invoice", 999_999)}, ("NOT_FOUND", "invoiceId")),
        ({"invoiceId": global_id("Payment", 1)}, ("INVALID_INPUT", "invoiceId")),
        (
            {"items": [{"lineId": global_id("Invoice", 1), "quantity": 1}]},
            ("INVALID_INPUT", "items.0.lineId"),
        ),
    ],
)
async def test_bad_input_is_named_by_its_field(
    client: httpx.AsyncClient,
    order: Order,
    change: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    variables = _input(order.invoice_id, [(order.line_ids[0], 1)])
    variables["input"].update(change)

    payload = await _add(client, order.clerk.token, variables)

    assert _errors(payload) == [expected]
    assert await ShipmentRow.all().count() == 0


async def test_a_line_listed_twice_is_refused(client: httpx.AsyncClient, order: Order) -> None:
    line_a, _line_b = order.line_ids

    payload = await _add(
        client, order.clerk.token, _input(order.invoice_id, [(line_a, 2), (line_a, 2)])
    )

    assert _errors(payload) == [("INVALID_INPUT", "items.1.lineId")]
    assert await ShipmentRow.all().count() == 0


@pytest.mark.parametrize("role", [Role.PATIENT, Role.ACCOUNTANT])
async def test_patients_and_accountants_cannot_add_shipments(
    client: httpx.AsyncClient, order: Order, role: Role
) -> None:
    caller = order.ada if role is Role.PATIENT else await staff_caller(role)

    body = await gql(
        client,
        ADD_SHIPMENT,
        _input(order.invoice_id, [(order.line_ids[0], 1)]),
        token=caller.token,
    )

    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert await ShipmentRow.all().count() == 0
    assert not await AuditEvent.filter(action="shipment.create").exists()


async def test_a_patient_cannot_read_another_patients_shipment(
    client: httpx.AsyncClient, order: Order
) -> None:
    # given a shipment of Ada's invoice
    payload = await _add(
        client, order.clerk.token, _input(order.invoice_id, [(order.line_ids[0], 1)])
    )
    shipment_id = payload["shipment"]["id"]
    bob = await patient_caller("bob@example.org")

    # when Bob asks for it by ID he gets nothing, while Ada and staff get it
    as_bob = await gql(client, SHIPMENT_NODE, {"id": shipment_id}, token=bob.token)
    as_ada = await gql(client, SHIPMENT_NODE, {"id": shipment_id}, token=order.ada.token)
    as_clerk = await gql(client, SHIPMENT_NODE, {"id": shipment_id}, token=order.clerk.token)

    assert as_bob == {"data": {"node": None}}
    assert as_ada["data"]["node"]["trackingNumber"] == "1Z999AA10123456784"
    assert as_clerk["data"]["node"]["status"] == "LABEL_CREATED"
