"""A plan's life outside Stripe: setting it up, canceling it, and keeping it to what its
invoices still owe (paying an invoice directly shortens the plan, paying the rest completes
it early, an installment that posted is not counted twice)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.invoices.rules import adjust_invoice
from billing.payments.card import AllocationRequest, open_card_payment
from billing.payments.offline import record_offline_payment
from billing.payments.settlement import post_payment
from billing.plans.installment_outcomes import installment_paid
from billing.plans.payoff import after_invoices_paid, settle_plan_to_balances
from billing.plans.rules import cancel_payment_plan, create_payment_plan
from models.enums import InstallmentStatus, PaymentChannel, PaymentPlanStatus
from models.payments import PaymentMethod
from models.plans import Installment, PaymentPlan, PaymentPlanInvoice
from tests.support.factories.auth import make_patient
from tests.support.factories.invoices import invoice, location
from tests.support.factories.plans import RULES, card_row, installment_rows, plan, unpaid_amounts


async def _pay_directly(invoice_id: int, amount_minor: int) -> None:
    """A check posted to the invoice, then the hook every posting calls."""
    async with in_transaction():
        await record_offline_payment(
            invoice_id, amount_minor, PaymentChannel.CHECK, "Check 1001", actor_id=None
        )
        await after_invoices_paid([invoice_id])


async def test_a_plan_records_its_invoices_and_installments(db: None) -> None:
    patient = await make_patient()
    place = await location()
    first = await invoice(patient.id, place.id, prices_minor=(30_000,))
    second = await invoice(patient.id, place.id, prices_minor=(12_550,))
    card = await card_row(patient.id)

    row = await create_payment_plan(
        patient.id, [first.id, second.id], Decimal("100"), card.id, None, RULES
    )

    assert (row.status, row.total_minor, row.monthly_minor, row.payment_method_id) == (
        PaymentPlanStatus.ACTIVE,
        42_550,
        10_000,
        card.id,
    )
    assert row.retry_days == "3,7,14"
    covered = await PaymentPlanInvoice.filter(plan_id=row.id).order_by("invoice_id")
    assert [(c.invoice_id, c.amount_minor, c.active_invoice_id) for c in covered] == [
        (first.id, 30_000, first.id),
        (second.id, 12_550, second.id),
    ]
    rows = await installment_rows(row.id)
    assert [r.amount_minor for r in rows] == [10_000] * 4 + [2_550]
    assert [r.sequence for r in rows] == [1, 2, 3, 4, 5]
    assert {r.status for r in rows} == {InstallmentStatus.SCHEDULED}


async def test_a_plan_needs_one_of_the_patients_own_cards_that_lasts(db: None) -> None:
    patient, other = await make_patient(), await make_patient()
    bill = await invoice(patient.id, (await location()).id)
    others_card = await card_row(other.id)
    expired = await card_row(patient.id)
    await PaymentMethod.filter(id=expired.id).update(exp_year=2020)

    for card_id, code in (
        (others_card.id, ErrorCode.NOT_FOUND),
        (expired.id, ErrorCode.PAYMENT_METHOD_REQUIRED),
    ):
        with pytest.raises(DomainError) as refused:
            await create_payment_plan(patient.id, [bill.id], Decimal("50"), card_id, None, RULES)
        assert (refused.value.code, refused.value.field) == (code, "payment_method_id")
    assert not await PaymentPlan.exists()


async def test_two_plans_racing_for_one_invoice_leave_one(db: None) -> None:
    patient = await make_patient()
    bill = await invoice(patient.id, (await location()).id)
    card = await card_row(patient.id)

    results = await asyncio.gather(
        *(
            create_payment_plan(patient.id, [bill.id], Decimal(monthly), card.id, None, RULES)
            for monthly in ("50", "25")
        ),
        return_exceptions=True,
    )

    plans = [r for r in results if isinstance(r, PaymentPlan)]
    refusals = [r for r in results if isinstance(r, DomainError)]
    assert len(plans) == 1
    assert [r.code for r in refusals] == [ErrorCode.INVOICE_ALREADY_IN_PLAN]
    assert await PaymentPlan.all().count() == 1


async def test_canceling_stops_what_is_left_and_frees_the_invoices(db: None) -> None:
    patient, other = await make_patient(), await make_patient()
    bill = await invoice(patient.id, (await location()).id)
    row = await plan(patient.id, [bill.id], "25")

    with pytest.raises(DomainError) as not_theirs:
        await cancel_payment_plan(other.id, row.id)
    canceled = await cancel_payment_plan(patient.id, row.id)
    with pytest.raises(DomainError) as again:
        await cancel_payment_plan(patient.id, row.id)

    assert (not_theirs.value.code, not_theirs.value.field) == (ErrorCode.NOT_FOUND, "id")
    assert canceled.status is PaymentPlanStatus.CANCELED
    assert canceled.ended_at is not None
    assert again.value.code is ErrorCode.CONFLICT
    assert {r.status for r in await installment_rows(row.id)} == {InstallmentStatus.CANCELED}
    assert await PaymentPlanInvoice.filter(active_invoice_id__isnull=False).count() == 0


async def test_paying_a_covered_invoice_directly_shortens_the_plan(db: None) -> None:
    # given a $400 plan at $100 a month over two invoices
    patient = await make_patient()
    place = await location()
    first = await invoice(patient.id, place.id, prices_minor=(30_000,))
    second = await invoice(patient.id, place.id, prices_minor=(10_000,))
    row = await plan(patient.id, [first.id, second.id], "100")

    # when the patient mails a $150 check for the first invoice
    await _pay_directly(first.id, 15_000)

    # then the plan collects $250 more: the last installments shrink, the rest stay as they were
    assert await unpaid_amounts(row.id) == [10_000, 10_000, 5_000]
    statuses = [r.status for r in await installment_rows(row.id)]
    assert statuses == [InstallmentStatus.SCHEDULED] * 3 + [InstallmentStatus.CANCELED]
    assert (await PaymentPlan.get(id=row.id)).status is PaymentPlanStatus.ACTIVE


async def test_paying_the_remaining_balance_completes_the_plan_early(db: None) -> None:
    patient = await make_patient()
    place = await location()
    first = await invoice(patient.id, place.id, prices_minor=(30_000,))
    second = await invoice(patient.id, place.id, prices_minor=(10_000,))
    row = await plan(patient.id, [first.id, second.id], "100")

    await _pay_directly(first.id, 30_000)
    await _pay_directly(second.id, 12_000)  # $20 more than it owed goes to credit

    ended = await PaymentPlan.get(id=row.id)
    assert ended.status is PaymentPlanStatus.COMPLETED
    assert ended.ended_at is not None
    assert await unpaid_amounts(row.id) == []
    assert await PaymentPlanInvoice.filter(active_invoice_id__isnull=False).count() == 0


async def test_a_write_off_shortens_the_plan_before_the_next_charge(db: None) -> None:
    patient = await make_patient()
    bill = await invoice(patient.id, (await location()).id, prices_minor=(30_000,))
    row = await plan(patient.id, [bill.id], "100")

    # a write-off is no payment, so no hook ran: the scheduler settles the plan first
    await adjust_invoice(bill.id, -12_500, "Hardship discount", actor_id=None)
    status = await settle_plan_to_balances(row.id)

    assert status is PaymentPlanStatus.ACTIVE
    assert await unpaid_amounts(row.id) == [10_000, 7_500]


async def test_charges_added_after_the_plan_do_not_grow_it(db: None) -> None:
    patient = await make_patient()
    bill = await invoice(patient.id, (await location()).id, prices_minor=(30_000,))
    row = await plan(patient.id, [bill.id], "100")

    await adjust_invoice(bill.id, 5_000, "Late fee", actor_id=None)
    await _pay_directly(bill.id, 5_000)

    assert await unpaid_amounts(row.id) == [10_000, 10_000, 10_000]


async def test_an_installment_that_posted_is_not_counted_twice_whatever_the_hook_order(
    db: None,
) -> None:
    # given a $300 plan whose first installment was charged and has just posted
    patient = await make_patient()
    bill = await invoice(patient.id, (await location()).id, prices_minor=(30_000,))
    card = await card_row(patient.id)
    row = await plan(patient.id, [bill.id], "100", card_id=card.id)
    first = (await installment_rows(row.id))[0]
    payment = await open_card_payment(
        patient.id,
        [AllocationRequest(bill.id, 10_000)],
        idempotency_key=f"installment-{first.id}-attempt-1",
        payment_method_id=card.id,
        installment_id=first.id,
    )
    await Installment.filter(id=first.id).update(payment_id=payment.id, attempts=1)

    # when the posting's hooks run, the plan's own first, then the installment's
    async with in_transaction():
        invoice_ids = await post_payment(payment)
        await after_invoices_paid(invoice_ids)
        await installment_paid(payment)

    # then only the first installment is paid and nothing else was cut
    rows = await installment_rows(row.id)
    assert [(r.status, r.amount_minor) for r in rows] == [
        (InstallmentStatus.PAID, 10_000),
        (InstallmentStatus.SCHEDULED, 10_000),
        (InstallmentStatus.SCHEDULED, 10_000),
    ]
    assert rows[0].payment_id == payment.id


async def test_the_last_installment_paid_completes_the_plan(db: None) -> None:
    patient = await make_patient()
    bill = await invoice(patient.id, (await location()).id, prices_minor=(5_000,))
    card = await card_row(patient.id)
    row = await plan(patient.id, [bill.id], "50", card_id=card.id)
    only = (await installment_rows(row.id))[0]
    payment = await open_card_payment(
        patient.id,
        [AllocationRequest(bill.id, 5_000)],
        idempotency_key=f"installment-{only.id}-attempt-1",
        payment_method_id=card.id,
        installment_id=only.id,
    )

    async with in_transaction():
        await installment_paid(payment)
        await after_invoices_paid(await post_payment(payment))
    await installment_paid(payment)  # a repeated event

    assert (await PaymentPlan.get(id=row.id)).status is PaymentPlanStatus.COMPLETED
    assert (await Installment.get(id=only.id)).status is InstallmentStatus.PAID
