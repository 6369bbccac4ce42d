"""POST /webhooks/shipping: signed carrier tracking updates, each stored once, the shipment's
status that of its latest event, an audit row per stored event, and nothing of the body in
the logs."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from billing.invoices.rules import NewInvoiceLine, create_invoice
from billing.shipments.rules import NewShipmentItem, add_shipment
from config.settings import Settings
from models.audit import AuditEvent
from models.invoices import InvoiceLine as InvoiceLineRow
from models.shipments import Shipment as ShipmentRow
from models.shipments import ShipmentEvent as ShipmentEventRow
from tests.support.factories.invoices import PatientCaller, global_id, location, patient_caller
from tests.support.graphql_client import contract_operation, gql
from webhooks.shipping import sign

WEBHOOK_PATH = "/webhooks/shipping"
TRACKING_NUMBER = "1Z999AA10123456784"


INVOICE_DETAIL = contract_operation("InvoiceDetail")


@dataclass(frozen=True)
class Parcel:
    ada: PatientCaller
    invoice_id: int
    shipment_id: int


@pytest.fixture
async def parcel(client: httpx.AsyncClient) -> Parcel:
    ada = await patient_caller("ada@example.org")
    site = await location()
    bill = await create_invoice(
        ada.patient_id,
        site.id,
        "Dr. Adams",
        date(2025, 1, 9),
        date(2025, 2, 10),
        "USD",
        [NewInvoiceLine(code="A4253", description="Test strips", quantity=2, unit_price_minor=900)],
        issued_at=date(2025, 1, 10),
    )
    line = await InvoiceLineRow.get(invoice_id=bill.id)
    shipment = await add_shipment(bill.id, "UPS", TRACKING_NUMBER, [NewShipmentItem(line.id, 2)])
    return Parcel(ada=ada, invoice_id=bill.id, shipment_id=shipment.id)


@pytest.fixture
def secret(settings: Settings) -> bytes:
    return settings.shipping_webhook_secret.reveal().encode()


def _event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "trackingNumber": TRACKING_NUMBER,
        "carrier": "UPS",
        "status": "IN_TRANSIT",
        "occurredAt": "2026-11-20T14:03:00Z",
        "description": "Departed facility",
        "location": "Memphis, TN",
    }
    return {**event, **changes}


async def _deliver(
    client: httpx.AsyncClient,
    body: bytes | dict[str, Any],
    secret: bytes,
    *,
    signature: str | None = None,
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"content-type": "application/json", "x-signature": signature or sign(raw, secret)}
    return await client.post(WEBHOOK_PATH, content=raw, headers=headers)


async def _status(shipment_id: int) -> tuple[str, datetime | None]:
    row = await ShipmentRow.get(id=shipment_id)
    return row.status, row.status_at


async def _nothing_stored(parcel: Parcel) -> None:
    assert await ShipmentEventRow.all().count() == 0
    assert await AuditEvent.filter(action="shipment.tracking").count() == 0
    assert await _status(parcel.shipment_id) == ("LABEL_CREATED", None)


async def test_a_signed_update_is_stored_and_moves_the_status(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes
) -> None:
    response = await _deliver(client, _event(), secret)

    assert response.status_code == 204
    assert response.content == b""
    occurred = datetime(2026, 11, 20, 14, 3, tzinfo=UTC)
    assert await _status(parcel.shipment_id) == ("IN_TRANSIT", occurred)
    [event] = await ShipmentEventRow.filter(shipment_id=parcel.shipment_id)
    assert (event.status, event.occurred_at, event.description, event.location) == (
        "IN_TRANSIT",
        occurred,
        "Departed facility",
        "Memphis, TN",
    )
    # and the carrier's update is on record against the patient's shipment
    [record] = await AuditEvent.filter(action="shipment.tracking")
    assert (record.actor_id, record.actor_role, record.outcome) == (None, "carrier", "SUCCESS")
    assert (record.resource_type, record.resource_id, record.patient_id) == (
        "Shipment",
        str(parcel.shipment_id),
        parcel.ada.patient_id,
    )
    assert record.request_id == response.headers["x-request-id"]


@pytest.mark.parametrize(
    "signature",
    [
        "sha256=" + "0" * 64,
        "sha1=abc",
        "not a signature",
        "sha256=" + "é" * 64,
    ],
)
async def test_a_bad_signature_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes, signature: str
) -> None:
    raw = orjson.dumps(_event())
    response = await client.post(
        WEBHOOK_PATH, content=raw, headers={b"x-signature": signature.encode("latin-1")}
    )

    assert response.status_code == 401
    await _nothing_stored(parcel)


async def test_a_signature_of_another_body_is_refused(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes
) -> None:
    signed = orjson.dumps(_event(status="IN_TRANSIT"))
    tampered = orjson.dumps(_event(status="DELIVERED"))

    response = await _deliver(client, tampered, secret, signature=sign(signed, secret))

    assert response.status_code == 401
    await _nothing_stored(parcel)


async def test_a_missing_signature_is_refused(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes
) -> None:
    response = await client.post(WEBHOOK_PATH, content=orjson.dumps(_event()))

    assert response.status_code == 401
    await _nothing_stored(parcel)


async def test_an_unknown_tracking_number_is_not_found(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes
) -> None:
    response = await _deliver(client, _event(trackingNumber="1ZUNKNOWN"), secret)

    assert response.status_code == 404
    await _nothing_stored(parcel)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        orjson.dumps(_event(status="LOST_IN_SPACE")),
        orjson.dumps(_event(status="in_transit")),
        orjson.dumps(_event(occurredAt="2026-11-20 14:03")),
        orjson.dumps(_event(occurredAt="2026-11-20T14:03:00")),  # no offset
        orjson.dumps(_event(occurredAt="2026-02-30T14:03:00Z")),
        orjson.dumps(_event(occurredAt=1763647380)),
        orjson.dumps({key: value for key, value in _event().items() if key != "carrier"}),
        orjson.dumps(_event(trackingNumber=None)),
        orjson.dumps(_event(location=7)),
    ],
)
async def test_a_body_that_is_not_a_tracking_event_is_a_bad_request(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes, body: bytes
) -> None:
    response = await _deliver(client, body, secret)

    assert response.status_code == 400
    await _nothing_stored(parcel)


async def test_a_redelivered_update_is_stored_once(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes
) -> None:
    event = _event()
    # the same event again, with other key order, spacing and time zone offset
    again = orjson.dumps(
        {**dict(reversed(event.items())), "occurredAt": "2026-11-20T09:03:00-05:00"},
        option=orjson.OPT_INDENT_2,
    )

    answers = [
        (await _deliver(client, event, secret)).status_code,
        (await _deliver(client, event, secret)).status_code,
        (await _deliver(client, again, secret)).status_code,
    ]

    assert answers == [204, 204, 204]
    assert await ShipmentEventRow.all().count() == 1
    assert await AuditEvent.filter(action="shipment.tracking").count() == 1


async def test_concurrent_redeliveries_are_stored_once(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes
) -> None:
    responses = await asyncio.gather(*(_deliver(client, _event(), secret) for _ in range(4)))

    assert [response.status_code for response in responses] == [204] * 4
    assert await ShipmentEventRow.all().count() == 1
    assert await AuditEvent.filter(action="shipment.tracking").count() == 1


async def test_a_late_older_update_leaves_the_newer_status(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes
) -> None:
    # given the carrier delivers "delivered" before the older "out for delivery" and "in transit"
    updates = [
        _event(status="DELIVERED", occurredAt="2026-11-22T16:40:00Z", description="Delivered"),
        _event(status="IN_TRANSIT", occurredAt="2026-11-20T14:03:00Z"),
        _event(
            status="OUT_FOR_DELIVERY",
            occurredAt="2026-11-22T08:15:00.5+01:00",
            description="Out for delivery",
        ),
    ]
    for update in updates:
        assert (await _deliver(client, update, secret)).status_code == 204

    # then the shipment is delivered, and the patient sees every event in time order
    assert await _status(parcel.shipment_id) == (
        "DELIVERED",
        datetime(2026, 11, 22, 16, 40, tzinfo=UTC),
    )
    body = await gql(
        client, INVOICE_DETAIL, {"id": global_id("Invoice", parcel.invoice_id)}, parcel.ada.token
    )
    assert "errors" not in body, body["errors"]
    [shipment] = body["data"]["node"]["shipments"]
    assert shipment["id"] == global_id("Shipment", parcel.shipment_id)
    assert shipment["status"] == "DELIVERED"
    assert [(event["status"], event["description"]) for event in shipment["events"]] == [
        ("IN_TRANSIT", "Departed facility"),
        ("OUT_FOR_DELIVERY", "Out for delivery"),
        ("DELIVERED", "Delivered"),
    ]
    times = [datetime.fromisoformat(event["occurredAt"]) for event in shipment["events"]]
    assert times == sorted(times)
    assert await AuditEvent.filter(action="shipment.tracking").count() == 3


async def test_the_handler_logs_outcomes_and_nothing_of_the_body(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="billing")

    await _deliver(client, _event(), secret)
    await _deliver(client, _event(trackingNumber="1ZUNKNOWN"), secret)
    await _deliver(client, _event(), secret, signature="sha256=00")

    records = [r for r in caplog.records if r.name == "billing.webhooks.shipping"]
    assert [(r.__dict__["event"], r.__dict__["status"]) for r in records] == [
        ("stored", 204),
        ("unknown_tracking_number", 404),
        ("bad_signature", 401),
    ]
    ours = [r for r in caplog.records if r.name.startswith("billing")]
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    for value in (TRACKING_NUMBER, "1ZUNKNOWN", "Memphis", "Departed facility"):
        assert value not in logged


async def test_events_within_one_second_are_ordered_by_their_fractions(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes
) -> None:
    updates = [
        _event(status="DELIVERED", occurredAt="2026-11-22T16:40:00Z"),
        _event(status="EXCEPTION", occurredAt="2026-11-22T16:40:00.250Z"),
        _event(status="OUT_FOR_DELIVERY", occurredAt="2026-11-22T16:40:00.1Z"),
    ]
    for update in updates:
        assert (await _deliver(client, update, secret)).status_code == 204

    assert await _status(parcel.shipment_id) == (
        "EXCEPTION",
        datetime(2026, 11, 22, 16, 40, 0, 250000, tzinfo=UTC),
    )


async def test_a_signed_event_dated_far_ahead_is_refused_and_cannot_pin_the_status(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes
) -> None:
    # given a carrier (or whoever holds its secret) that dates an event 9999-12-31
    pinned = _event(status="DELIVERED", occurredAt="9999-12-31T23:59:59Z")

    # when it is delivered
    response = await _deliver(client, pinned, secret)

    # then it is refused and nothing is stored; a real update later still applies
    assert response.status_code == 400
    assert response.json() == {"error": "time_in_the_future"}
    await _nothing_stored(parcel)
    later = await _deliver(client, _event(status="OUT_FOR_DELIVERY"), secret)
    assert later.status_code == 204
    assert (await _status(parcel.shipment_id))[0] == "OUT_FOR_DELIVERY"


async def test_an_event_a_few_hours_ahead_is_taken_for_a_carriers_sloppy_clock(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes
) -> None:
    ahead = (datetime.now(UTC) + timedelta(hours=6)).isoformat()

    response = await _deliver(client, _event(occurredAt=ahead), secret)

    assert response.status_code == 204
    assert (await _status(parcel.shipment_id))[0] == "IN_TRANSIT"


async def test_an_event_naming_another_carrier_than_the_shipments_is_refused(
    client: httpx.AsyncClient, parcel: Parcel, secret: bytes
) -> None:
    response = await _deliver(client, _event(carrier="FedEx", status="DELIVERED"), secret)

    assert response.status_code == 409
    assert response.json() == {"error": "carrier_mismatch"}
    await _nothing_stored(parcel)
    # the carrier's own name is matched without regard to case or spacing
    same = await _deliver(client, _event(carrier=" ups "), secret)
    assert same.status_code == 204
