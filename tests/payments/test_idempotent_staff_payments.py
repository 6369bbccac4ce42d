"""Staff money operations on payments with an idempotency key: a resubmitted
recordOfflinePayment books one payment, a retried refundPayment asks Stripe once (through
the real SDK and the simulator) and the ledger follows once; a refund Stripe could not take
leaves its key free for the retry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import build_app
from billing.gateways.stripe import stripe_gateway
from config.settings import Settings
from models.enums import LedgerEntryKind, PaymentStatus, RefundStatus, Role
from models.invoices import Invoice as InvoiceRow
from models.ledger import LedgerEntry
from models.payments import Payment as PaymentRow
from models.payments import Refund as RefundRow
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
from tests.support.stripe_fixture import (
    SDK_DATA_WARNING,
    StripeWorld,
    free_socket,
    settings_for_simulator,
    stripe_world,
)

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

PAY_INVOICES = contract_operation("PayInvoices")
REFUND_PAYMENT = contract_operation("RefundPayment")
RECORD_OFFLINE_PAYMENT = contract_operation("RecordOfflinePayment")


@pytest.fixture
async def world(settings: Settings, db: None) -> AsyncIterator[StripeWorld]:
    async with stripe_world(settings) as running:
        yield running


@pytest.fixture
async def ada(db: None) -> PatientCaller:
    return await patient_caller("ada@example.org")


@pytest.fixture
async def clerk(db: None) -> Caller:
    return await staff_caller(Role.BILLING_STAFF)


@pytest.fixture
async def bill(ada: PatientCaller) -> InvoiceRow:
    place = await location()
    return await invoice(ada.patient_id, place.id, prices_minor=(10000,))


async def _payload(world: StripeWorld, document: str, fields: dict[str, Any], token: str) -> Any:
    body = await gql(world.client, document, {"input": fields}, token)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def _card_payment(world: StripeWorld, ada: PatientCaller, bill: InvoiceRow) -> PaymentRow:
    fields = {
        "allocations": [{"invoiceId": global_id("Invoice", bill.id), "amount": "100.00"}],
        "idempotencyKey": "pay-1",
    }
    started = await _payload(world, PAY_INVOICES, fields, ada.token)
    intent_id = started["payment"]["clientSecret"].split("_secret_")[0]
    await world.sdk.v1.payment_intents.confirm_async(
        intent_id, params={"payment_method": "pm_card_visa"}
    )
    await world.deliveries_done()
    payment = await PaymentRow.get(stripe_payment_intent_id=intent_id)
    assert payment.status is PaymentStatus.SUCCEEDED
    return payment


def _refund(payment: PaymentRow, amount: str, key: str | None) -> dict[str, Any]:
    return {
        "paymentId": global_id("Payment", payment.id),
        "amount": amount,
        "reason": "Charged twice for one visit",
        "idempotencyKey": key,
    }


async def _stripe_refund_requests(world: StripeWorld) -> list[dict[str, Any]]:
    return [
        r for r in await world.requests() if r["path"] == "/v1/refunds" and r["method"] == "POST"
    ]


async def test_a_resubmitted_check_is_one_payment(
    world: StripeWorld, clerk: Caller, bill: InvoiceRow
) -> None:
    fields = {
        "invoiceId": global_id("Invoice", bill.id),
        "amount": "40.00",
        "method": "CHECK",
        "reference": "Check 1042",
        "idempotencyKey": "check-1042",
    }

    first = await _payload(world, RECORD_OFFLINE_PAYMENT, fields, clerk.token)
    again = await _payload(world, RECORD_OFFLINE_PAYMENT, fields, clerk.token)

    assert first["errors"] == []
    assert again == first
    assert await PaymentRow.all().count() == 1
    fresh = await InvoiceRow.get(id=bill.id)
    assert fresh.balance_minor == 6000


async def test_a_retried_refund_asks_stripe_once_and_books_once(
    world: StripeWorld, ada: PatientCaller, clerk: Caller, bill: InvoiceRow
) -> None:
    payment = await _card_payment(world, ada, bill)

    first = await _payload(
        world, REFUND_PAYMENT, _refund(payment, "30.00", "refund-7"), clerk.token
    )
    await world.deliveries_done()
    again = await _payload(
        world, REFUND_PAYMENT, _refund(payment, "30.00", "refund-7"), clerk.token
    )
    await world.deliveries_done()

    assert first["errors"] == []
    assert again["errors"] == []
    assert again["refund"]["id"] == first["refund"]["id"]
    assert len(await _stripe_refund_requests(world)) == 1
    [refund] = await RefundRow.filter(payment_id=payment.id)
    assert refund.status is RefundStatus.SUCCEEDED
    booked = await LedgerEntry.filter(invoice_id=bill.id, kind=LedgerEntryKind.REFUND).count()
    assert booked == 1
    assert (await InvoiceRow.get(id=bill.id)).balance_minor == 3000


async def test_the_same_refund_key_for_another_amount_is_refused(
    world: StripeWorld, ada: PatientCaller, clerk: Caller, bill: InvoiceRow
) -> None:
    payment = await _card_payment(world, ada, bill)
    await _payload(world, REFUND_PAYMENT, _refund(payment, "30.00", "refund-8"), clerk.token)

    reused = await _payload(
        world, REFUND_PAYMENT, _refund(payment, "31.00", "refund-8"), clerk.token
    )

    assert [e["code"] for e in reused["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert len(await _stripe_refund_requests(world)) == 1


async def test_a_refund_stripe_could_not_take_leaves_its_key_for_the_retry(
    world: StripeWorld, ada: PatientCaller, clerk: Caller, bill: InvoiceRow
) -> None:
    payment = await _card_payment(world, ada, bill)
    closed = free_socket()
    dead = settings_for_simulator(world.settings, f"http://127.0.0.1:{closed.getsockname()[1]}")
    closed.close()
    transport = httpx.ASGITransport(app=build_app(dead))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            body = await gql(
                http, REFUND_PAYMENT, {"input": _refund(payment, "30.00", "refund-9")}, clerk.token
            )
    finally:
        # Only this gateway: the world's own stays cached and open for the retry.
        await stripe_gateway(dead).close()
    failed = body["data"]["refundPayment"]

    retried = await _payload(
        world, REFUND_PAYMENT, _refund(payment, "30.00", "refund-9"), clerk.token
    )
    await world.deliveries_done()

    assert [e["code"] for e in failed["errors"]] == ["PAYMENT_PROVIDER_UNAVAILABLE"]
    assert retried["errors"] == []
    refunds = await RefundRow.filter(payment_id=payment.id).order_by("id")
    assert [refund.status for refund in refunds] == [RefundStatus.FAILED, RefundStatus.SUCCEEDED]
    assert (await InvoiceRow.get(id=bill.id)).balance_minor == 3000
