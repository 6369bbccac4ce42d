"""Refunds and disputes through the real stripe SDK against the simulator: staff ask for a
refund, Stripe confirms it with charge.refunded and only then does the ledger follow; a
dispute flags the payment and its invoices, and a lost one takes the money back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from config.settings import Settings
from models.audit import AuditEvent
from models.enums import PaymentStatus, RefundStatus, Role
from models.invoices import Invoice as InvoiceRow
from models.ledger import LedgerEntry
from models.payments import Dispute
from models.payments import Payment as PaymentRow
from models.payments import Refund as RefundRow
from models.stripe_events import StripeEvent as StripeEventRow
from tests.support.factories.invoices import (
    Caller,
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.graphql_client import contract_operation, gql
from tests.support.stripe_fixture import SDK_DATA_WARNING, StripeWorld, stripe_world

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

PAY_INVOICES = contract_operation("PayInvoices")
REFUND_PAYMENT = contract_operation("RefundPayment")
STAFF_REASON = "Patient was double billed for the MRI on 3 May"
INVOICE_FLAGS = """
query Flags($id: ID!) {
  node(id: $id) { ... on Invoice { id disputed status balance { amount } } }
}
"""


@pytest.fixture
async def world(settings: Settings, db: None) -> AsyncIterator[StripeWorld]:
    async with stripe_world(settings) as running:
        yield running


@pytest.fixture
async def ada(db: None) -> PatientCaller:
    return await patient_caller("ada@example.org")


@pytest.fixture
async def staff(db: None) -> Caller:
    return await staff_caller(Role.BILLING_STAFF)


@pytest.fixture
async def paid(world: StripeWorld, ada: PatientCaller) -> tuple[PaymentRow, list[InvoiceRow]]:
    """Ada paid $100.00 and $50.00 invoices in full with one card payment of $150.00."""
    place = await location()
    bills = [await invoice(ada.patient_id, place.id, prices_minor=(p,)) for p in (10000, 5000)]
    variables = {
        "input": {
            "allocations": [
                {"invoiceId": global_id("Invoice", bills[0].id), "amount": "100.00"},
                {"invoiceId": global_id("Invoice", bills[1].id), "amount": "50.00"},
            ],
            "idempotencyKey": "pay-1",
        }
    }
    result = await gql(world.client, PAY_INVOICES, variables, token=ada.token)
    secret = result["data"]["payInvoices"]["payment"]["clientSecret"]
    intent_id = secret.split("_secret_")[0]
    await world.sdk.v1.payment_intents.confirm_async(
        intent_id, params={"payment_method": "pm_card_visa"}
    )
    await world.deliveries_done()
    payment = await PaymentRow.get(stripe_payment_intent_id=intent_id)
    assert payment.status is PaymentStatus.SUCCEEDED
    return payment, bills


async def _refund(
    world: StripeWorld, staff: Caller, payment: PaymentRow, amount: str, reason: str = STAFF_REASON
) -> dict[str, Any]:
    variables = {
        "input": {"paymentId": global_id("Payment", payment.id), "amount": amount, "reason": reason}
    }
    result = await gql(world.client, REFUND_PAYMENT, variables, token=staff.token)
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"]["refundPayment"]
    await world.deliveries_done()
    return payload


async def _state(rows: list[InvoiceRow]) -> list[tuple[str, int, bool]]:
    fresh = [await InvoiceRow.get(id=row.id) for row in rows]
    return [(str(row.status), row.balance_minor, row.disputed) for row in fresh]


async def test_a_partial_refund_reopens_the_last_invoice_once_stripe_confirms(
    world: StripeWorld, staff: Caller, paid: tuple[PaymentRow, list[InvoiceRow]]
) -> None:
    payment, bills = paid

    payload = await _refund(world, staff, payment, "20.00")

    assert payload["errors"] == []
    assert payload["refund"]["amount"] == {"amount": "20.00", "currency": "USD"}
    refund = await RefundRow.get(payment_id=payment.id)
    assert refund.status is RefundStatus.SUCCEEDED
    assert refund.reason == STAFF_REASON
    assert await _state(bills) == [("PAID", 0, False), ("PARTIALLY_PAID", 2000, False)]
    payment = await PaymentRow.get(id=payment.id)
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refunded_minor == 2000

    # Stripe was asked once, with its own reason and our opaque ref only
    (sent,) = [
        r for r in await world.requests() if r["path"] == "/v1/refunds" and r["method"] == "POST"
    ]
    assert sent["params"] == {
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": "2000",
        "reason": "requested_by_customer",
        "metadata": {"refund_ref": str(refund.id)},
    }
    assert sent["idempotency_key"] == f"refund-{refund.id}"
    assert "double billed" not in orjson.dumps(await world.requests()).decode()
    (event,) = await world.events("charge.refunded")
    audit = await AuditEvent.filter(action="refund.succeeded").values_list(
        "resource_id", "reference"
    )
    assert audit == [(str(refund.id), event["id"])]

    # a duplicate delivery books nothing twice
    ledger = await LedgerEntry.all().count()
    await world.control.post(f"/_sim/events/{event['id']}/redeliver")
    await world.deliveries_done()
    assert await LedgerEntry.all().count() == ledger


async def test_refunds_never_add_up_to_more_than_was_paid(
    world: StripeWorld, staff: Caller, paid: tuple[PaymentRow, list[InvoiceRow]]
) -> None:
    payment, bills = paid
    assert (await _refund(world, staff, payment, "100.00"))["errors"] == []

    too_much = await _refund(world, staff, payment, "50.01")
    rest = await _refund(world, staff, payment, "50.00")

    assert [(e["code"], e["field"]) for e in too_much["errors"]] == [
        ("REFUND_EXCEEDS_PAYMENT", "amount")
    ]
    assert rest["errors"] == []
    assert await _state(bills) == [("OPEN", 10000, False), ("OPEN", 5000, False)]
    payment = await PaymentRow.get(id=payment.id)
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refunded_minor == 15000
    nothing_left = await _refund(world, staff, payment, "0.01")
    assert [e["code"] for e in nothing_left["errors"]] == ["REFUND_EXCEEDS_PAYMENT"]


@pytest.mark.parametrize(
    ("amount", "reason", "code", "field"),
    [
        ("0", STAFF_REASON, "INVALID_AMOUNT", "amount"),
        ("-1.00", STAFF_REASON, "INVALID_AMOUNT", "amount"),
        ("1.001", STAFF_REASON, "INVALID_AMOUNT", "amount"),
        ("1.00", "   ", "INVALID_INPUT", "reason"),
        ("1.00", "x" * 501, "INVALID_INPUT", "reason"),
    ],
)
async def test_bad_refund_requests_change_nothing(
    world: StripeWorld,
    staff: Caller,
    paid: tuple[PaymentRow, list[InvoiceRow]],
    amount: str,
    reason: str,
    code: str,
    field: str,
) -> None:
    payment, _ = paid

    payload = await _refund(world, staff, payment, amount, reason)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert await RefundRow.all().count() == 0
    assert [r for r in await world.requests() if r["path"] == "/v1/refunds"] == []


async def test_a_refund_made_in_stripes_dashboard_is_booked_too(
    world: StripeWorld, paid: tuple[PaymentRow, list[InvoiceRow]]
) -> None:
    payment, bills = paid

    await world.sdk.v1.refunds.create_async(
        params={"payment_intent": str(payment.stripe_payment_intent_id), "amount": 1500}
    )
    await world.deliveries_done()

    refund = await RefundRow.get(payment_id=payment.id)
    assert refund.status is RefundStatus.SUCCEEDED
    assert refund.amount_minor == 1500
    assert await _state(bills) == [("PAID", 0, False), ("PARTIALLY_PAID", 1500, False)]


async def test_a_dispute_flags_the_payment_and_its_invoices_and_a_lost_one_reverses_it(
    world: StripeWorld, ada: PatientCaller, staff: Caller, paid: tuple[PaymentRow, list[InvoiceRow]]
) -> None:
    payment, bills = paid

    opened = await world.control.post(
        "/_sim/disputes", data={"payment_intent": str(payment.stripe_payment_intent_id)}
    )
    assert opened.status_code == 200
    await world.deliveries_done()

    # then staff see the payment and both invoices flagged, the money still counted
    assert (await PaymentRow.get(id=payment.id)).disputed
    assert await _state(bills) == [("PAID", 0, True), ("PAID", 0, True)]
    flags = await gql(
        world.client, INVOICE_FLAGS, {"id": global_id("Invoice", bills[0].id)}, token=staff.token
    )
    assert flags["data"]["node"]["disputed"] is True

    # when the bank decides for the card holder
    closed = await world.control.post(
        f"/_sim/disputes/{opened.json()['id']}/close", data={"status": "lost"}
    )
    assert closed.status_code == 200
    await world.deliveries_done()

    # then the money is taken back on the ledger and the flags clear
    assert await _state(bills) == [("OPEN", 10000, False), ("OPEN", 5000, False)]
    dispute = await Dispute.get(payment_id=payment.id)
    assert str(dispute.status) == "LOST"
    assert not (await PaymentRow.get(id=payment.id)).disputed
    # and nothing is left to refund
    refused = await _refund(world, staff, payment, "1.00")
    assert [e["code"] for e in refused["errors"]] == ["REFUND_EXCEEDS_PAYMENT"]
    actions = [row.action for row in await AuditEvent.filter(actor_role="stripe")]
    assert "payment.dispute_opened" in actions
    assert "payment.dispute_closed" in actions


async def test_a_won_dispute_clears_the_flags_and_keeps_the_money(
    world: StripeWorld, paid: tuple[PaymentRow, list[InvoiceRow]]
) -> None:
    payment, bills = paid
    opened = await world.control.post(
        "/_sim/disputes", data={"payment_intent": str(payment.stripe_payment_intent_id)}
    )
    await world.deliveries_done()
    ledger = await LedgerEntry.all().count()

    await world.control.post(f"/_sim/disputes/{opened.json()['id']}/close", data={"status": "won"})
    await world.deliveries_done()

    assert await _state(bills) == [("PAID", 0, False), ("PAID", 0, False)]
    assert await LedgerEntry.all().count() == ledger
    # a late copy of the opening event does not flag them again
    (created,) = await world.events("charge.dispute.created")
    await world.control.post(f"/_sim/events/{created['id']}/redeliver")
    await world.deliveries_done()
    assert await _state(bills) == [("PAID", 0, False), ("PAID", 0, False)]


async def test_a_refund_is_refused_while_a_dispute_is_open(
    world: StripeWorld, staff: Caller, paid: tuple[PaymentRow, list[InvoiceRow]]
) -> None:
    # given a payment the card holder disputes
    payment, bills = paid
    await world.control.post(
        "/_sim/disputes", data={"payment_intent": str(payment.stripe_payment_intent_id)}
    )
    await world.deliveries_done()

    # when staff try to refund it in full
    payload = await _refund(world, staff, payment, "150.00")

    # then it is refused, Stripe is not asked, and nothing changes
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("DISPUTED", "paymentId")]
    assert await RefundRow.all().count() == 0
    assert [r for r in await world.requests() if r["path"] == "/v1/refunds"] == []
    assert await _state(bills) == [("PAID", 0, True), ("PAID", 0, True)]


async def test_a_lost_dispute_over_money_already_refunded_is_flagged_for_staff(
    world: StripeWorld, staff: Caller, paid: tuple[PaymentRow, list[InvoiceRow]]
) -> None:
    # given a payment refunded in part before the card holder disputed all of it
    payment, _bills = paid
    assert (await _refund(world, staff, payment, "40.00"))["errors"] == []
    opened = await world.control.post(
        "/_sim/disputes", data={"payment_intent": str(payment.stripe_payment_intent_id)}
    )
    await world.deliveries_done()

    # when the bank decides for the card holder and takes all of it back
    await world.control.post(f"/_sim/disputes/{opened.json()['id']}/close", data={"status": "lost"})
    await world.deliveries_done()

    # then the payment is flagged for staff: the card holder got $40.00 twice
    flagged = await PaymentRow.get(id=payment.id)
    assert flagged.review_reason == "A lost card dispute took back money already refunded"
    (closed,) = await world.events("charge.dispute.closed")
    stored = await StripeEventRow.get(event_id=closed["id"])
    assert stored.outcome == "FLAGGED"
    assert "4000 returned twice" in stored.detail
    # and staff see why on the payment, and nothing more can be refunded
    refused = await _refund(world, staff, payment, "0.01")
    assert [e["code"] for e in refused["errors"]] == ["REFUND_EXCEEDS_PAYMENT"]
    review = await gql(
        world.client,
        "query Review($id: ID!) { node(id: $id) { ... on Payment { reviewReason } } }",
        {"id": global_id("Payment", payment.id)},
        token=staff.token,
    )
    assert review["data"]["node"]["reviewReason"] == flagged.review_reason
