"""GraphQL types of remittances: an 835 file, its claims and their adjustments."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.remittances.reads import claims_by_id, claims_of, count_remittances, remittances_by_id
from models.remittances import Remittance as RemittanceRow
from models.remittances import RemittanceClaim as RemittanceClaimRow
from models.remittances import RemittanceClaimStatus as RemittanceClaimStatus
from models.remittances import RemittanceStatus as RemittanceStatus
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.money import Money
from schema.common.node import nobody, visible_nodes_by_id
from schema.context import GraphQLContext
from schema.invoices.loaders import loaders_for
from schema.invoices.types import Invoice

described_enum(
    RemittanceStatus,
    "Where a remittance stands.",
    {
        "POSTED": "Every claim is posted to an invoice.",
        "NEEDS_MATCHING": "Some claims wait for staff (matchRemittanceClaim).",
    },
)
described_enum(
    RemittanceClaimStatus,
    "Where a claim of a remittance stands.",
    {
        "POSTED": "Posted to its invoice as the insurer's decision.",
        "UNMATCHED": (
            "It names no invoice we know, or its amounts do not fit the invoice; waiting for "
            "staff to match it."
        ),
        "REVERSED": "Posted, then taken back by the payer with a reversal claim (CLP02 = 22).",
    },
)

RowT = TypeVar("RowT")
NodeT = TypeVar("NodeT")

RESOURCE_TYPE = "Remittance"
CLAIM_RESOURCE_TYPE = "RemittanceClaim"


@strawberry.type(description="One adjustment of a claim (a CAS reason).")
class RemittanceAdjustment:
    group_code: str = strawberry.field(
        description=(
            "CO contractual (written off), PR patient responsibility, OA other and PI "
            "payer-initiated (both written off), CR correction."
        )
    )
    reason_code: str = strawberry.field(description="The claim adjustment reason code (CARC).")
    amount: Money = strawberry.field(description="The amount adjusted; negative adds back.")


@strawberry.type(description="One claim (CLP) of a remittance, matched to an invoice or not.")
class RemittanceClaim(relay.Node):
    id: relay.NodeID[int]
    claim_id: str = strawberry.field(
        description="The claim's number as the file gives it (CLP01): our invoice number."
    )
    status: RemittanceClaimStatus = strawberry.field(description="Where the claim stands.")
    charged: Money = strawberry.field(description="What the claim charged (CLP03).")
    paid: Money = strawberry.field(description="What the insurer paid (CLP04).")
    patient_responsibility: Money = strawberry.field(
        description="What the patient owes by the insurer's adjustments (group PR)."
    )
    adjustments: list[RemittanceAdjustment] = strawberry.field(
        description="The claim's adjustments, claim and service level, in the file's order."
    )
    invoice_id: strawberry.Private[int | None]

    @fields.field(description="The invoice it is posted to; null while unmatched.")
    async def invoice(self, info: Info[GraphQLContext, Any]) -> Invoice | None:
        if self.invoice_id is None or self.status is RemittanceClaimStatus.UNMATCHED:
            return None
        record = await loaders_for(info).invoice_by_id.load(self.invoice_id)
        if record is None:
            return None
        info.context.record_read("Invoice", record.id, record.patient_id)
        return Invoice.from_model(record)

    @classmethod
    def from_model(cls, row: RemittanceClaimRow) -> RemittanceClaim:
        adjustments = row.adjustments if isinstance(row.adjustments, list) else []
        return cls(
            id=row.id,
            claim_id=row.claim_number,
            status=RemittanceClaimStatus(row.status),
            charged=Money.from_minor(row.charged_minor, "USD"),
            paid=Money.from_minor(row.paid_minor, "USD"),
            patient_responsibility=Money.from_minor(row.patient_responsibility_minor, "USD"),
            adjustments=[
                RemittanceAdjustment(
                    group_code=str(entry["group"]),
                    reason_code=str(entry["reason"]),
                    amount=Money.from_minor(int(entry["amount_minor"]), "USD"),
                )
                for entry in adjustments
            ],
            invoice_id=row.invoice_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[RemittanceClaim | None]:
        """Claims, for staff who read every bill; null for anyone else."""
        return await _staff_nodes(
            info, node_ids, required, claims_by_id, cls.from_model, _record_claim
        )


@strawberry.type(description="An insurer's remittance advice: one X12 835 file, one payment.")
class Remittance(relay.Node):
    id: relay.NodeID[int]
    payer_name: str = strawberry.field(description="The paying insurer (N1*PR).")
    trace_number: str = strawberry.field(
        description="The payment's trace number (TRN02): a check or EFT number."
    )
    payment_amount: Money = strawberry.field(description="What the insurer paid (BPR02).")
    status: RemittanceStatus = strawberry.field(description="Where the remittance stands.")
    received_at: datetime.datetime = strawberry.field(description="When it was uploaded.")
    unmatched_claim_count: int = strawberry.field(
        description="How many of its claims wait for staff (matchRemittanceClaim)."
    )

    @fields.field(description="Its claims, in the file's order.")
    async def claims(self, info: Info[GraphQLContext, Any]) -> list[RemittanceClaim]:
        rows = await claims_of(self.id)
        for row in rows:
            _record_claim(info.context, row)
        return [RemittanceClaim.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, row: RemittanceRow) -> Remittance:
        return cls(
            id=row.id,
            payer_name=row.payer_name,
            trace_number=row.trace_number,
            payment_amount=Money.from_minor(row.payment_minor, row.currency),
            status=RemittanceStatus(row.status),
            received_at=row.received_at,
            unmatched_claim_count=row.unmatched_count,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Remittance | None]:
        """Remittances, for staff who read every bill; null for anyone else."""
        return await _staff_nodes(
            info, node_ids, required, remittances_by_id, cls.from_model, _record_remittance
        )


@strawberry.type(name="RemittanceConnection", description="A page of remittances.")
class RemittanceConnection(relay.Connection[Remittance]):
    unmatched_only: strawberry.Private[bool]

    @fields.field(description="How many remittances match the filter, on every page.")
    async def total_count(self) -> int:
        return await count_remittances(unmatched_only=self.unmatched_only)


async def _staff_nodes(
    info: Info[GraphQLContext, Any],
    node_ids: Iterable[str],
    required: bool,
    by_id: Callable[[Sequence[int]], Awaitable[dict[int, RowT]]],
    build: Callable[[RowT], NodeT],
    record: Callable[[GraphQLContext, RowT], None],
) -> list[NodeT | None]:
    """The rows ``node_ids`` name, for staff who read every bill; null for anyone else,
    exactly like a missing one."""

    async def load(ids: list[int]) -> list[RowT | None]:
        found = await by_id(ids)
        return [found.get(row_id) for row_id in ids]

    staff = info.context.viewer.can(Scope.BILLING_ALL_READ)
    return await visible_nodes_by_id(
        info,
        node_ids,
        required=required,
        load=load if staff else nobody,
        build=build,
        record=record,
    )


def _record_remittance(context: GraphQLContext, row: RemittanceRow) -> None:
    context.record_read(RESOURCE_TYPE, row.id, None)


def _record_claim(context: GraphQLContext, row: RemittanceClaimRow) -> None:
    context.record_read(CLAIM_RESOURCE_TYPE, row.id, None)
