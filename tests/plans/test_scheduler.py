"""The installment scheduler against the Stripe simulator, through the real SDK: a due
installment is charged off-session once however often (and from however many processes)
the scheduler runs, its outcome arrives by webhook, declines retry 3, 7 and 14 days after
the due date and then default the plan, and a new default card retries at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from billing.audit.chain import audit_chain_key
from billing.gateways.stripe import StripeGateway, stripe_gateway
from billing.invoices.reads import patient_today
from billing.payments.card import AllocationRequest, open_card_payment
from billing.plans.installment_outcomes import retry_failed_installments
from billing.plans.quotes import add_months
from billing.plans.scheduler import ChargeOutcome, ChargeReport, charge_due_installments
from config.settings import Settings
from models.audit import AuditEvent
from models.enums import InstallmentStatus, PaymentPlanStatus, PaymentStatus
from models.invoices import Invoice
from models.notifications import Notification, NotificationKind
from models.patients import Patient
from models.payments import Payment
from models.payments import PaymentMethod as PaymentMethodRow
from models.plans import Installment, PaymentPlan, PaymentPlanInvoice
from tests.support.cli_process import billing_process
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
)
from tests.support.factories.plans import installment_rows, plan
from tests.support.graphql_client import contract_operation, gql
from tests.support.stripe_fixture import (
    API_KEY,
    SDK_DATA_WARNING,
    WEBHOOK_SECRET,
    StripeWorld,
    stripe_world,
)

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

START_SAVING_CARD = contract_operation("StartSavingCard")
REMOVE_PAYMENT_METHOD = contract_operation("RemovePaymentMethod")
DECLINING_CARD = "pm_card_chargeCustomerFail"


@pytest.fixture
async def world(settings: Settings, db: None) -> AsyncIterator[StripeWorld]:
    async with stripe_world(settings) as running:
        yield running


@pytest.fixture
async def ada(db: None) -> PatientCaller:
    caller = await patient_caller("ada@example.org")
    # An address on file (its ciphertext is never read here), so she can be told things.
    await Patient.filter(id=caller.patient_id).update(email_ct="ct:gro.elpmaxe@ada")
    return caller


async def _save_card(world: StripeWorld, caller: PatientCaller, card: str) -> PaymentMethodRow:
    """What the phone does to save a card, then Stripe's setup_intent.succeeded."""
    result = await gql(world.client, START_SAVING_CARD, token=caller.token)
    secret = result["data"]["startSavingCard"]["clientSecret"]
    await world.sdk.v1.setup_intents.confirm_async(
        secret.split("_secret_")[0], params={"payment_method": card}
    )
    await world.deliveries_done()
    saved = await PaymentMethodRow.filter(patient_id=caller.patient_id).order_by("-id").first()
    assert saved is not None, "Stripe's setup_intent.succeeded saved no card"
    return saved


def _gateway(world: StripeWorld) -> StripeGateway:
    return stripe_gateway(world.settings)


async def _run(world: StripeWorld, today: date) -> ChargeReport:
    report = await charge_due_installments(
        _gateway(world), audit_key=audit_chain_key(world.settings.secret_key.reveal()), today=today
    )
    await world.deliveries_done()
    return report


async def _intent_requests(world: StripeWorld) -> list[dict[str, Any]]:
    return [
        r
        for r in await world.requests()
        if r["path"] == "/v1/payment_intents" and r["method"] == "POST"
    ]


async def _plan_of(caller: PatientCaller, card: PaymentMethodRow, prices: tuple[int, ...]) -> int:
    bill = await invoice(caller.patient_id, (await location()).id, prices_minor=prices)
    row = await plan(caller.patient_id, [bill.id], "100", card_id=card.id)
    return int(row.id)


async def test_running_the_scheduler_again_charges_a_due_installment_once(
    world: StripeWorld, ada: PatientCaller
) -> None:
    # given a $300 plan at $100 a month, the first installment due today
    card = await _save_card(world, ada, "pm_card_visa")
    plan_id = await _plan_of(ada, card, (30_000,))
    today = await patient_today(ada.patient_id)
    first = (await installment_rows(plan_id))[0]

    # when the scheduler runs, again, and then twice at the same time
    once = await _run(world, today)
    again = await _run(world, today)
    together = await asyncio.gather(_run(world, today), _run(world, today))

    # then the installment was charged by the first run only, once, off-session
    assert once.outcomes == {first.id: ChargeOutcome.CHARGED}
    assert again.outcomes == {}
    assert [run.outcomes for run in together] == [{}, {}]
    [payment] = await Payment.filter(installment_id=first.id)
    assert payment.idempotency_key == f"installment-{first.id}-attempt-1"
    assert payment.payment_method_id == card.id
    [intent] = await _intent_requests(world)
    assert intent["idempotency_key"] == f"payment-{payment.id}-intent"
    assert intent["params"]["off_session"] == "true"
    assert intent["params"]["metadata"] == {"payment_ref": str(payment.id)}
    # and Stripe's webhook settled it like any payment
    rows = await installment_rows(plan_id)
    assert [r.status for r in rows] == [
        InstallmentStatus.PAID,
        InstallmentStatus.SCHEDULED,
        InstallmentStatus.SCHEDULED,
    ]
    assert (await Payment.get(id=payment.id)).status is PaymentStatus.SUCCEEDED
    bill = await Invoice.get(id=await _covered_invoice(plan_id))
    assert bill.balance_minor == 20_000
    charged = await AuditEvent.get(action="installment.charge")
    assert (charged.actor_role, charged.resource_id, charged.reference) == (
        "scheduler",
        str(first.id),
        str(payment.id),
    )


async def test_two_scheduler_processes_at_once_charge_an_installment_once(
    world: StripeWorld, ada: PatientCaller, database_url: str
) -> None:
    card = await _save_card(world, ada, "pm_card_visa")
    plan_id = await _plan_of(ada, card, (30_000,))
    today = await patient_today(ada.patient_id)
    first = (await installment_rows(plan_id))[0]

    results = await asyncio.gather(
        _scheduler_process(world, database_url, today),
        _scheduler_process(world, database_url, today),
    )
    await world.deliveries_done()

    assert [code for code, _ in results] == [0, 0], results
    summaries = sorted(output for _, output in results)
    assert "0 charged" in summaries[0], summaries
    assert "1 charged" in summaries[1], summaries
    assert await Payment.filter(installment_id=first.id).count() == 1
    assert len(await _intent_requests(world)) == 1
    assert (await Installment.get(id=first.id)).status is InstallmentStatus.PAID


async def test_declines_retry_after_3_7_and_14_days_then_the_plan_defaults(
    world: StripeWorld, ada: PatientCaller
) -> None:
    # given a plan charged to a card the bank always declines
    card = await _save_card(world, ada, DECLINING_CARD)
    plan_id = await _plan_of(ada, card, (30_000,))
    due = await patient_today(ada.patient_id)
    first = (await installment_rows(plan_id))[0]

    # when the scheduler runs every day for three weeks
    tried: dict[date, ChargeOutcome] = {}
    for offset in range(22):
        report = await _run(world, due + timedelta(days=offset))
        tried.update({due + timedelta(days=offset): o for o in report.outcomes.values()})

    # then it tried on the due date and 3, 7 and 14 days after, and then gave up
    assert tried == {due + timedelta(days=d): ChargeOutcome.DECLINED for d in (0, 3, 7, 14)}
    ended = await PaymentPlan.get(id=plan_id)
    assert ended.status is PaymentPlanStatus.DEFAULTED
    rows = await installment_rows(plan_id)
    assert (rows[0].status, rows[0].failures, rows[0].attempts) == (InstallmentStatus.FAILED, 4, 4)
    # the installments not yet due are kept: together they are the amount in default
    assert [r.status for r in rows[1:]] == [InstallmentStatus.SCHEDULED] * 2
    payments = await Payment.filter(installment_id=first.id).order_by("id")
    assert [p.status for p in payments] == [PaymentStatus.FAILED] * 4
    assert [p.idempotency_key for p in payments] == [
        f"installment-{first.id}-attempt-{n}" for n in (1, 2, 3, 4)
    ]
    assert len(await _intent_requests(world)) == 4
    # and each failure was told to the patient once
    told = await Notification.filter(kind=NotificationKind.INSTALLMENT_FAILED).order_by("id")
    assert [n.dedupe_key for n in told] == [
        f"INSTALLMENT_FAILED:patient-{ada.patient_id}:installment-{first.id}-failure-{n}:EMAIL"
        for n in (1, 2, 3, 4)
    ]


async def test_a_retry_waits_its_day_between_attempts(
    world: StripeWorld, ada: PatientCaller
) -> None:
    card = await _save_card(world, ada, DECLINING_CARD)
    plan_id = await _plan_of(ada, card, (30_000,))
    due = await patient_today(ada.patient_id)

    # the scheduler ran late, 5 days after the due date: the 3-day retry is already past
    await _run(world, due + timedelta(days=5))

    first = (await installment_rows(plan_id))[0]
    assert first.status is InstallmentStatus.FAILED
    assert first.next_attempt_on == due + timedelta(days=6)
    assert (await _run(world, due + timedelta(days=5))).outcomes == {}


async def test_a_new_default_card_retries_a_failed_installment_at_once(
    world: StripeWorld, ada: PatientCaller
) -> None:
    # given a first installment declined today
    declining = await _save_card(world, ada, DECLINING_CARD)
    plan_id = await _plan_of(ada, declining, (30_000,))
    today = await patient_today(ada.patient_id)
    await _run(world, today)
    first = (await installment_rows(plan_id))[0]
    assert first.next_attempt_on == today + timedelta(days=3)

    # when Ada saves a good card and removes the declining one, so the new one is default
    good = await _save_card(world, ada, "pm_card_visa")
    removed = await gql(
        world.client,
        REMOVE_PAYMENT_METHOD,
        {"id": global_id("PaymentMethod", declining.id)},
        token=ada.token,
    )
    assert removed["data"]["removePaymentMethod"]["ok"] is True
    await world.deliveries_done()
    made_due = await retry_failed_installments(ada.patient_id)

    # then the failed installment is due today and charged to the new card
    assert made_due == 1
    assert (await PaymentPlan.get(id=plan_id)).payment_method_id == good.id
    report = await _run(world, today)
    assert report.outcomes == {first.id: ChargeOutcome.CHARGED}
    paid = await Installment.get(id=first.id)
    assert paid.status is InstallmentStatus.PAID
    payment = await Payment.get(id=paid.payment_id)
    assert payment.payment_method_id == good.id


async def test_an_attempt_a_dead_scheduler_left_is_resumed_not_repeated(
    world: StripeWorld, ada: PatientCaller
) -> None:
    # given a scheduler that claimed the first installment and recorded its payment an hour
    # ago, then died before asking Stripe
    card = await _save_card(world, ada, "pm_card_visa")
    plan_id = await _plan_of(ada, card, (30_000,))
    today = await patient_today(ada.patient_id)
    first = (await installment_rows(plan_id))[0]
    bill_id = await _covered_invoice(plan_id)
    payment = await open_card_payment(
        ada.patient_id,
        [AllocationRequest(bill_id, 10_000)],
        idempotency_key=f"installment-{first.id}-attempt-1",
        payment_method_id=card.id,
        installment_id=first.id,
    )
    await Installment.filter(id=first.id).update(
        claimed_at=datetime.now().astimezone() - timedelta(hours=1),
        attempts=1,
        last_attempted_on=today,
    )

    # when the scheduler runs again
    report = await _run(world, today)

    # then it finished that attempt with the payment it had recorded
    assert report.outcomes == {first.id: ChargeOutcome.CHARGED}
    assert await Payment.filter(installment_id=first.id).count() == 1
    [intent] = await _intent_requests(world)
    assert intent["idempotency_key"] == f"payment-{payment.id}-intent"
    assert (await Installment.get(id=first.id)).status is InstallmentStatus.PAID


async def test_an_installment_waits_while_another_payment_holds_the_balance(
    world: StripeWorld, ada: PatientCaller
) -> None:
    card = await _save_card(world, ada, "pm_card_visa")
    plan_id = await _plan_of(ada, card, (30_000,))
    today = await patient_today(ada.patient_id)
    bill_id = await _covered_invoice(plan_id)
    # the patient is paying the whole invoice in the app right now
    await open_card_payment(
        ada.patient_id, [AllocationRequest(bill_id, 30_000)], idempotency_key="app-1"
    )

    report = await _run(world, today)

    first = (await installment_rows(plan_id))[0]
    assert list(report.outcomes.values()) == [ChargeOutcome.DEFERRED]
    assert (first.status, first.attempts, first.claimed_at) == (
        InstallmentStatus.SCHEDULED,
        0,
        None,
    )
    assert await _intent_requests(world) == []


async def test_nothing_is_charged_before_its_due_date(
    world: StripeWorld, ada: PatientCaller
) -> None:
    card = await _save_card(world, ada, "pm_card_visa")
    bill = await invoice(ada.patient_id, (await location()).id, prices_minor=(30_000,))
    today = await patient_today(ada.patient_id)
    start = today + timedelta(days=10)
    row = await plan(ada.patient_id, [bill.id], "100", card_id=card.id, start_on=start)

    before = await _run(world, start - timedelta(days=1))
    on_the_day = await _run(world, start)
    a_month_later = await _run(world, add_months(start, 1))

    assert before.outcomes == {}
    rows = await installment_rows(row.id)
    assert list(on_the_day.outcomes) == [rows[0].id]
    assert list(a_month_later.outcomes) == [rows[1].id]


async def _covered_invoice(plan_id: int) -> int:
    covered = await PaymentPlanInvoice.get(plan_id=plan_id)
    return int(covered.invoice_id)


async def _scheduler_process(world: StripeWorld, database_url: str, today: date) -> tuple[int, str]:
    """``billing charge-due-installments`` as its own process, as cron runs it."""
    stripe = {
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": world.simulator_url,
    }
    return await billing_process(
        database_url, "charge-due-installments", "--today", today.isoformat(), env=stripe
    )
