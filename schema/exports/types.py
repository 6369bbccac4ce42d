"""GraphQL types of exports."""

from __future__ import annotations

import datetime

import strawberry
from strawberry import relay

from models.exports import ExportKind
from schema.common.enums import described_enum
from schema.common.errors import Payload

described_enum(
    ExportKind,
    "What a CSV export holds.",
    {
        "INVOICES": "Invoices issued from `from` to `to`, one row each.",
        "PAYMENTS": "Payments made from `from` to `to`, one row each.",
        "RECEIVABLES_AGING": "Open balances as of today, by days past due.",
        "COLLECTIONS": "Billed, collected, refunded and adjusted per day, `from` to `to`.",
        "REVENUE_BY_SERVICE": "Quantity, billed and collected per code, `from` to `to`.",
    },
)


@strawberry.input(description="What to export. Staff only.")
class CreateExportInput:
    kind: ExportKind = strawberry.field(description="What the file holds.")
    from_: datetime.date | None = strawberry.field(
        default=None,
        name="from",
        description="The first date (included); required for COLLECTIONS and REVENUE_BY_SERVICE.",
    )
    to: datetime.date | None = strawberry.field(
        default=None,
        description="The last date (included); required for COLLECTIONS and REVENUE_BY_SERVICE.",
    )
    location_id: relay.GlobalID | None = strawberry.field(
        default=None, description="One location; null for all."
    )


@strawberry.type(description="The result of createExport.")
class CreateExportPayload(Payload):
    url: str | None = strawberry.field(
        default=None,
        description=(
            "A link to the CSV file, valid for 5 minutes; it carries no PHI and may be "
            "opened more than once until then. Null when errors is not empty."
        ),
    )
    expires_at: datetime.datetime | None = strawberry.field(
        default=None, description="When the link stops working."
    )
