"""GraphQL types of financial reports."""

from __future__ import annotations

from enum import Enum

import strawberry

from billing.reports.receivables import ReceivablesReport
from schema.common.enums import described_enum
from schema.common.money import Money


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
