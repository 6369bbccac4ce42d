"""Staff's payment worklist and the review of payments Stripe reported with another amount
or currency than asked: through the real Stripe SDK and the simulator, a payment is flagged
by a signed event, shows in payments(filter: {needsReview: true}), and resolvePaymentReview
applies it, keeps it as credit or refunds it, once, with who decided on record."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from billing.ledger.credits import patient_credit_balance
from billing.payments.use_cases import RESOLVE_PAYMENT_REVIEW
from config.settings import Settings
from models.audit import AuditEvent
from models.enums import (
    AllocationStatus,
    AuditOutcome,
    PaymentStatus,
    RefundStatus,
    ReviewResolution,
    Role,
)
from models.invoices import Invoice as InvoiceRow
from models.payments import Payment as PaymentRow
from models.payments import PaymentAllocation, Refund
from tests.support.factories.accounts import error_codes
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    invoice,
    location,
    staff_caller,
)
from tests.support.factories.office import office_operation, office_patient_caller
from tests.support.graphql_client import contract_operation, gql
from tests.support.stripe_fixture import SDK_DATA_WARNING, WEBHOOK_SECRET, StripeWorld, stripe_world
from webhooks.stripe import sign

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

PAY_INVOICES = contract_operation("PayInvoices")
STAFF_PAYMENTS = office_operation("StaffPayments")
RESOLVE = office_operation("ResolvePaymentReview")


@pytest.fixture
async def world(settings: Settings, db: None) -> AsyncIterator[StripeWorld]:
    async with stripe_world(settings) as running:
        yield running


@pytest.fixture
async def ada(db: None, settings: Settings) -> PatientCaller:
    return await office_patient_caller(settings, "ada@example.org")


@pytest.fixture
async def bills(ada: PatientCaller) -> list[InvoiceRow]:
    """Two open invoices of Ada's: $100.00 and $50.00."""
    place = await location()
    return [
        await invoice(ada.patient_id, place.id, prices_minor=(price,)) for price in (10000, 5000)
    ]


async def _pay(world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]) -> PaymentRow:
    """Ada pays both invoices in full with one card payment, still PENDING."""
    allocations = [
        {"invoiceId": global_id("Invoice", bills[0].id), "amount": "100.00"},
        {"invoiceId": global_id("Invoice", bills[1].id), "amount": "50.00"},
    ]
    variables = {"input": {"allocations": allocations, "idempotencyKey": "review-1"}}
    result = await gql(world.client, PAY_INVOICES, variables, token=ada.token)
    assert result["data"]["payInvoices"]["errors"] == [], result
    intent_id = str(result["data"]["payInvoices"]["payment"]["clientSecret"]).split("_secret_")[0]
    return await PaymentRow.get(stripe_payment_intent_id=intent_id)


async def _flag(
    world: StripeWorld, payment: PaymentRow, received: int, currency: str = "usd"
) -> None:
    """Stripe's signed word that the intent succeeded with ``received`` of ``currency``."""
    event = {
        "id": f"evt_review_{payment.id}_{received}_{currency}",
        "object": "event",
        "created": int(time.time()),
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": payment.stripe_payment_intent_id,
                "object": "payment_intent",
                "amount": received,
                "amount_received": received,
                "currency": currency,
                "metadata": {"payment_ref": str(payment.id)},
                "status": "succeeded",
            }
        },
    }
    body = orjson.dumps(event)
    signature = sign(body, WEBHOOK_SECRET.encode(), int(time.time()))
    response = await world.client.post(
        "/webhooks/stripe", content=body, headers={"Stripe-Signature": signature}
    )
    assert response.json()["result"] == "flagged"


async def _resolve(
    world: StripeWorld, token: str, payment: PaymentRow, resolution: str, note: str | None = None
) -> dict[str, Any]:
    variables = {
        "input": {
            "paymentId": global_id("Payment", payment.id),
            "resolution": resolution,
            "note": note,
        }
    }
    body = await gql(world.client, RESOLVE, variables, token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["resolvePaymentReview"]
    return payload


async def _review_list(world: StripeWorld, token: str) -> list[str]:
    body = await gql(world.client, STAFF_PAYMENTS, {"filter": {"needsReview": True}}, token)
    assert "errors" not in body, body
    return [edge["node"]["id"] for edge in body["data"]["payments"]["edges"]]


async def _balances(bills: list[InvoiceRow]) -> list[tuple[str, int, int]]:
    rows = [await InvoiceRow.get(id=bill.id) for bill in bills]
    return [(row.status.value, row.balance_minor, row.reserved_minor) for row in rows]


async def test_a_flagged_payment_is_on_the_review_list_for_staff(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    payment = await _pay(world, ada, bills)
    await _flag(world, payment, 12000)
    clerk = await staff_caller(Role.BILLING_STAFF)

    body = await gql(world.client, STAFF_PAYMENTS, {"filter": {"needsReview": True}}, clerk.token)

    [edge] = body["data"]["payments"]["edges"]
    assert edge["node"] == {
        "id": global_id("Payment", payment.id),
        "status": "PENDING",
        "channel": "CARD",
        "amount": {"amount": "150.00", "currency": "USD"},
        "refunded": {"amount": "0.00", "currency": "USD"},
        "disputed": False,
        "reviewReason": "received 120.00 instead of 150.00 USD",
        "createdAt": edge["node"]["createdAt"],
        "patient": {"id": global_id("Patient", ada.patient_id), "displayName": "Ada L."},
    }
    assert body["data"]["payments"]["totalCount"] == 1


async def test_apply_pays_the_invoices_as_far_as_the_money_goes(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    payment = await _pay(world, ada, bills)
    await _flag(world, payment, 12000)
    clerk = await staff_caller(Role.BILLING_STAFF)

    payload = await _resolve(world, clerk.token, payment, "APPLY", "Patient paid the rest by phone")

    assert payload == {
        "payment": {
            "id": global_id("Payment", payment.id),
            "status": "SUCCEEDED",
            "reviewReason": None,
        },
        "errors": [],
    }
    # 120.00 received: the first invoice paid, 20.00 of the second; no holds left.
    assert await _balances(bills) == [("PAID", 0, 0), ("PARTIALLY_PAID", 3000, 0)]
    stored = await PaymentRow.get(id=payment.id)
    assert (stored.amount_minor, stored.review_resolution, stored.reviewed_by_id) == (
        12000,
        ReviewResolution.APPLY,
        clerk.user_id,
    )
    assert stored.review_note == "Patient paid the rest by phone"
    assert await _review_list(world, clerk.token) == []


async def test_apply_of_more_than_asked_keeps_the_excess_as_credit(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    payment = await _pay(world, ada, bills)
    await _flag(world, payment, 16000)
    clerk = await staff_caller(Role.ADMIN)

    await _resolve(world, clerk.token, payment, "APPLY")

    assert await _balances(bills) == [("PAID", 0, 0), ("PAID", 0, 0)]
    assert await patient_credit_balance(ada.patient_id, "USD") == 1000
    assert (await PaymentRow.get(id=payment.id)).amount_minor == 16000


async def test_apply_is_refused_for_money_in_another_currency(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    payment = await _pay(world, ada, bills)
    await _flag(world, payment, 15000, "eur")
    clerk = await staff_caller(Role.BILLING_STAFF)

    payload = await _resolve(world, clerk.token, payment, "APPLY")

    assert payload["payment"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("CURRENCY_MISMATCH", "resolution")
    ]
    assert await _review_list(world, clerk.token) == [global_id("Payment", payment.id)]
    assert await _balances(bills) == [("OPEN", 10000, 10000), ("OPEN", 5000, 5000)]


async def test_apply_as_credit_frees_the_invoices_and_credits_what_arrived(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    payment = await _pay(world, ada, bills)
    await _flag(world, payment, 15000, "eur")
    clerk = await staff_caller(Role.BILLING_STAFF)

    payload = await _resolve(world, clerk.token, payment, "APPLY_AS_CREDIT")

    assert payload["payment"]["status"] == "SUCCEEDED"
    assert await _balances(bills) == [("OPEN", 10000, 0), ("OPEN", 5000, 0)]
    assert await patient_credit_balance(ada.patient_id, "EUR") == 15000
    assert await patient_credit_balance(ada.patient_id, "USD") == 0
    allocations = await PaymentAllocation.filter(payment_id=payment.id)
    assert {row.status for row in allocations} == {AllocationStatus.RELEASED}


async def test_refund_sends_everything_back_through_stripe(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow], monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = await _pay(world, ada, bills)
    # The card is charged at Stripe, but its own success event is lost on the way; the
    # one that arrives reports another amount.
    dispatcher = world.simulator_app.state.simulator.webhooks
    with monkeypatch.context() as patched:
        patched.setattr(dispatcher, "emit", lambda *args, **kwargs: {})
        await world.sdk.v1.payment_intents.confirm_async(
            str(payment.stripe_payment_intent_id), params={"payment_method": "pm_card_visa"}
        )
    await _flag(world, payment, 14000)
    clerk = await staff_caller(Role.BILLING_STAFF)

    payload = await _resolve(world, clerk.token, payment, "REFUND", "Wrong amount charged")
    await world.deliveries_done()

    assert payload["errors"] == []
    [refund] = await Refund.filter(payment_id=payment.id)
    assert (refund.status, refund.amount_minor, refund.reason) == (
        RefundStatus.SUCCEEDED,
        14000,
        "Wrong amount charged",
    )
    asked = [
        r for r in await world.requests() if r["path"] == "/v1/refunds" and r["method"] == "POST"
    ]
    assert len(asked) == 1
    assert "Wrong amount" not in orjson.dumps(asked).decode()
    stored = await PaymentRow.get(id=payment.id)
    assert stored.status is PaymentStatus.REFUNDED
    assert await patient_credit_balance(ada.patient_id, "USD") == 0
    assert await _balances(bills) == [("OPEN", 10000, 0), ("OPEN", 5000, 0)]


async def test_two_staff_deciding_at_once_decide_once(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    payment = await _pay(world, ada, bills)
    await _flag(world, payment, 15000, "eur")
    first, second = await staff_caller(Role.BILLING_STAFF), await staff_caller(Role.ADMIN)

    answers = await asyncio.gather(
        _resolve(world, first.token, payment, "APPLY_AS_CREDIT"),
        _resolve(world, second.token, payment, "APPLY_AS_CREDIT"),
    )

    codes = sorted(e["code"] for answer in answers for e in answer["errors"])
    assert codes == ["CONFLICT"]
    assert await patient_credit_balance(ada.patient_id, "EUR") == 15000
    decided = await AuditEvent.filter(
        action=RESOLVE_PAYMENT_REVIEW.name, outcome=AuditOutcome.SUCCESS
    )
    assert len(decided) == 1
    assert decided[0].reference == "APPLY_AS_CREDIT"
    assert decided[0].patient_id == ada.patient_id


async def test_a_payment_without_a_flag_is_a_conflict(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    payment = await _pay(world, ada, bills)
    clerk = await staff_caller(Role.BILLING_STAFF)

    payload = await _resolve(world, clerk.token, payment, "REFUND")
    missing = await gql(
        world.client,
        RESOLVE,
        {"input": {"paymentId": global_id("Payment", 987654), "resolution": "APPLY"}},
        clerk.token,
    )

    assert [e["code"] for e in payload["errors"]] == ["CONFLICT"]
    assert [e["code"] for e in missing["data"]["resolvePaymentReview"]["errors"]] == ["NOT_FOUND"]
    assert await Refund.filter(payment_id=payment.id).count() == 0


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.AUDITOR, Role.PATIENT])
async def test_only_staff_who_record_payments_and_refunds_may_decide(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow], role: Role
) -> None:
    payment = await _pay(world, ada, bills)
    await _flag(world, payment, 12000)
    caller = await staff_caller(role)

    body = await gql(
        world.client,
        RESOLVE,
        {"input": {"paymentId": global_id("Payment", payment.id), "resolution": "APPLY"}},
        caller.token,
    )
    own = await gql(
        world.client,
        RESOLVE,
        {"input": {"paymentId": global_id("Payment", payment.id), "resolution": "REFUND"}},
        ada.token,
    )

    assert error_codes(body) == error_codes(own) == ["FORBIDDEN"]
    assert (await PaymentRow.get(id=payment.id)).review_reason is not None


async def test_a_later_matching_event_takes_the_payment_off_the_review_list(
    world: StripeWorld, ada: PatientCaller, bills: list[InvoiceRow]
) -> None:
    payment = await _pay(world, ada, bills)
    await _flag(world, payment, 12000)

    await world.sdk.v1.payment_intents.confirm_async(
        str(payment.stripe_payment_intent_id), params={"payment_method": "pm_card_visa"}
    )
    await world.deliveries_done()

    clerk = await staff_caller(Role.BILLING_STAFF)
    assert await _review_list(world, clerk.token) == []
    assert await _balances(bills) == [("PAID", 0, 0), ("PAID", 0, 0)]
    payload = await _resolve(world, clerk.token, payment, "REFUND")
    assert [e["code"] for e in payload["errors"]] == ["CONFLICT"]
