"""What other domains learn when money moves, without payments importing them.

Payment plans must hear that a payment posted or failed (an installment's fate, a plan
shortened by a direct payment) and that a patient's default card changed (failed
installments try the new one). Plans depend on payments, so the arrow back is this
interface: a domain registers a ``PaymentListener`` when the app is assembled
(``billing.wiring``), and payments call the ``notify`` functions below inside the
transaction of the posting or failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from models.payments import Payment


class PaymentListener(Protocol):
    async def payment_posted(self, payment: Payment, invoice_ids: Sequence[int]) -> None:
        """``payment`` posted to ``invoice_ids``."""

    async def payment_failed(self, payment: Payment, failure_message: str | None) -> None:
        """``payment`` failed (declined, canceled) before anything posted."""

    async def payment_needs_authentication(self, payment: Payment) -> None:
        """An off-session charge of ``payment`` waits for the card holder to authenticate."""

    async def default_card_changed(self, patient_id: int) -> None:
        """The patient's default saved card is a new one."""


_listeners: list[PaymentListener] = []


def listen_to_payments(listener: PaymentListener) -> None:
    """Register ``listener`` (once: registering it again changes nothing)."""
    if listener not in _listeners:
        _listeners.append(listener)


async def payment_posted(payment: Payment, invoice_ids: Sequence[int]) -> None:
    for listener in _listeners:
        await listener.payment_posted(payment, invoice_ids)


async def payment_failed(payment: Payment, failure_message: str | None) -> None:
    for listener in _listeners:
        await listener.payment_failed(payment, failure_message)


async def payment_needs_authentication(payment: Payment) -> None:
    for listener in _listeners:
        await listener.payment_needs_authentication(payment)


async def default_card_changed(patient_id: int) -> None:
    for listener in _listeners:
        await listener.default_card_changed(patient_id)
