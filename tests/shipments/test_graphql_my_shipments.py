"""myShipments: a patient follows every parcel of every bill of theirs, newest first, with
its tracking; nobody else's shows, and staff are told it is a patient's list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from models.audit import AuditEvent
from models.enums import Role
from models.shipments import Shipment as ShipmentRow
from tests.support.factories.invoices import (
    global_id,
    invoice,
    line_ids,
    location,
    patient_caller,
    shipment,
    staff_caller,
)
from tests.support.graphql_client import gql

MY_SHIPMENTS = """
query MyShipments($first: Int, $after: String) {
  myShipments(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        carrier
        trackingNumber
        status
        estimatedDelivery
        invoice { id number }
        items { quantity line { id } }
        events { occurredAt status description location }
      }
    }
  }
}
"""


async def test_a_patient_sees_all_their_shipments_newest_first_with_tracking(
    client: httpx.AsyncClient,
) -> None:
    # given two bills of Ada's with three parcels shipped on different days, and Bo's one
    ada = await patient_caller("ada@example.org")
    bo = await patient_caller("bo@example.org")
    site = await location()
    first_bill = await invoice(ada.patient_id, site.id)
    second_bill = await invoice(ada.patient_id, site.id)
    bo_bill = await invoice(bo.patient_id, site.id)
    shipped = []
    for days_ago, bill in ((20, first_bill), (10, second_bill), (1, first_bill)):
        row = await shipment(bill, await line_ids(bill))
        await ShipmentRow.filter(id=row.id).update(
            created_at=datetime.now(UTC) - timedelta(days=days_ago)
        )
        shipped.append(row)
    await shipment(
        bo_bill,
        await line_ids(bo_bill),
    )

    # when Ada lists her shipments two at a time
    page = (await gql(client, MY_SHIPMENTS, {"first": 2}, ada.token))["data"]["myShipments"]
    rest = await gql(
        client, MY_SHIPMENTS, {"first": 2, "after": page["pageInfo"]["endCursor"]}, ada.token
    )

    # then she gets hers only, newest first, each with its bill and tracking updates
    nodes = [edge["node"] for edge in page["edges"]] + [
        edge["node"] for edge in rest["data"]["myShipments"]["edges"]
    ]
    assert [node["id"] for node in nodes] == [
        global_id("Shipment", row.id) for row in reversed(shipped)
    ]
    assert page["pageInfo"]["hasNextPage"] is True
    assert rest["data"]["myShipments"]["pageInfo"]["hasNextPage"] is False
    newest = nodes[0]
    assert newest["invoice"] == {
        "id": global_id("Invoice", first_bill.id),
        "number": first_bill.number,
    }
    assert newest["carrier"] == "UPS"
    assert newest["trackingNumber"] == shipped[-1].tracking_number
    assert [event["description"] for event in newest["events"]] == ["Scan 1", "Scan 2"]
    assert newest["items"][0]["quantity"] == 1
    # and each shipment shown is on the access log as a read of Ada's data
    reads = await AuditEvent.filter(action="shipment.read", patient_id=ada.patient_id)
    shown = {resource for row in reads for resource in row.resource_id.split(",")}
    assert shown == {str(row.id) for row in shipped}


async def test_staff_are_told_shipments_are_listed_per_patient(client: httpx.AsyncClient) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    body = await gql(client, MY_SHIPMENTS, {}, clerk.token)

    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert body["data"] is None
