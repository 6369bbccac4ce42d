"""Off-session 3-D Secure, through the real SDK and the simulator: an installment charged to a
saved card whose bank wants the card holder is not a failure: it waits
(NEEDS_AUTHENTICATION) without spending a retry or being charged again, the patient is told
(without PHI) to open the app, and the app completes it with the client secret that
myPaymentPlans gives; then the installment is paid."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest

from billing.audit.chain import audit_chain_key
from billing.gateways.stripe import stripe_gateway
from billing.invoices.reads import patient_today
from billing.plans.scheduler import ChargeOutcome, ChargeReport, charge_due_installments
from config.settings import Settings
from models.enums import InstallmentStatus, PaymentStatus, Role
from models.notifications import Notification, NotificationKind
from models.patients import Patient
from models.payments import Payment
from models.payments import PaymentMethod as PaymentMethodRow
from tests.support.factories.invoices import (
    PatientCaller,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.factories.plans import installment_rows, plan
from tests.support.graphql_client import contract_operation, gql
from tests.support.stripe_fixture import SDK_DATA_WARNING, StripeWorld, stripe_world

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

START_SAVING_CARD = contract_operation("StartSavingCard")
MY_PLANS = """
query MyPaymentPlans {
  myPaymentPlans {
    id
    status
    nextInstallment { id status dueOn clientSecret amount { amount currency } }
  }
}
"""
ALWAYS_AUTHENTICATE = "pm_card_authenticationRequired"


@pytest.fixture
async def world(settings: Settings, db: None) -> AsyncIterator[StripeWorld]:
    async with stripe_world(settings) as running:
        yield running


@pytest.fixture
async def ada(db: None) -> PatientCaller:
    caller = await patient_caller("ada@example.org")
    await Patient.filter(id=caller.patient_id).update(email_ct="ct:gro.elpmaxe@ada")
    return caller


async def _save_authenticating_card(world: StripeWorld, ada: PatientCaller) -> PaymentMethodRow:
    """The phone saves a card that needs 3-D Secure: the setup asks, the holder answers."""
    result = await gql(world.client, START_SAVING_CARD, token=ada.token)
    setup_id = result["data"]["startSavingCard"]["clientSecret"].split("_secret_")[0]
    setup = await world.sdk.v1.setup_intents.confirm_async(
        setup_id, params={"payment_method": ALWAYS_AUTHENTICATE}
    )
    assert setup.status == "requires_action"
    answered = await world.control.post(f"/_sim/setup_intents/{setup_id}/authenticate")
    assert answered.status_code == 200, answered.text
    await world.deliveries_done()
    card = await PaymentMethodRow.filter(patient_id=ada.patient_id).first()
    assert card is not None, "setup_intent.succeeded saved no card"
    return card


async def _run(world: StripeWorld, today: date) -> ChargeReport:
    report = await charge_due_installments(
        stripe_gateway(world.settings),
        audit_key=audit_chain_key(world.settings.secret_key.reveal()),
        today=today,
    )
    await world.deliveries_done()
    return report


async def _my_plan(world: StripeWorld, ada: PatientCaller) -> dict[str, Any]:
    body = await gql(world.client, MY_PLANS, token=ada.token)
    assert "errors" not in body, body
    [mine] = body["data"]["myPaymentPlans"]
    result: dict[str, Any] = mine
    return result


async def _intent_creations(world: StripeWorld) -> int:
    return len(
        [
            r
            for r in await world.requests()
            if r["path"] == "/v1/payment_intents" and r["method"] == "POST"
        ]
    )


async def test_an_installment_needing_the_card_holder_waits_for_the_app_then_is_paid(
    world: StripeWorld, ada: PatientCaller
) -> None:
    # given a $200 plan at $100 a month on a card whose bank always asks for the holder
    card = await _save_authenticating_card(world, ada)
    bill = await invoice(ada.patient_id, (await location()).id, prices_minor=(20_000,))
    plan_id = (await plan(ada.patient_id, [bill.id], "100", card_id=card.id)).id
    today = await patient_today(ada.patient_id)
    first = (await installment_rows(plan_id))[0]

    # when the scheduler charges it off-session, and runs again on the next retry days
    report = await _run(world, today)
    later = [await _run(world, today + timedelta(days=days)) for days in (3, 7, 14)]

    # then it waits for the patient: no failure, no retry, one charge attempt at Stripe
    assert report.outcomes == {first.id: ChargeOutcome.NEEDS_AUTHENTICATION}
    assert [run.outcomes for run in later] == [{}, {}, {}]
    assert await _intent_creations(world) == 1
    waiting = (await installment_rows(plan_id))[0]
    assert (waiting.status, waiting.failures) == (InstallmentStatus.NEEDS_AUTHENTICATION, 0)
    [payment] = await Payment.filter(installment_id=first.id)
    assert payment.status is PaymentStatus.REQUIRES_ACTION
    # and she is told once, in words that carry nothing of her bill
    [notice] = await Notification.filter(
        patient_id=ada.patient_id, kind=NotificationKind.INSTALLMENT_NEEDS_AUTHENTICATION
    )
    assert notice.channel == "EMAIL"

    # when her app reads the client secret and completes the payment with 3-D Secure
    mine = await _my_plan(world, ada)
    next_up = mine["nextInstallment"]
    assert next_up["status"] == "NEEDS_AUTHENTICATION"
    intent_id = next_up["clientSecret"].split("_secret_")[0]
    assert intent_id == payment.stripe_payment_intent_id
    confirmed = await world.sdk.v1.payment_intents.confirm_async(
        intent_id, params={"payment_method": card.stripe_payment_method_id}
    )
    assert confirmed.status == "requires_action"
    answered = await world.control.post(f"/_sim/payment_intents/{intent_id}/authenticate")
    assert answered.status_code == 200, answered.text
    await world.deliveries_done()

    # then the installment is paid and the plan moves on to the next one
    rows = await installment_rows(plan_id)
    assert [row.status for row in rows] == [InstallmentStatus.PAID, InstallmentStatus.SCHEDULED]
    assert (await Payment.get(id=payment.id)).status is PaymentStatus.SUCCEEDED
    assert (await _my_plan(world, ada))["nextInstallment"]["clientSecret"] is None


async def test_only_the_patient_gets_the_client_secret(
    world: StripeWorld, ada: PatientCaller
) -> None:
    card = await _save_authenticating_card(world, ada)
    bill = await invoice(ada.patient_id, (await location()).id, prices_minor=(20_000,))
    await plan(ada.patient_id, [bill.id], "100", card_id=card.id)
    await _run(world, await patient_today(ada.patient_id))
    grace = await patient_caller("grace@example.org")
    clerk = await staff_caller(Role.BILLING_STAFF)
    query = """
    query Plan($id: ID!) {
      node(id: $id) { ... on PaymentPlan { nextInstallment { status clientSecret } } }
    }
    """
    plan_gid = (await _my_plan(world, ada))["id"]

    hers = await gql(world.client, query, {"id": plan_gid}, token=ada.token)
    staff = await gql(world.client, query, {"id": plan_gid}, token=clerk.token)
    others = await gql(world.client, query, {"id": plan_gid}, token=grace.token)

    assert hers["data"]["node"]["nextInstallment"]["clientSecret"].startswith("pi_")
    assert staff["data"]["node"]["nextInstallment"] == {
        "status": "NEEDS_AUTHENTICATION",
        "clientSecret": None,
    }
    assert others["data"]["node"] is None
