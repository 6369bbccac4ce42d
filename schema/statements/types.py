"""GraphQL types of statements: paper statement requests and the staff queue of them."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import Any

import strawberry
from strawberry import Info, relay
from strawberry.relay.utils import from_base64, to_base64

from auth.scopes import Scope
from billing.statements.paper import PaperStatementRecord, paper_statements_by_id
from models.patients import Patient as PatientRow
from models.statements import PaperStatementStatus as PaperStatementStatus
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.node import nobody, visible_nodes_by_id
from schema.context import GraphQLContext
from schema.invoices.loaders import loaders_for
from schema.invoices.types import Invoice
from schema.patients.types import Patient

described_enum(
    PaperStatementStatus,
    "Where a request for a paper statement stands.",
    {
        "REQUESTED": "Waiting in the staff queue to be printed and mailed.",
        "MAILED": "Put in the post (mailedAt says when).",
    },
)

RESOURCE_TYPE = "PaperStatementRequest"
_CURSOR_PREFIX = "paper-statement"
# A positive 64-bit row id, in ASCII digits.
_ROW_ID = re.compile(r"[1-9][0-9]{0,17}")


@strawberry.type(description="A patient's request to get a statement by post.")
class PaperStatementRequest(relay.Node):
    id: relay.NodeID[int]
    status: PaperStatementStatus = strawberry.field(description="Where the request stands.")
    created_at: datetime.datetime = strawberry.field(description="When it was requested.")
    mailed_at: datetime.datetime | None = strawberry.field(
        description="When the statement was mailed; null until then."
    )
    invoice_ids: strawberry.Private[tuple[int, ...]]
    patient_id: strawberry.Private[int]
    patient_row: strawberry.Private[PatientRow | None] = None

    @fields.field(description="The invoices the statement covers.")
    async def invoices(self, info: Info[GraphQLContext, Any]) -> list[Invoice]:
        found = await loaders_for(info).invoice_by_id.load_many(list(self.invoice_ids))
        shown = []
        for record in found:
            if record is None:
                continue
            info.context.record_read("Invoice", record.id, record.patient_id)
            shown.append(Invoice.from_model(record))
        return shown

    @fields.field(description="Whose statement it is.")
    async def patient(self, info: Info[GraphQLContext, Any]) -> Patient:
        if self.patient_row is not None:
            return Patient.from_model(self.patient_row)
        return await Patient.load(info, self.patient_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[PaperStatementRequest | None]:
        """A patient's own requests, and any for staff who work the queue; null otherwise."""
        viewer = info.context.viewer
        if viewer.can(Scope.PATIENTS_READ):
            owner = None
        elif viewer.can(Scope.BILLING_OWN_READ) and viewer.patient_id is not None:
            owner = viewer.patient_id
        else:
            return await visible_nodes_by_id(
                info,
                node_ids,
                required=required,
                load=nobody,
                build=cls.from_record,
                record=_record_read,
            )

        async def load(ids: list[int]) -> list[PaperStatementRecord | None]:
            found = await paper_statements_by_id(ids, patient_id=owner)
            return [found.get(request_id) for request_id in ids]

        return await visible_nodes_by_id(
            info,
            node_ids,
            required=required,
            load=load,
            build=cls.from_record,
            record=_record_read,
        )

    @classmethod
    def from_record(
        cls, record: PaperStatementRecord, patient_row: PatientRow | None = None
    ) -> PaperStatementRequest:
        return cls(
            id=record.id,
            status=record.status,
            created_at=record.created_at,
            mailed_at=record.mailed_at,
            invoice_ids=record.invoice_ids,
            patient_id=record.patient_id,
            patient_row=patient_row,
        )


@strawberry.type(
    name="PaperStatementRequestConnection", description="A page of paper statement requests."
)
class PaperStatementRequestConnection(relay.Connection[PaperStatementRequest]):
    @classmethod
    def from_records(
        cls,
        records: Sequence[PaperStatementRecord],
        patients: dict[int, PatientRow],
        *,
        limit: int,
        after_given: bool,
    ) -> PaperStatementRequestConnection:
        """The page of ``records`` fetched with ``limit + 1`` rows, so that one row more
        than ``limit`` means another page follows."""
        edges = [
            relay.Edge(
                cursor=encode_paper_statement_cursor(record.id),
                node=PaperStatementRequest.from_record(record, patients.get(record.patient_id)),
            )
            for record in records[:limit]
        ]
        page_info = relay.PageInfo(
            has_next_page=len(records) > limit,
            has_previous_page=after_given,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return cls(edges=edges, page_info=page_info)


def _record_read(context: GraphQLContext, record: PaperStatementRecord) -> None:
    context.record_read(RESOURCE_TYPE, record.id, record.patient_id)


def encode_paper_statement_cursor(request_id: int) -> str:
    return to_base64(_CURSOR_PREFIX, request_id)


def decode_paper_statement_cursor(cursor: str) -> int:
    """The id of the request a cursor points at; ``BAD_USER_INPUT`` for anything else."""
    try:
        prefix, raw_id = from_base64(cursor)
    except ValueError:
        prefix, raw_id = "", ""
    if prefix != _CURSOR_PREFIX or not _ROW_ID.fullmatch(raw_id):
        raise ExpectedError(RequestErrorCode.BAD_USER_INPUT, "`after` is not a valid cursor.")
    return int(raw_id)


def row_id(global_id: relay.GlobalID, type_name: str) -> int | None:
    """The row a global ID names when it is of ``type_name``; ``None`` (no such row)
    otherwise, so a malformed ID and a missing row answer alike."""
    if global_id.type_name == type_name and _ROW_ID.fullmatch(global_id.node_id):
        return int(global_id.node_id)
    return None
