"""GraphQL types of financial reports."""

from __future__ import annotations

import datetime
from enum import Enum

import strawberry

from auth.scopes import Scope
from billing.reports.collections import CollectionsRow
from billing.reports.local_time import Interval
from billing.reports.receivables import ReceivablesReport
from billing.reports.revenue import ServiceRevenueRow
from schema.common.enums import described_enum
from schema.common.money import Money
from schema.common.permissions import hidden_without


class ReportInterval(Enum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


described_enum(
    ReportInterval,
    "The length of a report's periods.",
    {
        "DAY": "Calendar days, in each location's time zone.",
        "WEEK": "Weeks from Monday, in each location's time zone.",
        "MONTH": "Calendar months, in each location's time zone.",
    },
)


INTERVALS = {
    ReportInterval.DAY: Interval.DAY,
    ReportInterval.WEEK: Interval.WEEK,
    ReportInterval.MONTH: Interval.MONTH,
}


@strawberry.type(description="What moved in one period, in one currency.")
class CollectionsPeriod:
    start: datetime.date = strawberry.field(description="The period's first local date.")
    billed: Money = strawberry.field(description="Charges.")
    collected: Money = strawberry.field(
        description="Patient payments applied to invoices, less overpayments moved to credit."
    )
    refunded: Money = strawberry.field(description="Refunds to payers and lost disputes.")
    adjusted: Money = strawberry.field(
        description="Discounts, write-offs and corrections, signed (negative lowers bills)."
    )

    @classmethod
    def from_row(cls, row: CollectionsRow) -> CollectionsPeriod:
        currency = row.currency
        return cls(
            start=row.start,
            billed=Money.from_minor(row.billed_minor, currency),
            collected=Money.from_minor(row.collected_minor, currency),
            refunded=Money.from_minor(row.refunded_minor, currency),
            adjusted=Money.from_minor(row.adjusted_minor, currency),
        )


@strawberry.type(description="What was billed and collected for one code, in one currency.")
class ServiceRevenue:
    code: str | None = strawberry.field(
        description="The procedure or product code; null for callers who may not see it.",
        extensions=[hidden_without(Scope.CLINICAL_READ)],
    )
    description: str | None = strawberry.field(
        description="What the code is; null for callers who may not see clinical details.",
        extensions=[hidden_without(Scope.CLINICAL_READ)],
    )
    quantity: int = strawberry.field(description="How many were billed.")
    billed: Money = strawberry.field(description="The sum of their line amounts.")
    collected: Money = strawberry.field(
        description="Their share of what patients paid on their invoices."
    )

    @classmethod
    def from_row(cls, row: ServiceRevenueRow) -> ServiceRevenue:
        return cls(
            code=row.code,
            description=row.description,
            quantity=row.quantity,
            billed=Money.from_minor(row.billed_minor, row.currency),
            collected=Money.from_minor(row.collected_minor, row.currency),
        )


class AgingRange(Enum):
    CURRENT = "CURRENT"
    DAYS_1_30 = "DAYS_1_30"
    DAYS_31_60 = "DAYS_31_60"
    DAYS_61_90 = "DAYS_61_90"
    OVER_90_DAYS = "OVER_90_DAYS"


described_enum(
    AgingRange,
    "How long past its due date an invoice is.",
    {
        "CURRENT": "Not due yet, or due today.",
        "DAYS_1_30": "1 to 30 days past due.",
        "DAYS_31_60": "31 to 60 days past due.",
        "DAYS_61_90": "61 to 90 days past due.",
        "OVER_90_DAYS": "More than 90 days past due.",
    },
)


@strawberry.type(description="The open balance of invoices in one aging range.")
class AgingBucket:
    bucket: AgingRange = strawberry.field(description="The range.")
    amount: Money = strawberry.field(description="The open balance of its invoices.")
    invoice_count: int = strawberry.field(description="How many invoices are in it.")


@strawberry.type(description="What has been billed and collected, and what is still owed.")
class Receivables:
    currency: str = strawberry.field(description="The currency of every figure here.")
    billed: Money = strawberry.field(description="The total of issued invoices.")
    collected: Money = strawberry.field(description="Payments received, less refunds.")
    outstanding: Money = strawberry.field(description="Open balances.")
    insurance_pending: Money = strawberry.field(
        description="The part of open balances insurers have not decided on."
    )
    aging: list[AgingBucket] = strawberry.field(
        description="Open balances by how overdue they are."
    )

    @classmethod
    def from_report(cls, report: ReceivablesReport) -> Receivables:
        currency = report.currency
        return cls(
            currency=currency,
            billed=Money.from_minor(report.billed_minor, currency),
            collected=Money.from_minor(report.collected_minor, currency),
            outstanding=Money.from_minor(report.outstanding_minor, currency),
            insurance_pending=Money.from_minor(report.insurance_pending_minor, currency),
            aging=[
                AgingBucket(
                    bucket=AgingRange(total.bucket.value),
                    amount=Money.from_minor(total.amount_minor, currency),
                    invoice_count=total.invoice_count,
                )
                for total in report.aging
            ],
        )
