"""Reservations: the part of an invoice's balance held by card payments still in flight.

``Invoice.reserved_minor`` is changed only here, always in the transaction that creates,
posts or releases the matching ``RESERVED`` allocations. Taking a reservation is one
conditional ``UPDATE`` (``balance - reserved >= amount``), so two payments racing for the
same balance cannot both win, on PostgreSQL or SQLite, across processes too. Invoices are
reserved in id order, so two payments over the same invoices take row locks in one order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tortoise.expressions import F

from billing.errors import DomainError, ErrorCode
from models.enums import AllocationStatus, InvoiceStatus
from models.invoices import Invoice
from models.payments import PaymentAllocation

EXCEEDS_MESSAGE = "The amount is more than what is left to pay on the invoice."


async def reserve_balances(amounts: Mapping[int, int], field_paths: Mapping[int, str]) -> None:
    """Hold ``amounts[invoice_id]`` of each invoice's unreserved balance.

    Call inside a transaction: when one invoice has too little left, raises
    ``AMOUNT_EXCEEDS_BALANCE`` (``field_paths[invoice_id]``) and the caller's rollback
    undoes the reservations already taken.
    """
    for invoice_id in sorted(amounts):
        amount = amounts[invoice_id]
        taken = await Invoice.filter(
            id=invoice_id,
            status__not=InvoiceStatus.VOID,
            balance_minor__gte=F("reserved_minor") + amount,
        ).update(reserved_minor=F("reserved_minor") + amount)
        if taken != 1:
            raise DomainError(
                ErrorCode.AMOUNT_EXCEEDS_BALANCE, EXCEEDS_MESSAGE, field_paths.get(invoice_id)
            )


async def release_reservations(allocations: Iterable[PaymentAllocation]) -> list[int]:
    """Give back what ``RESERVED`` allocations hold and mark them ``RELEASED``.

    Each allocation moves from ``RESERVED`` by a conditional update, so a release repeated
    (or racing a posting) gives nothing back twice. Returns the invoice ids released.
    """
    released: list[int] = []
    for allocation in sorted(allocations, key=lambda row: row.invoice_id):
        if await _leave_reserved(allocation, AllocationStatus.RELEASED):
            released.append(allocation.invoice_id)
    return released


async def settle_reservation(allocation: PaymentAllocation) -> bool:
    """Mark an allocation ``POSTED``; when it was ``RESERVED``, give its hold back (the
    ledger row posted in the same transaction now carries the money). False when it was
    already posted."""
    if allocation.status is AllocationStatus.POSTED:
        return False
    if await _leave_reserved(allocation, AllocationStatus.POSTED):
        return True
    moved = await PaymentAllocation.filter(
        id=allocation.id, status=AllocationStatus.RELEASED
    ).update(status=AllocationStatus.POSTED)
    if moved:
        allocation.status = AllocationStatus.POSTED
    return moved == 1


async def _leave_reserved(allocation: PaymentAllocation, status: AllocationStatus) -> bool:
    moved = await PaymentAllocation.filter(
        id=allocation.id, status=AllocationStatus.RESERVED
    ).update(status=status)
    if moved != 1:
        return False
    await Invoice.filter(id=allocation.invoice_id).update(
        reserved_minor=F("reserved_minor") - allocation.amount_minor
    )
    allocation.status = status
    return True
