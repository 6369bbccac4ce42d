"""What else follows when a payment posts or fails, whatever the channel: payment plans
covering the invoices paid are shortened or completed, and installments learn their fate.
Called inside the transaction of the posting or failure."""

from __future__ import annotations

from collections.abc import Sequence

from models.payments import Payment


async def payment_posted_hooks(payment: Payment, invoice_ids: Sequence[int]) -> None:
    """After ``payment`` posted to ``invoice_ids``."""


async def payment_failed_hooks(payment: Payment, failure_message: str | None) -> None:
    """After ``payment`` failed."""
