"""What was billed, collected, refunded and adjusted per day, week or month, in each
location's own time zone, one row per period and currency, summed by the database over the
ledger.

- billed: charges (``CHARGE`` rows);
- collected: patient payments applied to invoices (``PAYMENT`` rows, any channel, credit
  balance spent included), less overpayments moved on to the credit balance;
- refunded: money returned off invoices: refunds to the payer and lost card disputes;
- adjusted: discounts, write-offs and corrections (``ADJUSTMENT`` rows, signed).

A ledger row counts in the period of its local date where its invoice's location is. Void
invoices are left out, like everywhere in the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from billing.errors import DomainError, ErrorCode
from billing.ledger.postings import OVERPAYMENT_REASON
from billing.reports.local_time import Interval, local_period_sql
from billing.reports.sql import SqlParameters, current_dialect, fetch_rows, whole
from models.enums import InvoiceStatus, LedgerEntryKind
from models.locations import Location

# A report longer than this is a mistake (a typo in a year).
MAX_REPORT_DAYS = 3700
# No time zone is more than 14 hours from UTC: a day either side covers every local date.
_ZONE_MARGIN = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CollectionsRow:
    """One period in one currency, amounts in minor units."""

    start: date
    currency: str
    billed_minor: int
    collected_minor: int
    refunded_minor: int
    adjusted_minor: int


def check_report_dates(start: date, end: date) -> None:
    """``INVALID_INPUT`` when ``end`` is before ``start`` or the span is implausibly long."""
    if end < start:
        raise DomainError(ErrorCode.INVALID_INPUT, "`to` is before `from`.", "to")
    if (end - start).days > MAX_REPORT_DAYS:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"A report covers at most {MAX_REPORT_DAYS} days.", "to"
        )


async def require_location(location_id: int | None) -> None:
    if location_id is not None and not await Location.exists(id=location_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such location.", "location_id")


async def collections_report(
    start: date, end: date, interval: Interval, location_id: int | None = None
) -> list[CollectionsRow]:
    """Rows for every period from the one holding ``start`` to the one holding ``end``
    (local dates, both included) that saw any movement, in period then currency order."""
    check_report_dates(start, end)
    await require_location(location_id)
    dialect = current_dialect()
    # Values are added in the order their placeholders appear: SQLite's are positional.
    params = SqlParameters(dialect)
    local_day = local_period_sql(dialect, "le.created_at", "l.timezone", Interval.DAY)
    period = local_period_sql(dialect, "le.created_at", "l.timezone", interval)
    charge = params.add(LedgerEntryKind.CHARGE.value)
    payment = params.add(LedgerEntryKind.PAYMENT.value)
    refund = params.add(LedgerEntryKind.REFUND.value)
    to_credit = params.add(OVERPAYMENT_REASON)
    refund_again = params.add(LedgerEntryKind.REFUND.value)
    to_credit_again = params.add(OVERPAYMENT_REASON)
    adjustment = params.add(LedgerEntryKind.ADJUSTMENT.value)
    void = params.add(InvoiceStatus.VOID.value)
    earliest = params.add(datetime.combine(start, time.min, UTC) - _ZONE_MARGIN)
    latest = params.add(datetime.combine(end + timedelta(days=1), time.min, UTC) + _ZONE_MARGIN)
    first_day = params.add(_date_value(dialect, start))
    last_day = params.add(_date_value(dialect, end))
    where_location = ""
    if location_id is not None:
        where_location = f"AND i.location_id = {params.add(location_id)}"
    sql = f"""
        SELECT period_start, currency,
               SUM(billed) AS billed, SUM(collected) AS collected,
               SUM(refunded) AS refunded, SUM(adjusted) AS adjusted
        FROM (
            SELECT {period} AS period_start, le.currency AS currency,
                   CASE WHEN le.kind = {charge} THEN le.amount_minor ELSE 0 END AS billed,
                   CASE WHEN le.kind = {payment} THEN le.amount_minor
                        WHEN le.kind = {refund} AND le.refund_id IS NULL
                             AND le.reason = {to_credit} THEN -le.amount_minor
                        ELSE 0 END AS collected,
                   CASE WHEN le.kind = {refund_again}
                             AND NOT (le.refund_id IS NULL AND le.reason = {to_credit_again})
                        THEN le.amount_minor ELSE 0 END AS refunded,
                   CASE WHEN le.kind = {adjustment} THEN le.amount_minor ELSE 0 END AS adjusted
            FROM ledger_entry le
            JOIN invoice i ON i.id = le.invoice_id
            JOIN location l ON l.id = i.location_id
            WHERE i.status <> {void}
              AND le.created_at >= {earliest} AND le.created_at < {latest}
              AND {local_day} >= {first_day} AND {local_day} <= {last_day}
              {where_location}
        ) movements
        GROUP BY period_start, currency
        ORDER BY period_start, currency
    """  # noqa: S608 - only placeholders and fixed expressions are put in the text
    rows = await fetch_rows(sql, params)
    return [
        CollectionsRow(
            start=_as_date(row["period_start"]),
            currency=str(row["currency"]),
            billed_minor=whole(row["billed"]),
            collected_minor=whole(row["collected"]),
            refunded_minor=whole(row["refunded"]),
            adjusted_minor=whole(row["adjusted"]),
        )
        for row in rows
    ]


def _date_value(dialect: str, day: date) -> date | str:
    # SQLite's local_period answers ISO text; PostgreSQL compares dates.
    return day if dialect == "postgres" else day.isoformat()


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
