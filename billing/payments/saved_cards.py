"""Saved cards: a Stripe Customer per patient, SetupIntents to save a card, and the rows
that show a patient's cards. The card number never reaches us: Stripe tells us, through
``setup_intent.succeeded``, which card was saved, and we keep its display facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.gateways.stripe import CardDetails, StripeGateway
from models.patients import Patient
from models.payments import PaymentMethod

NOT_FOUND_MESSAGE = "No such payment method."


@dataclass(frozen=True, slots=True)
class CardSetup:
    """What the mobile PaymentSheet needs to save a card to the patient's Customer."""

    customer_id: str
    client_secret: str
    ephemeral_key: str


def customer_idempotency_key(patient_id: int) -> str:
    """One key per patient, so concurrent first calls get one Stripe Customer."""
    return f"patient-{patient_id}-customer"


async def ensure_stripe_customer(patient_id: int, gateway: StripeGateway) -> str:
    """The patient's Stripe Customer id, creating the Customer on first need.

    Only the patient's row id goes to Stripe (as ``patient_ref``). The id is stored with a
    conditional update, so of two concurrent first calls one value is kept and both answer it.
    """
    patient = await Patient.get_or_none(id=patient_id).only("id", "stripe_customer_id")
    if patient is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such patient.")
    if patient.stripe_customer_id:
        return patient.stripe_customer_id
    customer_id = await gateway.create_customer(
        idempotency_key=customer_idempotency_key(patient_id), patient_ref=str(patient_id)
    )
    await Patient.filter(id=patient_id, stripe_customer_id__isnull=True).update(
        stripe_customer_id=customer_id
    )
    refreshed = await Patient.get(id=patient_id).only("id", "stripe_customer_id")
    stored = refreshed.stripe_customer_id
    if not stored:
        raise DomainError(ErrorCode.CONFLICT, "The payment account could not be set up.")
    return stored


async def start_saving_card(patient_id: int, gateway: StripeGateway) -> CardSetup:
    """A SetupIntent for the patient's Customer, with an ephemeral key for the app."""
    customer_id = await ensure_stripe_customer(patient_id, gateway)
    intent = await gateway.create_setup_intent(customer_id)
    ephemeral_key = await gateway.create_ephemeral_key(customer_id)
    return CardSetup(
        customer_id=customer_id, client_secret=intent.client_secret, ephemeral_key=ephemeral_key
    )


async def saved_cards(patient_id: int) -> list[PaymentMethod]:
    """The patient's cards still saved, the default first, then the newest."""
    return await PaymentMethod.filter(patient_id=patient_id, detached_at__isnull=True).order_by(
        "-is_default", "-created_at", "-id"
    )


async def own_saved_card(patient_id: int, payment_method_id: int) -> PaymentMethod:
    """One of the patient's saved cards; another patient's card is as missing as no card."""
    row = await PaymentMethod.get_or_none(
        id=payment_method_id, patient_id=patient_id, detached_at__isnull=True
    )
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, field="id")
    return row


async def remove_saved_card(
    patient_id: int, payment_method_id: int, gateway: StripeGateway
) -> PaymentMethod:
    """Detach one of the patient's cards at Stripe; the caller then marks it detached (in
    the transaction of its audit row) with ``mark_detached``."""
    row = await own_saved_card(patient_id, payment_method_id)
    await gateway.detach_payment_method(row.stripe_payment_method_id)
    return row


async def mark_detached(payment_method_id: int, now: datetime | None = None) -> bool:
    """Mark a card detached and, when it was the default, make the patient's newest other
    card the default. True when this call detached it (False: it already was). Call it
    inside a transaction, so the change and its audit row commit together."""
    async with in_transaction():
        row = await PaymentMethod.select_for_update().get_or_none(id=payment_method_id)
        if row is None or row.detached_at is not None:
            return False
        moved = await PaymentMethod.filter(id=row.id, detached_at__isnull=True).update(
            detached_at=(now or datetime.now(UTC)), is_default=False
        )
        if moved != 1:
            return False
        if row.is_default:
            await _promote_newest(row.patient_id)
    return True


async def save_card(patient_id: int, card: CardDetails) -> PaymentMethod | None:
    """Keep a card Stripe saved for the patient; the patient's first card becomes the
    default. None when the card is already kept (a repeated event saves nothing new)."""
    if await PaymentMethod.exists(stripe_payment_method_id=card.payment_method_id):
        return None
    has_default = await PaymentMethod.exists(
        patient_id=patient_id, detached_at__isnull=True, is_default=True
    )
    return await PaymentMethod.create(
        patient_id=patient_id,
        stripe_payment_method_id=card.payment_method_id,
        brand=card.brand[:32],
        last4=card.last4[:4],
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        is_default=not has_default,
    )


async def patient_of_customer(customer_id: str) -> int | None:
    """The patient whose Stripe Customer this is, if any."""
    patient = await Patient.get_or_none(stripe_customer_id=customer_id).only("id")
    return None if patient is None else patient.id


async def _promote_newest(patient_id: int) -> None:
    newest = (
        await PaymentMethod.filter(patient_id=patient_id, detached_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if newest is not None:
        await PaymentMethod.filter(id=newest.id).update(is_default=True)
