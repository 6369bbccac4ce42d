"""The installment scheduler (``billing charge-due-installments``): charges every due
installment off-session, once, however many schedulers run.

An installment is due when it is SCHEDULED and its due date has come, or FAILED and its
next try has come, in an ACTIVE plan. Before charging, the plan is brought down to what its
invoices still owe (``billing.plans.payoff``). A scheduler then *claims* the installment with
one conditional UPDATE (``claimed_at`` null, ``attempts`` as read) that also numbers the
attempt: of two schedulers, on one machine or two, one wins and the other moves on. The
attempt's payment has the deterministic idempotency key ``installment-<id>-attempt-<n>``
(and Stripe's key derives from the payment), so resuming an attempt never charges twice.

The charge's outcome arrives by webhook like any payment's (``billing.plans.installment_outcomes``);
a decline is also known at once and applied at once (the webhook then finds nothing to do).
A claim left by a scheduler that died is resumed after ``STALE_CLAIM``. A charge the bank
will only take with the patient present (3-D Secure) leaves the installment
``NEEDS_AUTHENTICATION``, still claimed: no scheduler charges that card again while it
waits for the patient to confirm in the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from billing.audit.chain import AuditRecord, append_audit_records
from billing.errors import DomainError, ErrorCode
from billing.gateways.stripe import StripeGateway
from billing.notifications.clock import local_dates
from billing.payments.card import AllocationRequest, open_card_payment, request_payment_intent
from billing.plans.installment_outcomes import (
    attempt_failed,
    complete_when_collected,
    installment_failed,
    installment_needs_authentication,
    installment_paid,
)
from billing.plans.payoff import settle_plan_to_balances
from billing.plans.quotes import smallest_card_charge
from billing.plans.rules import DUE_AGAIN
from models.enums import (
    AuditOutcome,
    InstallmentStatus,
    InvoiceStatus,
    PaymentPlanStatus,
    PaymentStatus,
)
from models.invoices import Invoice
from models.payments import Payment, PaymentMethod
from models.plans import Installment, PaymentPlan, PaymentPlanInvoice

STALE_CLAIM = timedelta(minutes=30)
SCHEDULER_ROLE = "scheduler"
CHARGE_ACTION = "installment.charge"


class ChargeOutcome(StrEnum):
    CHARGED = "charged"  # Stripe took the charge; the webhook settles it
    DECLINED = "declined"
    # The bank asked for the card holder: the installment waits for the patient in the app.
    NEEDS_AUTHENTICATION = "needs_authentication"
    DEFERRED = "deferred"  # not charged now (balance held by another payment, no card...)
    UNAVAILABLE = "unavailable"  # Stripe could not be reached: tried again next run
    SETTLED = "settled"  # a resumed attempt whose outcome was already known


@dataclass
class ChargeReport:
    outcomes: dict[int, ChargeOutcome] = field(default_factory=dict)

    def count(self, outcome: ChargeOutcome) -> int:
        return sum(1 for value in self.outcomes.values() if value is outcome)


@dataclass(frozen=True, slots=True)
class _Claim:
    installment: Installment
    attempt: int
    day: date


async def charge_due_installments(
    gateway: StripeGateway,
    *,
    audit_key: bytes,
    today: date | None = None,
    now: datetime | None = None,
) -> ChargeReport:
    """Charge what is due ``today`` (by default each patient's own today), resume attempts
    a dead scheduler left behind, and report what happened to each installment touched.
    Stops early when Stripe cannot be reached."""
    moment = now or datetime.now(UTC)
    report = ChargeReport()
    for stale in await _stale_claims(moment, today):
        report.outcomes[stale.installment.id] = await _resume(stale, gateway, audit_key)
    for installment_id, plan_id, attempts, day in await _due(moment, today):
        if await settle_plan_to_balances(plan_id) is not PaymentPlanStatus.ACTIVE:
            continue
        claim = await _claim(installment_id, attempts, day, moment)
        if claim is None:
            continue
        outcome = await _charge(claim, gateway, audit_key)
        report.outcomes[installment_id] = outcome
        if outcome is ChargeOutcome.UNAVAILABLE:
            break
    return report


def attempt_key(installment_id: int, attempt: int) -> str:
    """The idempotency key of one attempt at an installment."""
    return f"installment-{installment_id}-attempt-{attempt}"


async def _due(moment: datetime, today: date | None) -> list[tuple[int, int, int, date]]:
    """(installment, plan, attempts, the patient's day) of each due installment, oldest
    first. Without ``today``, rows a day around UTC's date are read, then kept by the
    patient's own date."""
    horizon = today or moment.astimezone(UTC).date() + timedelta(days=1)
    rows = (
        await Installment.filter(
            Q(status=InstallmentStatus.SCHEDULED, due_on__lte=horizon)
            | Q(status=InstallmentStatus.FAILED, next_attempt_on__lte=horizon),
            plan__status=PaymentPlanStatus.ACTIVE,
            claimed_at__isnull=True,
        )
        .order_by("due_on", "id")
        .values(
            "id",
            "plan_id",
            "attempts",
            "status",
            "due_on",
            "next_attempt_on",
            patient_id="plan__patient_id",
        )
    )
    days = await local_dates(moment, [row["patient_id"] for row in rows])
    due = []
    for row in rows:
        day = today or days[row["patient_id"]]
        when = (
            row["due_on"]
            if row["status"] == InstallmentStatus.SCHEDULED
            else row["next_attempt_on"]
        )
        if when <= day:
            due.append((row["id"], row["plan_id"], row["attempts"], day))
    return due


async def _claim(installment_id: int, attempts: int, day: date, moment: datetime) -> _Claim | None:
    won = await Installment.filter(
        id=installment_id, claimed_at__isnull=True, attempts=attempts, status__in=DUE_AGAIN
    ).update(claimed_at=moment, attempts=attempts + 1, last_attempted_on=day, payment_id=None)
    if won != 1:
        return None
    return _Claim(await Installment.get(id=installment_id), attempts + 1, day)


async def _charge(claim: _Claim, gateway: StripeGateway, audit_key: bytes) -> ChargeOutcome:
    installment = claim.installment
    plan = await PaymentPlan.get(id=installment.plan_id)
    if installment.amount_minor < smallest_card_charge(plan.currency):
        return await _give_up_on_crumb(claim)
    card = await _card_for(plan)
    if card is None:
        return await _fail(claim)
    requests = await _allocations(plan.id, installment.amount_minor)
    if requests is None:
        return await _release(claim, ChargeOutcome.DEFERRED)
    try:
        payment = await open_card_payment(
            plan.patient_id,
            requests,
            idempotency_key=attempt_key(installment.id, claim.attempt),
            payment_method_id=card.id,
            installment_id=installment.id,
        )
    except DomainError:
        # The balances moved under us (another payment took them): next run, re-settled.
        return await _release(claim, ChargeOutcome.DEFERRED)
    await _held(claim).update(payment_id=payment.id)
    await _audit(plan, installment, payment, audit_key)
    return await _request(claim, payment, gateway)


async def _request(claim: _Claim, payment: Payment, gateway: StripeGateway) -> ChargeOutcome:
    try:
        await request_payment_intent(payment, gateway, off_session=True)
    except DomainError as error:
        await payment.refresh_from_db()
        if payment.status is PaymentStatus.REQUIRES_ACTION:
            return ChargeOutcome.NEEDS_AUTHENTICATION
        if payment.status is PaymentStatus.FAILED:
            await installment_failed(payment, payment.failure_message)
            return ChargeOutcome.DECLINED
        if error.code is ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE:
            # The payment (and its key) is spent: the next run makes a new attempt.
            await _held(claim).update(claimed_at=None)
            return ChargeOutcome.UNAVAILABLE
        return await _fail(claim)
    return ChargeOutcome.CHARGED


async def _resume(claim: _Claim, gateway: StripeGateway, audit_key: bytes) -> ChargeOutcome:
    """Finish an attempt a scheduler started and did not finish."""
    installment = claim.installment
    plan = await PaymentPlan.get(id=installment.plan_id)
    payment = await Payment.get_or_none(
        patient_id=plan.patient_id, idempotency_key=attempt_key(installment.id, claim.attempt)
    )
    if payment is None:
        if plan.status is not PaymentPlanStatus.ACTIVE:
            return await _release(claim, ChargeOutcome.DEFERRED)
        return await _charge(claim, gateway, audit_key)
    await _held(claim).update(payment_id=payment.id)
    if payment.status is PaymentStatus.SUCCEEDED:
        await installment_paid(payment)
        return ChargeOutcome.SETTLED
    if payment.status is PaymentStatus.FAILED:
        await installment_failed(payment, payment.failure_message)
        return ChargeOutcome.SETTLED
    if payment.status is PaymentStatus.REQUIRES_ACTION:
        await installment_needs_authentication(payment)
        return ChargeOutcome.SETTLED
    if payment.status is PaymentStatus.CANCELED:
        await _held(claim).update(claimed_at=None)  # its key is spent: a new attempt next
        return ChargeOutcome.DEFERRED
    if payment.stripe_payment_intent_id:
        return ChargeOutcome.CHARGED  # Stripe has it: its webhook settles it
    return await _request(claim, payment, gateway)


async def _stale_claims(moment: datetime, today: date | None) -> list[_Claim]:
    cutoff = moment - STALE_CLAIM
    rows = await Installment.filter(status__in=DUE_AGAIN, claimed_at__lt=cutoff).order_by("id")
    claims = []
    for row in rows:
        if row.payment_id is not None and await _waiting_for_stripe(row.payment_id):
            continue
        # Take the stale claim over, so two schedulers do not both resume it.
        won = await Installment.filter(
            id=row.id, attempts=row.attempts, claimed_at__lt=cutoff
        ).update(claimed_at=moment)
        if won == 1:
            row.claimed_at = moment
            claims.append(_Claim(row, row.attempts, today or row.last_attempted_on or row.due_on))
    return claims


async def _waiting_for_stripe(payment_id: int) -> bool:
    payment = await Payment.get_or_none(id=payment_id).only(
        "id", "status", "stripe_payment_intent_id"
    )
    return (
        payment is not None
        and payment.status in (PaymentStatus.PENDING, PaymentStatus.PROCESSING)
        and payment.stripe_payment_intent_id is not None
    )


async def _allocations(plan_id: int, amount_minor: int) -> list[AllocationRequest] | None:
    """The installment spread over the plan's invoices, oldest first, within what each has
    left once payments in flight hold theirs; None when they have too little left."""
    covered = await PaymentPlanInvoice.filter(plan_id=plan_id).values_list("invoice_id", flat=True)
    invoices = await Invoice.filter(id__in=list(covered)).order_by("due_at", "id")
    requests = []
    left = amount_minor
    for invoice in invoices:
        if left == 0:
            break
        payable = invoice.balance_minor - invoice.reserved_minor
        if invoice.status in (InvoiceStatus.VOID, InvoiceStatus.PAID) or payable <= 0:
            continue
        take = min(payable, left)
        requests.append(AllocationRequest(invoice_id=invoice.id, amount_minor=take))
        left -= take
    return None if left else requests


async def _card_for(plan: PaymentPlan) -> PaymentMethod | None:
    """The plan's card while it is saved, else the patient's default card."""
    if plan.payment_method_id is not None:
        card = await PaymentMethod.get_or_none(id=plan.payment_method_id, detached_at__isnull=True)
        if card is not None:
            return card
    return await PaymentMethod.filter(
        patient_id=plan.patient_id, is_default=True, detached_at__isnull=True
    ).first()


async def _fail(claim: _Claim) -> ChargeOutcome:
    """No card to charge, or Stripe refused the request: a failed attempt, so the plan's
    retries run and the patient is told to look at their card."""
    await attempt_failed(claim.installment.id, claim.attempt)
    return ChargeOutcome.DECLINED


async def _give_up_on_crumb(claim: _Claim) -> ChargeOutcome:
    """An installment below the smallest card charge (left after the plan was shortened)
    is not charged: it stays owed on the invoice, and the plan ends when nothing else is
    left."""
    await _held(claim).update(
        status=InstallmentStatus.CANCELED, claimed_at=None, next_attempt_on=None
    )
    await complete_when_collected(claim.installment.plan_id)
    return ChargeOutcome.SETTLED


async def _release(claim: _Claim, outcome: ChargeOutcome) -> ChargeOutcome:
    """Give back an attempt that made no payment, as if it had not been made."""
    await _held(claim).update(claimed_at=None, payment_id=None, attempts=claim.attempt - 1)
    return outcome


def _held(claim: _Claim) -> QuerySet[Installment]:
    """The installment, while this claim still holds it (its attempt number is the claim's)."""
    return Installment.filter(
        id=claim.installment.id, attempts=claim.attempt, claimed_at__isnull=False
    )


async def _audit(
    plan: PaymentPlan, installment: Installment, payment: Payment, audit_key: bytes
) -> None:
    record = AuditRecord(
        action=CHARGE_ACTION,
        outcome=AuditOutcome.SUCCESS,
        actor_role=SCHEDULER_ROLE,
        resource_type="Installment",
        resource_id=str(installment.id),
        patient_id=plan.patient_id,
        reference=str(payment.id),
    )
    await append_audit_records([record], key=audit_key)
