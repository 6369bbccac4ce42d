"""Mutations of statements: a PDF link for an invoice, paper statements by post."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry import Info, relay
from tortoise.transactions import in_transaction

from auth.scopes import Scope
from billing.errors import DomainError
from billing.statements.links import LINK_ACTION, create_statement_link, statement_url
from billing.statements.paper import mark_paper_statement_mailed, request_paper_statement
from models.enums import AuditOutcome
from schema.common import fields
from schema.common.errors import ExpectedError, Payload, RequestErrorCode, UserError
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.invoices.loaders import audience_for
from schema.statements.types import RESOURCE_TYPE, PaperStatementRequest, row_id

PAPER_REQUEST_ACTION = "statement.paper_request"
PAPER_MAILED_ACTION = "statement.paper_mailed"


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
            "usable more than once until then. The URL names neither patient nor invoice."
        ),
        permission_classes=[requires(Scope.BILLING_OWN_READ)],
    )
    async def create_invoice_pdf_link(
        self, info: Info[GraphQLContext, Any], invoice_id: relay.GlobalID
    ) -> CreateInvoicePdfLinkPayload:
        context = info.context
        audience = audience_for(context.viewer)
        user_id = context.viewer.user_id
        if audience is None or user_id is None:
            raise ExpectedError(RequestErrorCode.FORBIDDEN, "Only patients have invoices.")
        try:
            async with in_transaction():
                link = await create_statement_link(
                    audience,
                    row_id(invoice_id, "Invoice"),
                    user_id,
                    now=datetime.datetime.now(datetime.UTC),
                )
                await context.audit.write_now(
                    LINK_ACTION,
                    AuditOutcome.SUCCESS,
                    resource_type="Invoice",
                    resource_id=str(link.invoice_id),
                    patient_id=link.patient_id,
                    reference=f"link:{link.id}",
                )
        except DomainError as error:
            context.audit.record_failure(LINK_ACTION, error)
            return CreateInvoicePdfLinkPayload(errors=[UserError.from_domain_error(error)])
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
    )
    async def request_paper_statement(
        self, info: Info[GraphQLContext, Any], invoice_ids: list[relay.GlobalID]
    ) -> RequestPaperStatementPayload:
        context = info.context
        patient_id = context.viewer.patient_id
        if patient_id is None:
            raise ExpectedError(RequestErrorCode.FORBIDDEN, "Only patients have invoices.")
        ids = [row_id(invoice_id, "Invoice") for invoice_id in invoice_ids]
        try:
            async with in_transaction():
                outcome = await request_paper_statement(
                    patient_id, ids, now=datetime.datetime.now(datetime.UTC)
                )
                if outcome.created:
                    await context.audit.write_now(
                        PAPER_REQUEST_ACTION,
                        AuditOutcome.SUCCESS,
                        resource_type=RESOURCE_TYPE,
                        resource_id=str(outcome.request.id),
                        patient_id=patient_id,
                    )
        except DomainError as error:
            context.audit.record_failure(PAPER_REQUEST_ACTION, error, patient_id=patient_id)
            return RequestPaperStatementPayload(errors=[UserError.from_domain_error(error)])
        if not outcome.created:
            context.audit.record(
                PAPER_REQUEST_ACTION,
                AuditOutcome.SUCCESS,
                resource_type=RESOURCE_TYPE,
                resource_id=str(outcome.request.id),
                patient_id=patient_id,
                reference="existing",
            )
        return RequestPaperStatementPayload(
            request=PaperStatementRequest.from_record(outcome.request)
        )

    @fields.mutation(
        description="Record that a requested paper statement was mailed. Staff only.",
        permission_classes=[requires(Scope.INVOICES_WRITE)],
    )
    async def mark_paper_statement_mailed(
        self, info: Info[GraphQLContext, Any], id: relay.GlobalID
    ) -> MarkPaperStatementMailedPayload:
        context = info.context
        user_id = context.viewer.user_id
        assert user_id is not None  # the permission let only a signed-in caller in
        try:
            async with in_transaction():
                record = await mark_paper_statement_mailed(
                    row_id(id, RESOURCE_TYPE), user_id, now=datetime.datetime.now(datetime.UTC)
                )
                await context.audit.write_now(
                    PAPER_MAILED_ACTION,
                    AuditOutcome.SUCCESS,
                    resource_type=RESOURCE_TYPE,
                    resource_id=str(record.id),
                    patient_id=record.patient_id,
                )
        except DomainError as error:
            context.audit.record_failure(PAPER_MAILED_ACTION, error)
            return MarkPaperStatementMailedPayload(errors=[UserError.from_domain_error(error)])
        return MarkPaperStatementMailedPayload(request=PaperStatementRequest.from_record(record))
