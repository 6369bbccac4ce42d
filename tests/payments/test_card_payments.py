"""Paying several invoices with one card charge, through the real stripe SDK against the
simulator: payInvoices holds the balances and creates one PaymentIntent, the phone confirms
it, and Stripe's signed events post the allocations, fail or cancel the payment; duplicate,
late and out-of-order events change nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import stripe
from strawberry import relay

from api.app import build_app
from billing.invoices.rules import adjust_invoice
from billing.ledger.credits import patient_credit_balance
from billing.payments.offline import record_offline_payment
from config.settings import Settings
from models.audit import AuditEvent
from models.enums import AllocationStatus, PaymentChannel, PaymentStatus, Role
from models.invoices import Invoice as InvoiceRow
from models.ledger import LedgerEntry
from models.payments import Payment as PaymentRow
from models.payments import PaymentAllocation as PaymentAllocationRow
from models.stripe_events import StripeEvent
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.graphql_client import contract_operation, gql
from tests.support.stripe_fixture import (
    SDK_DATA_WARNING,
    WEBHOOK_SECRET,
    StripeWorld,
    close_shared_gateway,
    free_socket,
    settings_for_simulator,
    stripe_world,
)
from webhooks.stripe import sign

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

PAY_INVOICES = contract_operation("PayInvoices")
PAYMENT_STATUS = contract_operation("PaymentStatus")


@pytest.fixture
async def world(settings: Settings, db: None) -> AsyncIterator[StripeWorld]:
    async with stripe_world(settings) as running:
        yield running


@pytest.fixture
async def ada(db: None) -> PatientCaller:
    return await patient_caller("ada@example.org")


@pytest.fixture
async def bills(ada: PatientCaller) -> list[InvoiceRow]:
    """Three open invoices of Ada's: $100.00, $250.00 and $40.00."""
    place = await location()
    return [
        await invoice(ada.patient_id, place.id, prices_minor=(price,))
        for price in (10000, 25000, 4000)
    ]


def _allocations(*pairs: tuple[InvoiceRow, str]) -> list[dict[str, str]]:
    return [{"invoiceId": global_id("Invoice", row.id), "amount": amount} for row, amount in pairs]


async def _pay(
    world: StripeWorld,
    caller: PatientCaller,
    allocations: list[dict[str, str]],
    key: str = "attempt-1",
    **extra: Any,
) -> dict[str, Any]:
    variables = {"input": {"allocations": allocations, "idempotencyKey": key, **extra}}
    result = await gql(world.client, PAY_INVOICES, variables, token=caller.token)
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"]["payInvoices"]
    return payload


async def _paid(world: StripeWorld, caller: PatientCaller, *pairs: tuple[InvoiceRow, str]) -> str:
    payload = await _pay(world, caller, _allocations(*pairs))
    assert payload["errors"] == [], payload
    return str(payload["payment"]["clientSecret"]).split("_secret_")[0]


async def _status(world: StripeWorld, caller: PatientCaller, payment_id: str) -> dict[str, Any]:
    result = await gql(world.client, PAYMENT_STATUS, {"id": payment_id}, token=caller.token)
    assert "errors" not in result, result
    node: dict[str, Any] = result["data"]["node"]
    return node


async def _confirm(world: StripeWorld, intent_id: str, card: str = "pm_card_visa") -> None:
    """What the phone does with the client secret: confirm the intent with a card."""
    await world.sdk.v1.payment_intents.confirm_async(intent_id, params={"payment_method": card})
    await world.deliveries_done()


async def _deliver(world: StripeWorld, event: dict[str, Any]) -> dict[str, Any]:
    body = orjson.dumps(event)
    signature = sign(body, WEBHOOK_SECRET.encode(), int(time.time()))
    response = await world.client.post(
        "/webhooks/stripe", content=body, headers={"Stripe-Signature": signature}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _balances(rows: list[InvoiceRow]) -> list[tuple[str, int, int]]:
    fresh = [await InvoiceRow.get(id=row.id) for row in rows]
    return [(str(row.status), row.balance_minor, row.reserved_minor) for row in fresh]


async def test_one_intent_pays_three_invoices_one_partially(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    first, second, third = bills

    # when Ada pays the first two in full and $15.50 of the third
    payload = await _pay(
        world, ada, _allocations((first, "100.00"), (second, "250.00"), (third, "15.50"))
    )

    # then one pending payment of $365.50 holds those amounts until Stripe says so
    assert payload["errors"] == []
    payment = payload["payment"]
    assert payment["status"] == "PENDING"
    assert payment["amount"] == {"amount": "365.50", "currency": "USD"}
    assert [a["amount"]["amount"] for a in payment["allocations"]] == ["100.00", "250.00", "15.50"]
    assert await _balances(bills) == [
        ("OPEN", 10000, 10000),
        ("OPEN", 25000, 25000),
        ("OPEN", 4000, 1550),
    ]
    creates = [r for r in await world.requests() if r["path"] == "/v1/payment_intents"]
    assert len(creates) == 1
    row = await PaymentRow.get(patient_id=ada.patient_id)
    assert creates[0]["params"]["amount"] == "36550"
    assert creates[0]["params"]["metadata"] == {"payment_ref": str(row.id)}
    assert creates[0]["idempotency_key"] == f"payment-{row.id}-intent"

    # when the phone confirms the intent and Stripe's webhook arrives
    await _confirm(world, str(payment["clientSecret"]).split("_secret_")[0])

    # then the invoices are paid, the third partially, and nothing is held any more
    status = await _status(world, ada, payment["id"])
    assert status["status"] == "SUCCEEDED"
    assert status["failureMessage"] is None
    assert [a["invoice"]["status"] for a in status["allocations"]] == [
        "PAID",
        "PAID",
        "PARTIALLY_PAID",
    ]
    assert [a["invoice"]["balance"]["amount"] for a in status["allocations"]] == [
        "0.00",
        "0.00",
        "24.50",
    ]
    assert await _balances(bills) == [("PAID", 0, 0), ("PAID", 0, 0), ("PARTIALLY_PAID", 2450, 0)]
    allocations = await PaymentAllocationRow.filter(payment_id=row.id)
    assert {allocation.status for allocation in allocations} == {AllocationStatus.POSTED}
    audit = await AuditEvent.filter(action="payment.succeeded").values_list(
        "resource_id", "reference", "actor_role"
    )
    (event,) = await world.events("payment_intent.succeeded")
    assert audit == [(str(row.id), event["id"], "stripe")]


async def test_duplicate_late_and_out_of_order_events_change_nothing(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    first, second, _ = bills
    intent_id = await _paid(world, ada, (first, "100.00"), (second, "50.00"))
    await _confirm(world, intent_id)
    (succeeded,) = await world.events("payment_intent.succeeded")
    ledger_before = await LedgerEntry.all().count()

    # when Stripe delivers the same event again
    response = await world.control.post(f"/_sim/events/{succeeded['id']}/redeliver")
    assert response.status_code == 202
    await world.deliveries_done()

    # and a processing and a failure event about the same intent arrive late
    stale_object = {**succeeded["data"]["object"], "status": "processing"}
    late = [
        {**succeeded, "id": "evt_late_processing", "type": "payment_intent.processing"},
        {
            **succeeded,
            "id": "evt_late_failure",
            "type": "payment_intent.payment_failed",
            "data": {
                "object": {**stale_object, "last_payment_error": {"message": "Card declined."}}
            },
        },
    ]
    answers = [await _deliver(world, event) for event in late]

    # then nothing changed: the payment stays SUCCEEDED and the ledger posted once
    assert [answer["result"] for answer in answers] == ["ignored", "ignored"]
    payment = await PaymentRow.get(stripe_payment_intent_id=intent_id)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.failure_message is None
    assert await LedgerEntry.all().count() == ledger_before
    assert await StripeEvent.filter(event_id=succeeded["id"]).count() == 1
    assert await _balances(bills[:2]) == [("PAID", 0, 0), ("PARTIALLY_PAID", 20000, 0)]


async def test_a_declined_card_releases_the_hold_and_says_why(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    first = bills[0]
    payload = await _pay(world, ada, _allocations((first, "100.00")))
    intent_id = str(payload["payment"]["clientSecret"]).split("_secret_")[0]

    # when the card is declined
    with pytest.raises(stripe.CardError):
        await _confirm(world, intent_id, "pm_card_chargeDeclined")
    await world.deliveries_done()

    # then the patient reads why, and the invoice's balance is free again
    status = await _status(world, ada, payload["payment"]["id"])
    assert status["status"] == "FAILED"
    assert status["failureMessage"] == "Your card was declined."
    assert await _balances([first]) == [("OPEN", 10000, 0)]

    # when the phone retries the same intent with another card, it is paid once
    await _confirm(world, intent_id, "pm_card_visa")
    status = await _status(world, ada, payload["payment"]["id"])
    assert status["status"] == "SUCCEEDED"
    assert status["failureMessage"] is None
    assert await _balances([first]) == [("PAID", 0, 0)]


async def test_a_canceled_intent_releases_the_hold(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    first = bills[0]
    intent_id = await _paid(world, ada, (first, "60.00"))

    await world.sdk.v1.payment_intents.cancel_async(intent_id)
    await world.deliveries_done()

    payment = await PaymentRow.get(stripe_payment_intent_id=intent_id)
    assert payment.status is PaymentStatus.CANCELED
    assert await _balances([first]) == [("OPEN", 10000, 0)]
    # and the whole balance can be paid again
    again = await _pay(world, ada, _allocations((first, "100.00")), key="attempt-2")
    assert again["errors"] == []


async def test_a_bank_that_takes_time_shows_processing_then_paid(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    first = bills[0]
    intent_id = await _paid(world, ada, (first, "100.00"))

    response = await world.control.post(
        f"/_sim/payment_intents/{intent_id}/confirm", data={"settle": "later"}
    )
    assert response.status_code == 200
    await world.deliveries_done()
    assert (await PaymentRow.get(stripe_payment_intent_id=intent_id)).status is (
        PaymentStatus.PROCESSING
    )
    assert await _balances([first]) == [("OPEN", 10000, 10000)]

    response = await world.control.post(f"/_sim/payment_intents/{intent_id}/settle")
    assert response.status_code == 200
    await world.deliveries_done()
    assert (await PaymentRow.get(stripe_payment_intent_id=intent_id)).status is (
        PaymentStatus.SUCCEEDED
    )
    assert await _balances([first]) == [("PAID", 0, 0)]


async def test_the_same_idempotency_key_returns_the_same_payment(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    first, second, _ = bills
    asked = _allocations((first, "100.00"), (second, "20.00"))

    one, two = await asyncio.gather(_pay(world, ada, asked), _pay(world, ada, asked))
    three = await _pay(world, ada, asked)

    assert one["errors"] == two["errors"] == three["errors"] == []
    assert one["payment"]["id"] == two["payment"]["id"] == three["payment"]["id"]
    assert one["payment"]["clientSecret"] == three["payment"]["clientSecret"]
    assert await PaymentRow.all().count() == 1
    creates = [r for r in await world.requests() if r["path"] == "/v1/payment_intents"]
    row = await PaymentRow.get(patient_id=ada.patient_id)
    assert {r["idempotency_key"] for r in creates} == {f"payment-{row.id}-intent"}
    intents = world.simulator_app.state.simulator.state.payment_intents
    assert len(intents) == 1
    assert await _balances([first, second]) == [("OPEN", 10000, 10000), ("OPEN", 25000, 2000)]

    # the same key for another payment is refused, and nothing changes
    other = await _pay(world, ada, _allocations((first, "10.00")))
    assert other["errors"] == [
        {
            "code": "IDEMPOTENCY_KEY_REUSED",
            "field": "idempotencyKey",
            "message": "This idempotency key was used for a different payment.",
        }
    ]


async def test_two_payments_racing_for_one_balance_cannot_both_hold_it(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    first = bills[0]

    answers = await asyncio.gather(
        *(_pay(world, ada, _allocations((first, "100.00")), key=f"race-{n}") for n in range(4))
    )

    codes = sorted(a["errors"][0]["code"] if a["errors"] else "OK" for a in answers)
    assert codes == ["AMOUNT_EXCEEDS_BALANCE"] * 3 + ["OK"]
    assert await _balances([first]) == [("OPEN", 10000, 10000)]
    assert await PaymentRow.all().count() == 1


@pytest.mark.parametrize(
    ("build", "code", "field"),
    [
        (
            lambda mine, other: _allocations((mine[0], "100.01")),
            "AMOUNT_EXCEEDS_BALANCE",
            "allocations.0.amount",
        ),
        (
            lambda mine, other: _allocations((mine[0], "0")),
            "INVALID_AMOUNT",
            "allocations.0.amount",
        ),
        (
            lambda mine, other: _allocations((mine[0], "-5.00")),
            "INVALID_AMOUNT",
            "allocations.0.amount",
        ),
        (
            lambda mine, other: _allocations((mine[0], "1.005")),
            "INVALID_AMOUNT",
            "allocations.0.amount",
        ),
        (lambda mine, other: _allocations((mine[0], "0.20")), "INVALID_AMOUNT", "allocations"),
        (
            lambda mine, other: _allocations((mine[0], "5.00"), (mine[0], "5.00")),
            "DUPLICATE_INVOICE",
            "allocations.1.invoiceId",
        ),
        (
            lambda mine, other: _allocations((mine[1], "5.00"), (other, "5.00")),
            "NOT_FOUND",
            "allocations.1.invoiceId",
        ),
        (lambda mine, other: [], "INVALID_INPUT", "allocations"),
    ],
)
async def test_bad_requests_are_refused_and_hold_nothing(
    world: StripeWorld,
    ada: PatientCaller,
    bills: list[InvoiceRow],
    build: Any,
    code: str,
    field: str,
) -> None:
    bob = await patient_caller("bob@example.org")
    bobs = await invoice(bob.patient_id, (await location("South")).id)

    payload = await _pay(world, ada, build(bills, bobs))

    assert payload["payment"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert await PaymentRow.all().count() == 0
    assert {row[2] for row in await _balances(bills)} == {0}
    assert [r for r in await world.requests() if r["path"] == "/v1/payment_intents"] == []


async def test_paid_void_and_other_currency_invoices_are_refused(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    first, second, _ = bills
    await record_offline_payment(first.id, 10000, PaymentChannel.CASH, None, actor_id=None)
    await InvoiceRow.filter(id=second.id).update(currency="CAD")

    paid = await _pay(world, ada, _allocations((first, "1.00")))
    mixed = await _pay(world, ada, _allocations((bills[2], "1.00"), (second, "1.00")), key="k2")

    assert [(e["code"], e["field"]) for e in paid["errors"]] == [
        ("INVOICE_NOT_PAYABLE", "allocations.0.invoiceId")
    ]
    assert [(e["code"], e["field"]) for e in mixed["errors"]] == [
        ("CURRENCY_MISMATCH", "allocations.1.invoiceId")
    ]


async def test_credit_balance_that_covers_everything_pays_without_stripe(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    first, second, third = bills
    # Ada overpaid the third invoice by check: $60.00 becomes her credit balance
    await record_offline_payment(third.id, 10000, PaymentChannel.CHECK, "1001", actor_id=None)
    assert await patient_credit_balance(ada.patient_id, "USD") == 6000

    payload = await _pay(world, ada, _allocations((first, "60.00")), useCreditBalance=True)

    assert payload["errors"] == []
    assert payload["payment"]["status"] == "SUCCEEDED"
    assert payload["payment"]["clientSecret"] is None
    assert await patient_credit_balance(ada.patient_id, "USD") == 0
    assert await _balances([first]) == [("PARTIALLY_PAID", 4000, 0)]
    assert [r for r in await world.requests() if r["path"] == "/v1/payment_intents"] == []
    row = await PaymentRow.get(id=int(relay.GlobalID.from_id(payload["payment"]["id"]).node_id))
    assert row.channel is PaymentChannel.CREDIT_BALANCE

    # and a payment bigger than the credit charges only the rest to the card
    await record_offline_payment(third.id, 2500, PaymentChannel.CASH, None, actor_id=None)
    mixed = await _pay(
        world, ada, _allocations((second, "100.00")), key="mixed", useCreditBalance=True
    )
    assert mixed["errors"] == []
    (create,) = [r for r in await world.requests() if r["path"] == "/v1/payment_intents"]
    assert create["params"]["amount"] == "7500"
    await _confirm(world, str(mixed["payment"]["clientSecret"]).split("_secret_")[0])
    assert await _balances([second]) == [("PARTIALLY_PAID", 15000, 0)]
    assert await patient_credit_balance(ada.patient_id, "USD") == 0


async def test_an_invoice_lowered_while_paying_turns_the_excess_into_credit(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    first = bills[0]
    intent_id = await _paid(world, ada, (first, "100.00"))
    await adjust_invoice(first.id, -3000, "Prompt-pay discount", actor_id=None)

    await _confirm(world, intent_id)

    assert await _balances([first]) == [("PAID", 0, 0)]
    assert await patient_credit_balance(ada.patient_id, "USD") == 3000


async def test_an_amount_stripe_did_not_match_is_flagged_not_applied(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    first = bills[0]
    intent_id = await _paid(world, ada, (first, "100.00"))
    payment = await PaymentRow.get(stripe_payment_intent_id=intent_id)
    event = {
        "id": "evt_wrong_amount",
        "object": "event",
        "created": int(time.time()),
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": intent_id,
                "object": "payment_intent",
                "amount": 1000,
                "amount_received": 1000,
                "currency": "usd",
                "metadata": {"payment_ref": str(payment.id)},
                "status": "succeeded",
            }
        },
    }

    answer = await _deliver(world, event)

    assert answer["result"] == "flagged"
    payment = await PaymentRow.get(id=payment.id)
    assert payment.status is PaymentStatus.PENDING
    assert payment.review_reason == "received 10.00 instead of 100.00 USD"
    assert await _balances([first]) == [("OPEN", 10000, 10000)]
    stored = await StripeEvent.get(event_id="evt_wrong_amount")
    assert stored.outcome == "FLAGGED"
    query = "query($id: ID!) { node(id: $id) { ... on Payment { status reviewReason } } }"
    payment_id = global_id("Payment", payment.id)
    staff = await staff_caller(Role.BILLING_STAFF)
    seen_by_staff = await gql(world.client, query, {"id": payment_id}, token=staff.token)
    seen_by_ada = await gql(world.client, query, {"id": payment_id}, token=ada.token)
    assert seen_by_staff["data"]["node"] == {
        "status": "PENDING",
        "reviewReason": "received 10.00 instead of 100.00 USD",
    }
    assert seen_by_ada["data"]["node"] == {"status": "PENDING", "reviewReason": None}
    flagged = await AuditEvent.filter(action="payment.flagged")
    assert [row.outcome for row in flagged] == ["FAILURE"]


async def test_nothing_identifying_reaches_stripe(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    first, second, _ = bills
    intent_id = await _paid(world, ada, (first, "100.00"), (second, "25.00"))
    await _confirm(world, intent_id)

    sent = orjson.dumps(await world.requests()).decode()
    rows = await InvoiceRow.filter(id__in=[first.id, second.id])
    for secret in [
        "ada@example.org",
        "Ada",
        "Dr. Adams",
        "Acme",
        "A4250",
        "Item 1",
        *(row.number for row in rows),
    ]:
        assert secret not in sent


async def test_stripe_out_of_reach_leaves_nothing_half_done(settings: Settings, db: None) -> None:
    closed = free_socket()
    dead_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    dead = settings_for_simulator(settings, dead_url)
    ada = await patient_caller("ada@example.org")
    first = await invoice(ada.patient_id, (await location()).id)
    transport = httpx.ASGITransport(app=build_app(dead))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            result = await gql(
                http,
                PAY_INVOICES,
                {
                    "input": {
                        "allocations": _allocations((first, "100.00")),
                        "idempotencyKey": "offline",
                    }
                },
                token=ada.token,
            )
    finally:
        await close_shared_gateway(dead)

    payload = result["data"]["payInvoices"]
    assert [e["code"] for e in payload["errors"]] == ["PAYMENT_PROVIDER_UNAVAILABLE"]
    assert await _balances([first]) == [("OPEN", 10000, 0)]
    payment = await PaymentRow.get(patient_id=ada.patient_id)
    assert payment.status is PaymentStatus.CANCELED
    assert payment.stripe_payment_intent_id is None
