"""Keeping a plan to what its invoices still owe: paying a covered invoice directly (or a
write-off) shortens the plan, and paying off the rest completes it early.

A plan's unpaid installments should add up to no more than what its invoices still owe of
what it covers: for each covered invoice, the smaller of the amount covered and the
invoice's balance. When they add up to more, the excess comes off the last installments
(so the last one left is still the remainder), and a plan with nothing left to collect is
COMPLETED. A plan never grows: charges added to an invoice later are not the plan's.

An installment whose payment has already posted counts as paid, even before
``installment_paid`` marks it, so the order of the hooks in a webhook does not matter.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.transactions import in_transaction

from billing.plans.rules import UNPAID, end_plan
from models.enums import (
    AllocationStatus,
    InstallmentStatus,
    InvoiceStatus,
    PaymentPlanStatus,
)
from models.invoices import Invoice
from models.payments import PaymentAllocation
from models.plans import Installment, PaymentPlan, PaymentPlanInvoice


async def after_invoices_paid(invoice_ids: Sequence[int]) -> None:
    """Shorten or complete the active plans covering ``invoice_ids`` after money (or a
    write-off) lowered their balances. Call inside the posting's transaction."""
    if not invoice_ids:
        return
    rows = await PaymentPlanInvoice.filter(active_invoice_id__in=sorted(set(invoice_ids))).values(
        "plan_id"
    )
    for plan_id in sorted({int(row["plan_id"]) for row in rows}):
        await settle_plan_to_balances(plan_id)


async def settle_plan_to_balances(plan_id: int) -> PaymentPlanStatus:
    """Bring one plan's unpaid installments down to what its invoices still owe, and
    complete it when nothing is left; the plan's status afterwards."""
    async with in_transaction():
        plan = await PaymentPlan.select_for_update().get(id=plan_id)
        if plan.status is not PaymentPlanStatus.ACTIVE:
            return plan.status
        unpaid = await Installment.filter(plan_id=plan.id, status__in=UNPAID).order_by("-sequence")
        posted = await _posted_payment_ids([row.payment_id for row in unpaid])
        open_rows = [row for row in unpaid if row.payment_id not in posted]
        excess = sum(row.amount_minor for row in open_rows) - await still_owed(plan.id)
        for row in open_rows:
            if excess <= 0:
                break
            if row.claimed_at is not None:
                continue  # in flight: Stripe decides it
            excess -= await _reduce(row, excess)
        # Installments that already posted are still UNPAID here: installment_paid ends
        # the plan when it marks the last of them.
        if not await Installment.filter(plan_id=plan.id, status__in=UNPAID).exists():
            await end_plan(plan, PaymentPlanStatus.COMPLETED)
        return plan.status


async def still_owed(plan_id: int) -> int:
    """What the plan's invoices still owe of what it covers, in minor units."""
    covered = dict(
        await PaymentPlanInvoice.filter(plan_id=plan_id).values_list("invoice_id", "amount_minor")
    )
    balances = await Invoice.filter(id__in=list(covered)).values_list(
        "id", "balance_minor", "status"
    )
    return sum(
        min(int(covered[invoice_id]), int(balance))
        for invoice_id, balance, status in balances
        if status != InvoiceStatus.VOID and balance > 0
    )


async def _reduce(row: Installment, excess: int) -> int:
    """Take up to ``excess`` off an installment (canceling it when all of it goes); what
    was taken. Conditional on it not being claimed meanwhile."""
    taken = min(row.amount_minor, excess)
    changes: dict[str, object] = {"amount_minor": row.amount_minor - taken}
    if taken == row.amount_minor:
        changes = {"status": InstallmentStatus.CANCELED, "next_attempt_on": None}
    moved = await Installment.filter(id=row.id, status__in=UNPAID, claimed_at__isnull=True).update(
        **changes
    )
    return taken if moved == 1 else 0


async def _posted_payment_ids(payment_ids: Sequence[int | None]) -> set[int]:
    wanted = sorted({payment_id for payment_id in payment_ids if payment_id is not None})
    if not wanted:
        return set()
    rows = await PaymentAllocation.filter(
        payment_id__in=wanted, status=AllocationStatus.POSTED
    ).values("payment_id")
    return {int(row["payment_id"]) for row in rows}
