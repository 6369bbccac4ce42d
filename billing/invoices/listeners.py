"""What other domains learn when invoices change, without invoices importing them.

A write-off or discount lowers what an invoice owes, and a payment plan covering it must
shrink to match. Plans depend on invoices, so the arrow back is this interface, registered
when the app is assembled (``billing.wiring``) and called inside the change's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class InvoiceBalanceListener(Protocol):
    async def balances_lowered(self, invoice_ids: Sequence[int]) -> None:
        """What ``invoice_ids`` owe went down (a payment, a write-off)."""


_listeners: list[InvoiceBalanceListener] = []


def listen_to_invoice_balances(listener: InvoiceBalanceListener) -> None:
    """Register ``listener`` (once: registering it again changes nothing)."""
    if listener not in _listeners:
        _listeners.append(listener)


async def balances_lowered(invoice_ids: Sequence[int]) -> None:
    for listener in _listeners:
        await listener.balances_lowered(invoice_ids)
