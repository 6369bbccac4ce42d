"""What a patient or staff member asks of payments, one function per request.

Each use case opens its transaction, applies the rules and appends its access-log record
inside that transaction, so the change and its record commit together. Stripe is called
after the commit: a payment or refund is on record before money can move. Expected
failures are ``DomainError``s; the API records the refused attempt under the same action.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.errors import DomainError, ErrorCode
from billing.gateways.stripe import StripeGateway
from billing.idempotency import forget, keyed_request, once
from billing.invoices.rules import invoice_currency, own_invoice_currencies
from billing.money import to_minor
from billing.payments.card import (
    AllocationRequest,
    open_card_payment,
    open_organization_payment,
    request_payment_intent,
)
from billing.payments.listeners import default_card_changed
from billing.payments.offline import record_offline_payment as record_offline
from billing.payments.refunds import open_refund, payment_currency, payment_patient, send_refund
from billing.payments.reviews import resolve_review
from billing.payments.saved_cards import CardSetup, mark_detached, remove_saved_card
from billing.payments.saved_cards import start_saving_card as start_card_setup
from models.enums import PaymentChannel, RefundStatus, ReviewResolution
from models.payments import Payment, Refund

PAY_INVOICES = AuditedAction("payment.started", "Payment")
RECORD_OFFLINE_PAYMENT = AuditedAction("payment.offline", "Payment")
REFUND_PAYMENT = AuditedAction("refund.requested", "Refund")
START_SAVING_CARD = AuditedAction("payment_method.setup_started", "PaymentMethod")
REMOVE_PAYMENT_METHOD = AuditedAction("payment_method.removed", "PaymentMethod")
RESOLVE_PAYMENT_REVIEW = AuditedAction("payment.review_resolved", "Payment")


@dataclass(frozen=True, slots=True)
class AllocationOrder:
    """How much of a payment goes to one invoice, in the invoice's major units."""

    invoice_id: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class StartedPayment:
    payment: Payment
    # The PaymentIntent's secret the app confirms; None when no card is charged.
    client_secret: str | None


async def pay_invoices(
    audit: AuditBuffer,
    patient_id: int,
    orders: Sequence[AllocationOrder],
    *,
    idempotency_key: str,
    payment_method_id: int | None,
    use_credit_balance: bool,
    gateway: StripeGateway,
) -> StartedPayment:
    """Record the patient's payment of ``orders`` and ask Stripe for its PaymentIntent."""
    requests = await _allocation_requests(patient_id, orders)
    async with in_transaction():
        payment = await open_card_payment(
            patient_id,
            requests,
            idempotency_key=idempotency_key,
            payment_method_id=payment_method_id,
            use_credit_balance=use_credit_balance,
        )
        await audit.record_success(PAY_INVOICES, resource_id=payment.id, patient_id=patient_id)
    intent = await request_payment_intent(payment, gateway)
    return StartedPayment(payment, intent.client_secret if intent is not None else None)


async def pay_organization_invoices(
    audit: AuditBuffer,
    organization_id: int,
    orders: Sequence[AllocationOrder],
    *,
    idempotency_key: str,
    channel: PaymentChannel,
    gateway: StripeGateway,
) -> StartedPayment:
    """Record an organization's payment of ``orders``, by card or US bank account debit
    (``BANK_DEBIT``), and ask Stripe for its PaymentIntent."""
    requests = await _allocation_requests(None, orders, organization_id=organization_id)
    async with in_transaction():
        payment = await open_organization_payment(
            organization_id, requests, idempotency_key=idempotency_key, channel=channel
        )
        await audit.record_success(
            PAY_INVOICES, resource_id=payment.id, reference=f"organization:{organization_id}"
        )
    intent = await request_payment_intent(payment, gateway)
    return StartedPayment(payment, intent.client_secret if intent is not None else None)


async def start_saving_card(
    audit: AuditBuffer, patient_id: int, gateway: StripeGateway
) -> CardSetup:
    """A SetupIntent the app saves a new card with (the card goes to Stripe only)."""
    setup = await start_card_setup(patient_id, gateway)
    await audit.record_success(START_SAVING_CARD, patient_id=patient_id)
    return setup


async def remove_payment_method(
    audit: AuditBuffer, patient_id: int, payment_method_id: int, gateway: StripeGateway
) -> None:
    """Detach one of the patient's saved cards at Stripe and stop showing it."""
    card = await remove_saved_card(patient_id, payment_method_id, gateway)
    async with in_transaction():
        # Stripe's payment_method.detached event may have marked it first: still removed.
        if await mark_detached(card.id) and card.is_default:
            await default_card_changed(card.patient_id)
        await audit.record_success(
            REMOVE_PAYMENT_METHOD, resource_id=card.id, patient_id=card.patient_id
        )


async def record_offline_payment(
    audit: AuditBuffer,
    invoice_id: int,
    amount: Decimal,
    channel: PaymentChannel,
    reference: str | None,
    *,
    idempotency_key: str | None = None,
) -> Payment:
    """Staff record a check, cash or bank payment against one invoice; a retry with the
    same ``idempotency_key`` books it once."""
    amount_minor = to_minor(amount, await invoice_currency(invoice_id), "amount_minor")
    action = RECORD_OFFLINE_PAYMENT
    request = keyed_request(
        action.name,
        audit.actor.user_id,
        idempotency_key,
        invoice_id,
        amount_minor,
        channel.value,
        reference,
    )

    async def record() -> Payment:
        payment = await record_offline(
            invoice_id, amount_minor, channel, reference, actor_id=audit.actor.user_id
        )
        await audit.record_success(
            action, resource_id=payment.id, patient_id=payment.patient_id, reference=str(invoice_id)
        )
        return payment

    return await once(audit, action, request, record, identify=_identify, load=_load_payment)


async def refund_payment(
    audit: AuditBuffer,
    payment_id: int,
    amount: Decimal,
    reason: str,
    gateway: StripeGateway,
    *,
    idempotency_key: str | None = None,
) -> Refund:
    """Staff refund part or all of a card payment; the ledger follows Stripe's word. A
    retry with the same ``idempotency_key`` refunds once (and finishes a refund whose
    first attempt never reached Stripe); after Stripe refused or could not be reached the
    key is free again."""
    amount_minor = to_minor(amount, await payment_currency(payment_id), "amount")
    request = keyed_request(
        REFUND_PAYMENT.name, audit.actor.user_id, idempotency_key, payment_id, amount_minor, reason
    )

    async def open_one() -> Refund:
        refund = await open_refund(payment_id, amount_minor, reason, actor_id=audit.actor.user_id)
        await audit.record_success(
            REFUND_PAYMENT,
            resource_id=refund.id,
            patient_id=await payment_patient(payment_id),
            reference=str(payment_id),
        )
        return refund

    refund = await once(
        audit, REFUND_PAYMENT, request, open_one, identify=_identify_refund, load=_load_refund
    )
    if refund.status is not RefundStatus.PENDING or refund.stripe_refund_id is not None:
        return refund
    try:
        return await send_refund(refund, gateway)
    except DomainError:
        await forget(request)
        raise


async def _identify(payment: Payment) -> tuple[int, int | None]:
    return payment.id, payment.patient_id


async def _load_payment(payment_id: int) -> Payment:
    return await Payment.get(id=payment_id)


async def _identify_refund(refund: Refund) -> tuple[int, int | None]:
    return refund.id, await payment_patient(refund.payment_id)


async def _load_refund(refund_id: int) -> Refund:
    return await Refund.get(id=refund_id)


async def resolve_payment_review(
    audit: AuditBuffer,
    payment_id: int,
    resolution: ReviewResolution,
    note: str | None,
    gateway: StripeGateway,
    *,
    now: datetime,
) -> Payment:
    """Staff decide what happens to a payment Stripe reported with another amount or
    currency than asked. The decision and who took it are on the payment and the access
    log; a refund is asked of Stripe after the commit."""
    async with in_transaction():
        outcome = await resolve_review(
            payment_id, resolution, note, actor_id=audit.actor.user_id, now=now
        )
        await audit.record_success(
            RESOLVE_PAYMENT_REVIEW,
            resource_id=payment_id,
            patient_id=outcome.payment.patient_id,
            reference=resolution.value,
        )
    if outcome.refund is not None:
        await send_refund(outcome.refund, gateway)
    return outcome.payment


async def _allocation_requests(
    patient_id: int | None, orders: Sequence[AllocationOrder], *, organization_id: int | None = None
) -> list[AllocationRequest]:
    """The orders in minor units of each invoice's currency; an invoice that is not the
    patient's (or organization's) is ``NOT_FOUND``, like a missing one."""
    currencies = await own_invoice_currencies(
        patient_id, [order.invoice_id for order in orders], organization_id=organization_id
    )
    requests: list[AllocationRequest] = []
    for index, order in enumerate(orders):
        currency = currencies.get(order.invoice_id)
        if currency is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, "No such invoice.", f"allocations.{index}.invoice_id"
            )
        amount = to_minor(order.amount, currency, f"allocations.{index}.amount")
        requests.append(AllocationRequest(order.invoice_id, amount))
    return requests
