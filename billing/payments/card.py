"""Paying several invoices at once: one payment, one Stripe PaymentIntent.

``open_card_payment`` checks the request, holds each invoice's share of its balance and
records a PENDING payment with its allocations, in one transaction and without talking to
Stripe. ``request_payment_intent`` then asks Stripe for the intent. The ledger is only
touched when Stripe says the money arrived (``billing.payments.settlement``), except for a
payment the patient's credit balance covers whole, which settles at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.gateways.stripe import CardNeedsAuthentication, PaymentIntentStart, StripeGateway
from billing.ledger.credits import patient_credit_balance
from billing.money import require_positive_amount, to_decimal
from billing.payments.listeners import (
    payment_failed,
    payment_needs_authentication,
    payment_posted,
)
from billing.payments.reservations import reserve_balances
from billing.payments.saved_cards import ensure_stripe_customer, own_saved_card
from billing.payments.settlement import (
    apply_credit,
    charged_minor,
    end_payment,
    mark_requires_action,
    post_payment,
)
from models.enums import AllocationStatus, InvoiceStatus, PaymentChannel, PaymentStatus
from models.invoices import Invoice
from models.patients import Patient
from models.payments import Payment, PaymentAllocation, PaymentMethod

MAX_ALLOCATIONS = 50
MAX_IDEMPOTENCY_KEY_LENGTH = 255
# Stripe's smallest charge per currency, in minor units.
MIN_CARD_CHARGE_MINOR = {"USD": 50, "CAD": 50, "EUR": 50, "GBP": 30, "JPY": 50}
NOT_PAYABLE = frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID})
# The channels whose money moves through a Stripe PaymentIntent.
STRIPE_CHANNELS = frozenset({PaymentChannel.CARD, PaymentChannel.BANK_DEBIT})
# What Stripe may collect an organization's payment with, by channel.
_ORGANIZATION_METHOD_TYPES = {
    PaymentChannel.CARD: ["card"],
    PaymentChannel.BANK_DEBIT: ["us_bank_account"],
}
PROVIDER_FAILED_MESSAGE = "The payment could not be started. Nothing was charged."
DECLINED_MESSAGE = "The card was declined."


@dataclass(frozen=True, slots=True)
class AllocationRequest:
    """How much of a payment goes to one invoice, in the invoice's minor units."""

    invoice_id: int
    amount_minor: int


async def open_card_payment(
    patient_id: int,
    requests: Sequence[AllocationRequest],
    *,
    idempotency_key: str,
    payment_method_id: int | None = None,
    use_credit_balance: bool = False,
    installment_id: int | None = None,
) -> Payment:
    """Record a payment of ``requests`` for the patient, holding each invoice's share.

    The same ``idempotency_key`` returns the payment it first recorded (``IDEMPOTENCY_KEY_REUSED``
    when the allocations differ). Field paths of errors point into ``allocations``:
    ``INVALID_INPUT`` (no allocations, too many, a bad key), ``DUPLICATE_INVOICE``,
    ``INVALID_AMOUNT``, ``NOT_FOUND`` (no such invoice of this patient, or card),
    ``INVOICE_NOT_PAYABLE`` (paid or void), ``CURRENCY_MISMATCH``,
    ``AMOUNT_EXCEEDS_BALANCE`` (more than is left once other payments in flight are held).
    With ``use_credit_balance`` the patient's credit pays first; when it covers everything
    the payment succeeds at once, without a card.
    """
    key = _clean_key(idempotency_key)
    _check_requests(requests)
    existing = await _replay({"patient_id": patient_id}, key, requests)
    if existing is not None:
        return existing
    card = None
    if payment_method_id is not None:
        card = await _saved_card(patient_id, payment_method_id)
    try:
        async with in_transaction():
            return await _record(
                patient_id, requests, key, card, use_credit_balance, installment_id
            )
    except IntegrityError:
        # The same key, recorded a moment ago by a concurrent request.
        replayed = await _replay({"patient_id": patient_id}, key, requests)
        if replayed is None:
            raise
        return replayed


async def open_organization_payment(
    organization_id: int,
    requests: Sequence[AllocationRequest],
    *,
    idempotency_key: str,
    channel: PaymentChannel,
) -> Payment:
    """Record a payment of ``requests`` for the organization, by card or by debit of a US
    bank account (``BANK_DEBIT``), holding each invoice's share as a patient's payment
    does. Errors as ``open_card_payment``'s; another organization's or a patient's invoice
    is ``NOT_FOUND``. Organizations have no credit balance and no saved cards."""
    if channel not in _ORGANIZATION_METHOD_TYPES:
        raise DomainError(ErrorCode.INVALID_INPUT, "Pay by card or bank account.", "method")
    key = _clean_key(idempotency_key)
    _check_requests(requests)
    owner = {"organization_id": organization_id}
    existing = await _replay(owner, key, requests)
    if existing is not None:
        return existing
    try:
        async with in_transaction():
            invoices = await _lock_invoices(owner, requests)
            existing = await _replay(owner, key, requests)
            if existing is not None:
                return existing
            _check_invoices(requests, invoices)
            currency = _one_currency(requests, invoices)
            total = sum(request.amount_minor for request in requests)
            _check_card_share(total, currency, None)
            payment = await Payment.create(
                organization_id=organization_id,
                channel=channel,
                status=PaymentStatus.PENDING,
                amount_minor=total,
                currency=currency,
                idempotency_key=key,
            )
            await _hold(payment, requests)
            return payment
    except IntegrityError:
        replayed = await _replay(owner, key, requests)
        if replayed is None:
            raise
        return replayed


async def request_payment_intent(
    payment: Payment, gateway: StripeGateway, *, off_session: bool = False
) -> PaymentIntentStart | None:
    """The Stripe PaymentIntent for ``payment``'s card share, created once.

    None for a payment without a card share. The Stripe idempotency key derives from the
    payment's id, so a retry never makes a second intent. When Stripe cannot be reached or
    refuses, the payment is CANCELED and its holds go back before the error is raised, so
    nothing is left half done; an off-session decline marks it FAILED.
    """
    if payment.channel not in STRIPE_CHANNELS:
        return None
    if payment.stripe_payment_intent_id:
        return await gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
    if payment.status is not PaymentStatus.PENDING:
        return None
    try:
        intent = await _create_intent(payment, gateway, off_session)
    except CardNeedsAuthentication as needs:
        await wait_for_card_holder(payment, needs.payment_intent_id)
        raise
    except DomainError as error:
        declined = off_session and error.code is ErrorCode.INVALID_INPUT
        async with in_transaction():
            locked = await Payment.select_for_update().get(id=payment.id)
            if declined:
                if await end_payment(locked, PaymentStatus.FAILED, DECLINED_MESSAGE):
                    await payment_failed(locked, DECLINED_MESSAGE)
            else:
                await end_payment(locked, PaymentStatus.CANCELED, PROVIDER_FAILED_MESSAGE)
        payment.status = locked.status
        raise
    await Payment.filter(id=payment.id, stripe_payment_intent_id__isnull=True).update(
        stripe_payment_intent_id=intent.payment_intent_id
    )
    payment.stripe_payment_intent_id = intent.payment_intent_id
    return intent


async def wait_for_card_holder(payment: Payment, payment_intent_id: str | None) -> bool:
    """The bank will take ``payment`` only once the card holder authenticates: it is
    REQUIRES_ACTION, keeps its holds, and the domains that care hear it once (a plan's
    installment then waits for the patient). False when it had moved on already."""
    async with in_transaction():
        locked = await Payment.select_for_update().get(id=payment.id)
        if payment_intent_id and not locked.stripe_payment_intent_id:
            await Payment.filter(id=locked.id, stripe_payment_intent_id__isnull=True).update(
                stripe_payment_intent_id=payment_intent_id
            )
            locked.stripe_payment_intent_id = payment_intent_id
        moved = await mark_requires_action(locked)
        if moved:
            await payment_needs_authentication(locked)
    payment.status = locked.status
    payment.stripe_payment_intent_id = locked.stripe_payment_intent_id
    return moved


async def _create_intent(
    payment: Payment, gateway: StripeGateway, off_session: bool
) -> PaymentIntentStart:
    if payment.patient_id is None:
        # An organization's payment: no Stripe customer, no saved card, never off-session.
        return await gateway.create_payment_intent(
            idempotency_key=f"payment-{payment.id}-intent",
            amount_minor=charged_minor(payment),
            currency=payment.currency,
            customer_id=None,
            payment_ref=str(payment.id),
            payment_method_types=_ORGANIZATION_METHOD_TYPES[payment.channel],
        )
    customer_id = await ensure_stripe_customer(payment.patient_id, gateway)
    card_id = None
    if payment.payment_method_id is not None:
        card = await PaymentMethod.get(id=payment.payment_method_id)
        card_id = card.stripe_payment_method_id
    if off_session and card_id is None:
        raise DomainError(ErrorCode.PAYMENT_METHOD_REQUIRED, "A saved card is required.")
    return await gateway.create_payment_intent(
        idempotency_key=f"payment-{payment.id}-intent",
        amount_minor=charged_minor(payment),
        currency=payment.currency,
        customer_id=customer_id,
        payment_ref=str(payment.id),
        payment_method_id=card_id,
        off_session=off_session,
    )


async def _record(
    patient_id: int,
    requests: Sequence[AllocationRequest],
    key: str,
    card: PaymentMethod | None,
    use_credit_balance: bool,
    installment_id: int | None,
) -> Payment:
    invoices = await _lock_invoices({"patient_id": patient_id}, requests)
    # A concurrent request with the same key may have committed while we waited.
    existing = await _replay({"patient_id": patient_id}, key, requests)
    if existing is not None:
        return existing
    _check_invoices(requests, invoices)
    currency = _one_currency(requests, invoices)
    total = sum(request.amount_minor for request in requests)
    credit = 0
    if use_credit_balance:
        # Serializes credit spending per patient on PostgreSQL.
        await Patient.select_for_update().filter(id=patient_id).only("id").first()
        credit = min(total, max(0, await patient_credit_balance(patient_id, currency)))
    charged = total - credit
    _check_card_share(charged, currency, card)
    payment = await Payment.create(
        patient_id=patient_id,
        channel=PaymentChannel.CARD if charged else PaymentChannel.CREDIT_BALANCE,
        status=PaymentStatus.PENDING,
        amount_minor=total,
        credit_applied_minor=credit,
        currency=currency,
        idempotency_key=key,
        payment_method_id=card.id if card else None,
        installment_id=installment_id,
    )
    await _hold(payment, requests)
    await apply_credit(payment)
    if not charged:
        await payment_posted(payment, await post_payment(payment))
    return payment


async def _hold(payment: Payment, requests: Sequence[AllocationRequest]) -> None:
    """The payment's allocations, each holding its share of its invoice's balance."""
    await PaymentAllocation.bulk_create(
        [
            PaymentAllocation(
                payment_id=payment.id,
                invoice_id=request.invoice_id,
                amount_minor=request.amount_minor,
                status=AllocationStatus.RESERVED,
            )
            for request in requests
        ]
    )
    await reserve_balances(
        {request.invoice_id: request.amount_minor for request in requests},
        {request.invoice_id: f"allocations.{i}.amount" for i, request in enumerate(requests)},
    )


async def _lock_invoices(
    owner: Mapping[str, int], requests: Sequence[AllocationRequest]
) -> dict[int, Invoice]:
    """The owner's (``{"patient_id": ...}`` or ``{"organization_id": ...}``) invoices named
    in ``requests``, row-locked in id order."""
    ids = sorted(request.invoice_id for request in requests)
    rows = (
        await Invoice.filter(id__in=ids, **owner)
        .select_for_update()
        .order_by("id")
        .only("id", "patient_id", "currency", "status", "balance_minor", "reserved_minor")
    )
    return {row.id: row for row in rows}


def _check_invoices(requests: Sequence[AllocationRequest], invoices: dict[int, Invoice]) -> None:
    for i, request in enumerate(requests):
        invoice = invoices.get(request.invoice_id)
        if invoice is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, "No such invoice.", f"allocations.{i}.invoice_id"
            )
        if invoice.status in NOT_PAYABLE or invoice.balance_minor <= 0:
            raise DomainError(
                ErrorCode.INVOICE_NOT_PAYABLE,
                "The invoice has nothing left to pay.",
                f"allocations.{i}.invoice_id",
            )
        if request.amount_minor > invoice.balance_minor - invoice.reserved_minor:
            raise DomainError(
                ErrorCode.AMOUNT_EXCEEDS_BALANCE,
                "The amount is more than what is left to pay on the invoice.",
                f"allocations.{i}.amount",
            )


def _one_currency(requests: Sequence[AllocationRequest], invoices: dict[int, Invoice]) -> str:
    currency = invoices[requests[0].invoice_id].currency
    for i, request in enumerate(requests):
        if invoices[request.invoice_id].currency != currency:
            raise DomainError(
                ErrorCode.CURRENCY_MISMATCH,
                "All invoices of one payment must be in the same currency.",
                f"allocations.{i}.invoice_id",
            )
    return currency


def _check_card_share(charged: int, currency: str, card: PaymentMethod | None) -> None:
    minimum = MIN_CARD_CHARGE_MINOR.get(currency, 50)
    if 0 < charged < minimum:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT,
            f"A card payment must be at least {to_decimal(minimum, currency)} {currency}.",
            "allocations",
        )
    if not charged and card is not None:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "The credit balance covers this payment: no card is needed.",
            "payment_method_id",
        )


def _check_requests(requests: Sequence[AllocationRequest]) -> None:
    if not requests:
        raise DomainError(ErrorCode.INVALID_INPUT, "Choose at least one invoice.", "allocations")
    if len(requests) > MAX_ALLOCATIONS:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"One payment covers at most {MAX_ALLOCATIONS} invoices.",
            "allocations",
        )
    seen: set[int] = set()
    for i, request in enumerate(requests):
        if request.invoice_id in seen:
            raise DomainError(
                ErrorCode.DUPLICATE_INVOICE,
                "An invoice is listed twice.",
                f"allocations.{i}.invoice_id",
            )
        seen.add(request.invoice_id)
        require_positive_amount(request.amount_minor, f"allocations.{i}.amount")


def _clean_key(idempotency_key: str) -> str:
    key = idempotency_key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"The idempotency key has 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable characters.",
            "idempotency_key",
        )
    return key


async def _saved_card(patient_id: int, payment_method_id: int) -> PaymentMethod:
    try:
        return await own_saved_card(patient_id, payment_method_id)
    except DomainError as error:
        raise DomainError(error.code, error.message, "payment_method_id") from None


async def _replay(
    owner: Mapping[str, int], key: str, requests: Sequence[AllocationRequest]
) -> Payment | None:
    payment = await Payment.filter(idempotency_key=key, **owner).first()
    if payment is None:
        return None
    recorded = await PaymentAllocation.filter(payment_id=payment.id).values_list(
        "invoice_id", "amount_minor"
    )
    asked = {(request.invoice_id, request.amount_minor) for request in requests}
    if {(int(invoice), int(amount)) for invoice, amount in recorded} != asked:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was used for a different payment.",
            "idempotency_key",
        )
    return payment
