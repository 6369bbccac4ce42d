"""Revenue by service: per procedure or product code (and currency), how many were billed,
for how much, and what patients have paid for them, summed by the database.

Invoices issued from ``start`` to ``end`` (both included) that are not void count. Payments
are made per invoice, not per line, so an invoice's net patient payments (payments less
what went back) are shared among its lines in proportion to their amounts (rounded down
per line).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing.reports.collections import check_report_dates, require_location
from billing.reports.sql import SqlParameters, current_dialect, fetch_rows, whole
from models.enums import InvoiceStatus, LedgerEntryKind


@dataclass(frozen=True, slots=True)
class ServiceRevenueRow:
    code: str
    description: str
    currency: str
    quantity: int
    billed_minor: int
    collected_minor: int


async def revenue_by_service(
    start: date, end: date, location_id: int | None = None
) -> list[ServiceRevenueRow]:
    """One row per code and currency, in code order. The description is the code's
    alphabetically last one (a code's lines normally share one)."""
    check_report_dates(start, end)
    await require_location(location_id)
    params = SqlParameters(current_dialect())
    payment = params.add(LedgerEntryKind.PAYMENT.value)
    refund = params.add(LedgerEntryKind.REFUND.value)
    kinds = (
        f"{params.add(LedgerEntryKind.PAYMENT.value)}, {params.add(LedgerEntryKind.REFUND.value)}"
    )
    void = params.add(InvoiceStatus.VOID.value)
    first_day = params.add(start)
    last_day = params.add(end)
    where_location = ""
    if location_id is not None:
        where_location = f"AND i.location_id = {params.add(location_id)}"
    sql = f"""
        SELECT il.code AS code, MAX(il.description) AS description, i.currency AS currency,
               SUM(il.quantity) AS quantity, SUM(il.amount_minor) AS billed,
               SUM(CASE WHEN lt.lines_total > 0
                        THEN (il.amount_minor * CAST(COALESCE(paid.net, 0) AS BIGINT))
                             / CAST(lt.lines_total AS BIGINT)
                        ELSE 0 END) AS collected
        FROM invoice_line il
        JOIN invoice i ON i.id = il.invoice_id
        JOIN (SELECT invoice_id, SUM(amount_minor) AS lines_total
              FROM invoice_line GROUP BY invoice_id) lt ON lt.invoice_id = i.id
        LEFT JOIN (SELECT invoice_id,
                          SUM(CASE WHEN kind = {payment} THEN amount_minor
                                   WHEN kind = {refund} THEN -amount_minor
                                   ELSE 0 END) AS net
                   FROM ledger_entry WHERE kind IN ({kinds})
                   GROUP BY invoice_id) paid ON paid.invoice_id = i.id
        WHERE i.status <> {void}
          AND i.issued_at >= {first_day} AND i.issued_at <= {last_day}
          {where_location}
        GROUP BY il.code, i.currency
        ORDER BY il.code, i.currency
    """  # noqa: S608 - only placeholders and fixed expressions are put in the text
    rows = await fetch_rows(sql, params)
    return [
        ServiceRevenueRow(
            code=str(row["code"]),
            description=str(row["description"]),
            currency=str(row["currency"]),
            quantity=whole(row["quantity"]),
            billed_minor=whole(row["billed"]),
            collected_minor=whole(row["collected"]),
        )
        for row in rows
    ]
