"""Mutations of statements: a PDF link for an invoice, paper statements by post."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.statements import use_cases
from billing.statements.links import statement_url
from billing.statements.use_cases import (
    CREATE_PDF_LINK,
    MARK_PAPER_STATEMENT_MAILED,
    REQUEST_PAPER_STATEMENT,
)
from schema.common import fields
from schema.common.errors import ExpectedError, Payload, RequestErrorCode
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.invoices.loaders import audience_for
from schema.statements.types import RESOURCE_TYPE, PaperStatementRequest, row_id


@strawberry.type(description="The result of createInvoicePdfLink.")
class CreateInvoicePdfLinkPayload(Payload):
    url: str | None = strawberry.field(
        default=None, description="A short-lived link to the PDF; it carries no PHI."
    )
    expires_at: datetime.datetime | None = strawberry.field(
        default=None, description="When the link stops working."
    )


@strawberry.type(description="The result of requestPaperStatement.")
class RequestPaperStatementPayload(Payload):
    request: PaperStatementRequest | None = strawberry.field(
        default=None, description="The request; null when errors is not empty."
    )


@strawberry.type(description="The result of markPaperStatementMailed.")
class MarkPaperStatementMailedPayload(Payload):
    request: PaperStatementRequest | None = strawberry.field(
        default=None, description="The request afterwards; null when errors is not empty."
    )


@strawberry.type
class StatementMutation:
    @fields.mutation(
        description=(
            "A link to a printable PDF statement of an invoice, valid for 5 minutes and "
            "usable more than once until then. The URL names neither patient nor invoice. "
            "Patients ask for their own invoices, billing staff for any (to print or send); "
            "the statement shows procedure codes, so accountants may not."
        ),
        permission_classes=[requires(Scope.INVOICE_STATEMENTS)],
        audit=CREATE_PDF_LINK,
    )
    async def create_invoice_pdf_link(
        self,
        info: Info[GraphQLContext, Any],
        invoice_id: Annotated[
            relay.GlobalID, strawberry.argument(description="The invoice (an Invoice ID).")
        ],
    ) -> CreateInvoicePdfLinkPayload:
        context = info.context
        audience = audience_for(context.viewer)
        user_id = context.viewer.user_id
        if audience is None or user_id is None:
            raise ExpectedError(RequestErrorCode.FORBIDDEN, "This account reads no invoices.")
        link = await use_cases.create_pdf_link(
            context.audit, audience, row_id(invoice_id, "Invoice"), user_id, now=_now()
        )
        return CreateInvoicePdfLinkPayload(
            url=statement_url(context.settings.public_base_url, link.token),
            expires_at=link.expires_at,
        )

    @fields.mutation(
        description=(
            "Ask for a statement of these invoices by post. Asking again the same day for "
            "the same invoices returns the same request."
        ),
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
        audit=REQUEST_PAPER_STATEMENT,
    )
    async def request_paper_statement(
        self,
        info: Info[GraphQLContext, Any],
        invoice_ids: Annotated[
            list[relay.GlobalID],
            strawberry.argument(description="The patient's invoices to mail, 1 to 50 Invoice IDs."),
        ],
    ) -> RequestPaperStatementPayload:
        context = info.context
        patient_id = context.viewer.patient_id
        if patient_id is None:
            raise ExpectedError(RequestErrorCode.FORBIDDEN, "Only patients have invoices.")
        record = await use_cases.ask_for_paper_statement(
            context.audit,
            patient_id,
            [row_id(invoice_id, "Invoice") for invoice_id in invoice_ids],
            now=_now(),
        )
        return RequestPaperStatementPayload(request=PaperStatementRequest.from_record(record))

    @fields.mutation(
        description="Record that a requested paper statement was mailed. Staff only.",
        permission_classes=[requires(Scope.INVOICES_WRITE)],
        audit=MARK_PAPER_STATEMENT_MAILED,
    )
    async def mark_paper_statement_mailed(
        self,
        info: Info[GraphQLContext, Any],
        id: Annotated[
            relay.GlobalID,
            strawberry.argument(description="The request (a PaperStatementRequest ID)."),
        ],
    ) -> MarkPaperStatementMailedPayload:
        context = info.context
        user_id = context.viewer.user_id
        assert user_id is not None  # the permission let only a signed-in caller in
        record = await use_cases.mark_mailed(
            context.audit, row_id(id, RESOURCE_TYPE), user_id, now=_now()
        )
        return MarkPaperStatementMailedPayload(request=PaperStatementRequest.from_record(record))


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
