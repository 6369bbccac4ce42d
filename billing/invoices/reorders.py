"""Reorders: a patient orders again the reorderable items (supplies) of a past invoice.

The reorder is a new ``OPEN`` invoice at the same location, by the same provider, that
remembers the invoice it repeats. Each item costs what the catalog asks today when its sku
is in the catalog (in the invoice's currency), otherwise what it cost last time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.invoices.rules import NewInvoiceLine, create_invoice
from models.invoices import CatalogItem, Invoice, InvoiceLine
from models.locations import Location

REORDER_PAYMENT_TERMS = timedelta(days=30)


async def reorder_items(
    patient_id: int,
    invoice_id: int,
    line_ids: Sequence[int] | None,
    *,
    today: date | None = None,
) -> Invoice:
    """A new order for the reorderable lines of the patient's invoice ``invoice_id``: all
    of them when ``line_ids`` is ``None``, else the chosen ones (each at most once).

    Another patient's invoice is ``NOT_FOUND``, exactly like a missing one. A chosen line
    that is not on the invoice is ``NOT_FOUND`` and one that is not reorderable is
    ``INVALID_INPUT``, each with its field path (``line_ids.0``); no line to order at all is
    ``NOTHING_TO_REORDER``. ``today`` defaults to the location's date; the order is due
    ``REORDER_PAYMENT_TERMS`` later.
    """
    async with in_transaction():
        original = await Invoice.get_or_none(id=invoice_id, patient_id=patient_id)
        if original is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such invoice.", "invoice_id")
        lines = await InvoiceLine.filter(invoice_id=original.id).order_by("position")
        chosen = _chosen_lines(lines, line_ids)
        prices = await _catalog_prices([line.sku for line in chosen if line.sku], original.currency)
        if today is None:
            location = await Location.get(id=original.location_id)
            today = datetime.now(ZoneInfo(location.timezone)).date()
        return await create_invoice(
            patient_id,
            original.location_id,
            original.provider_name,
            service_date=today,
            due_at=today + REORDER_PAYMENT_TERMS,
            currency=original.currency,
            lines=[
                NewInvoiceLine(
                    code=line.code,
                    description=line.description,
                    quantity=line.quantity,
                    unit_price_minor=prices.get(line.sku or "", line.unit_price_minor),
                    reorderable=True,
                    sku=line.sku,
                )
                for line in chosen
            ],
            issued_at=today,
            reordered_from_id=original.id,
        )


def _chosen_lines(
    lines: Sequence[InvoiceLine], line_ids: Sequence[int] | None
) -> list[InvoiceLine]:
    if line_ids is None:
        chosen = [line for line in lines if line.reorderable]
    else:
        on_invoice = {line.id: line for line in lines}
        chosen_ids: dict[int, InvoiceLine] = {}
        for index, line_id in enumerate(line_ids):
            line = on_invoice.get(line_id)
            field = f"line_ids.{index}"
            if line is None:
                raise DomainError(ErrorCode.NOT_FOUND, "No such item on this invoice.", field)
            if not line.reorderable:
                raise DomainError(ErrorCode.INVALID_INPUT, "This item cannot be reordered.", field)
            chosen_ids.setdefault(line.id, line)
        chosen = list(chosen_ids.values())
    if not chosen:
        raise DomainError(
            ErrorCode.NOTHING_TO_REORDER,
            "There is nothing to reorder.",
            None if line_ids is None else "line_ids",
        )
    return chosen


async def _catalog_prices(skus: Sequence[str], currency: str) -> dict[str, int]:
    """Today's unit price of each sku the catalog lists in ``currency``."""
    if not skus:
        return {}
    rows = await CatalogItem.filter(sku__in=sorted(set(skus)), currency=currency).values_list(
        "sku", "unit_price_minor"
    )
    return {str(sku): int(price) for sku, price in rows}
