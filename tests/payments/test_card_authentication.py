"""3-D Secure on-session, through the real SDK and the simulator: a card that needs its
holder to authenticate leaves the payment REQUIRES_ACTION (the invoices stay held); the
app's authentication completes it, or a failed one gives the holds back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from config.settings import Settings
from models.invoices import Invoice as InvoiceRow
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
)
from tests.support.graphql_client import contract_operation, gql
from tests.support.stripe_fixture import SDK_DATA_WARNING, StripeWorld, stripe_world

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

PAY_INVOICES = contract_operation("PayInvoices")
PAYMENT_STATUS = contract_operation("PaymentStatus")
AUTHENTICATING_CARD = "pm_card_authenticationRequired"


@pytest.fixture
async def world(settings: Settings, db: None) -> AsyncIterator[StripeWorld]:
    async with stripe_world(settings) as running:
        yield running


@pytest.fixture
async def ada(db: None) -> PatientCaller:
    return await patient_caller("ada@example.org")


@pytest.fixture
async def bill(ada: PatientCaller) -> InvoiceRow:
    return await invoice(ada.patient_id, (await location()).id, prices_minor=(12_000,))


async def _start_and_confirm(
    world: StripeWorld, ada: PatientCaller, bill: InvoiceRow
) -> tuple[str, str]:
    """payInvoices, then the app confirms with a card that needs 3-D Secure; the payment's
    id and its intent's."""
    started = await gql(
        world.client,
        PAY_INVOICES,
        {
            "input": {
                "allocations": [{"invoiceId": global_id("Invoice", bill.id), "amount": "120.00"}],
                "idempotencyKey": "pay-3ds",
            }
        },
        token=ada.token,
    )
    payment = started["data"]["payInvoices"]["payment"]
    intent_id = payment["clientSecret"].split("_secret_")[0]
    confirmed = await world.sdk.v1.payment_intents.confirm_async(
        intent_id, params={"payment_method": AUTHENTICATING_CARD}
    )
    assert confirmed.status == "requires_action"
    await world.deliveries_done()
    return payment["id"], intent_id


async def _status(world: StripeWorld, ada: PatientCaller, payment_id: str) -> dict[str, Any]:
    body = await gql(world.client, PAYMENT_STATUS, {"id": payment_id}, token=ada.token)
    assert "errors" not in body, body
    node: dict[str, Any] = body["data"]["node"]
    return node


async def _authenticate(world: StripeWorld, intent_id: str, outcome: str) -> None:
    response = await world.control.post(
        f"/_sim/payment_intents/{intent_id}/authenticate", data={"outcome": outcome}
    )
    assert response.status_code == 200, response.text
    await world.deliveries_done()


async def test_a_payment_waits_for_3d_secure_with_the_invoice_held(
    world: StripeWorld, ada: PatientCaller, bill: InvoiceRow
) -> None:
    payment_id, _intent_id = await _start_and_confirm(world, ada, bill)

    waiting = await _status(world, ada, payment_id)

    assert waiting["status"] == "REQUIRES_ACTION"
    assert waiting["allocations"][0]["invoice"]["status"] == "OPEN"
    held = await InvoiceRow.get(id=bill.id)
    assert (held.balance_minor, held.reserved_minor) == (12_000, 12_000)


async def test_the_card_holder_authenticates_and_the_invoice_is_paid(
    world: StripeWorld, ada: PatientCaller, bill: InvoiceRow
) -> None:
    payment_id, intent_id = await _start_and_confirm(world, ada, bill)

    await _authenticate(world, intent_id, "succeeded")

    done = await _status(world, ada, payment_id)
    assert done["status"] == "SUCCEEDED"
    assert done["allocations"][0]["invoice"]["status"] == "PAID"
    paid = await InvoiceRow.get(id=bill.id)
    assert (paid.balance_minor, paid.reserved_minor) == (0, 0)


async def test_a_failed_authentication_gives_the_holds_back(
    world: StripeWorld, ada: PatientCaller, bill: InvoiceRow
) -> None:
    payment_id, intent_id = await _start_and_confirm(world, ada, bill)

    await _authenticate(world, intent_id, "failed")

    failed = await _status(world, ada, payment_id)
    assert failed["status"] == "FAILED"
    assert failed["failureMessage"]
    reopened = await InvoiceRow.get(id=bill.id)
    assert (reopened.status, reopened.balance_minor, reopened.reserved_minor) == (
        "OPEN",
        12_000,
        0,
    )
