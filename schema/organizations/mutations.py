"""Mutations on organizations, with their inputs and payloads."""

from __future__ import annotations

import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth import use_cases as account_use_cases
from auth.scopes import Scope
from auth.use_cases import INVITE_ORGANIZATION_USER
from billing.errors import DomainError, ErrorCode
from billing.gateways.stripe import stripe_gateway
from billing.invoices.rules import NewInvoiceLine
from billing.money import normalize_currency, to_minor
from billing.organizations import use_cases
from billing.organizations.rules import NewOrganization
from billing.organizations.statements import MonthlyStatementRequester
from billing.organizations.use_cases import (
    CREATE_ORGANIZATION,
    CREATE_ORGANIZATION_INVOICE,
    CREATE_STATEMENT_LINK,
    SET_COLLECTIONS_PAUSED,
    SET_INVOICE_DISPUTED,
)
from billing.payments import use_cases as payment_use_cases
from billing.payments.use_cases import PAY_INVOICES, AllocationOrder
from billing.statements.links import statement_url
from models.enums import PaymentChannel
from models.organizations import CollectionsTier
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.errors import Payload
from schema.common.ids import row_id
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.invoices.mutations import InvoiceLineInput
from schema.invoices.types import Invoice
from schema.organizations.types import Organization
from schema.payments.mutations import PaymentAllocationInput
from schema.payments.types import Payment

OrganizationIdArgument = Annotated[
    relay.GlobalID, strawberry.argument(description="The organization (an Organization ID).")
]


@strawberry.input(description="A new organization (business customer). Staff only.")
class CreateOrganizationInput:
    name: str = strawberry.field(description="Its name, unique among organizations.")
    billing_email: str = strawberry.field(description="Where its invoices and reminders go.")
    payment_terms_days: int = strawberry.field(
        description="Days from issue to due date, 0 to 365 (30 for net 30)."
    )
    credit_limit: Decimal = strawberry.field(
        description="The most its open invoices may add up to, in major units."
    )
    currency: str = strawberry.field(default="USD", description="The ISO 4217 currency.")
    collections_tier: CollectionsTier = strawberry.field(
        default=CollectionsTier.STANDARD, description="The collections schedule it follows."
    )
    requires_purchase_order: bool = strawberry.field(
        default=False, description="Whether each invoice needs a purchase order number."
    )


@strawberry.input(description="A new invoice to an organization. Staff only.")
class CreateOrganizationInvoiceInput:
    organization_id: relay.GlobalID = strawberry.field(description="The organization billed.")
    location_id: relay.GlobalID = strawberry.field(description="The location issuing it.")
    purchase_order_number: str | None = strawberry.field(
        default=None,
        description="The organization's purchase order; required when it asks for one.",
    )
    currency: str = strawberry.field(
        default="USD", description="The ISO 4217 currency; the organization's own."
    )
    lines: list[InvoiceLineInput] = strawberry.field(description="The items; at least one.")


@strawberry.type(description="The result of createOrganization.")
class CreateOrganizationPayload(Payload):
    organization: Organization | None = strawberry.field(
        default=None, description="The new organization; null when errors is not empty."
    )


@strawberry.type(description="The result of createOrganizationInvoice.")
class CreateOrganizationInvoicePayload(Payload):
    invoice: Invoice | None = strawberry.field(
        default=None, description="The new invoice; null when errors is not empty."
    )


@strawberry.type(description="The result of setCollectionsPaused.")
class SetCollectionsPausedPayload(Payload):
    organization: Organization | None = strawberry.field(
        default=None, description="The organization afterwards; null when errors is not empty."
    )


@strawberry.type(description="The result of setInvoiceCollectionsDisputed.")
class SetInvoiceCollectionsDisputedPayload(Payload):
    invoice: Invoice | None = strawberry.field(
        default=None, description="The invoice afterwards; null when errors is not empty."
    )


@strawberry.type(description="The result of createOrganizationStatementLink.")
class CreateOrganizationStatementLinkPayload(Payload):
    url: str | None = strawberry.field(
        default=None, description="A short-lived link to the PDF; it names no organization."
    )
    expires_at: datetime.datetime | None = strawberry.field(
        default=None, description="When the link stops working."
    )


class OrganizationPaymentMethod(Enum):
    CARD = "CARD"
    US_BANK_ACCOUNT = "US_BANK_ACCOUNT"


described_enum(
    OrganizationPaymentMethod,
    "How an organization pays its invoices through Stripe.",
    {
        "CARD": "A corporate card, confirmed in the app with the clientSecret.",
        "US_BANK_ACCOUNT": (
            "A debit of a US bank account (ACH), confirmed in the app with the clientSecret: "
            "the invoices are PROCESSING for days, then PAID, or open again if it fails."
        ),
    },
)
_CHANNELS = {
    OrganizationPaymentMethod.CARD: PaymentChannel.CARD,
    OrganizationPaymentMethod.US_BANK_ACCOUNT: PaymentChannel.BANK_DEBIT,
}


@strawberry.input(description="What an organization's billing user pays, and how.")
class PayOrganizationInvoicesInput:
    allocations: list[PaymentAllocationInput] = strawberry.field(
        description="The organization's invoices and the amount for each."
    )
    method: OrganizationPaymentMethod = strawberry.field(description="Card or bank account.")
    idempotency_key: str = strawberry.field(
        description="Chosen by the app per payment attempt; a retry with it pays once."
    )


@strawberry.type(description="The result of payOrganizationInvoices.")
class PayOrganizationInvoicesPayload(Payload):
    payment: Payment | None = strawberry.field(
        default=None,
        description="The payment, with the clientSecret to confirm; null on errors.",
    )


@strawberry.type(description="The result of inviteOrganizationUser.")
class InviteOrganizationUserPayload(Payload):
    invitation_code: str | None = strawberry.field(
        default=None,
        description=(
            "The one-time code the user activates an account with (activateOrganizationAccount); "
            "shown once, valid for 7 days. Null when errors is not empty."
        ),
    )
    expires_at: datetime.datetime | None = strawberry.field(
        default=None, description="When the code stops working."
    )


@strawberry.type
class OrganizationMutation:
    @fields.mutation(
        description=(
            "Pay several of the caller's organization's invoices at once, by card or by US "
            "bank account, with one Stripe PaymentIntent. Organizations' billing users only."
        ),
        permission_classes=[requires(Scope.ORGANIZATION_OWN_PAY)],
        audit=PAY_INVOICES,
    )
    async def pay_organization_invoices(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            PayOrganizationInvoicesInput,
            strawberry.argument(description="What to pay, how, and the app's idempotency key."),
        ],
    ) -> PayOrganizationInvoicesPayload:
        context = info.context
        organization_id = context.viewer.organization_id
        if organization_id is None:
            raise DomainError(ErrorCode.FORBIDDEN, "Only an organization's user can pay here.")
        orders = [
            AllocationOrder(
                row_id(allocation.invoice_id, "Invoice", f"allocations.{index}.invoice_id"),
                allocation.amount,
            )
            for index, allocation in enumerate(input.allocations)
        ]
        started = await payment_use_cases.pay_organization_invoices(
            context.audit,
            organization_id,
            orders,
            idempotency_key=input.idempotency_key,
            channel=_CHANNELS[input.method],
            gateway=stripe_gateway(context.settings),
        )
        return PayOrganizationInvoicesPayload(
            payment=Payment.from_model(started.payment, client_secret=started.client_secret)
        )

    @fields.mutation(
        description=(
            "Invite a billing user of an organization: they see and pay only its invoices, "
            "and must use MFA. Staff only."
        ),
        permission_classes=[requires(Scope.ORGANIZATIONS_WRITE)],
        audit=INVITE_ORGANIZATION_USER,
    )
    async def invite_organization_user(
        self,
        info: Info[GraphQLContext, Any],
        organization_id: OrganizationIdArgument,
        email: Annotated[str, strawberry.argument(description="The user's email address.")],
    ) -> InviteOrganizationUserPayload:
        context = info.context
        invitation = await account_use_cases.invite_organization_user(
            context.audit,
            row_id(organization_id, "Organization", "organizationId"),
            email,
            invited_by=context.viewer.user_id or 0,
            secret_key=context.settings.secret_key.reveal(),
            now=datetime.datetime.now(datetime.UTC),
        )
        return InviteOrganizationUserPayload(
            invitation_code=invitation.code, expires_at=invitation.expires_at
        )

    @fields.mutation(
        description="Add a business customer billed on net terms. Staff only.",
        permission_classes=[requires(Scope.ORGANIZATIONS_WRITE)],
        audit=CREATE_ORGANIZATION,
    )
    async def create_organization(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            CreateOrganizationInput, strawberry.argument(description="The new organization.")
        ],
    ) -> CreateOrganizationPayload:
        new = NewOrganization(
            name=input.name,
            billing_email=input.billing_email,
            payment_terms_days=input.payment_terms_days,
            credit_limit=input.credit_limit,
            currency=input.currency,
            collections_tier=input.collections_tier,
            requires_purchase_order=input.requires_purchase_order,
        )
        row = await use_cases.create_organization(info.context.audit, new)
        return CreateOrganizationPayload(organization=Organization.from_model(row))

    @fields.mutation(
        description=(
            "Invoice an organization: due its payment terms after the issue date, refused "
            "with CREDIT_LIMIT_EXCEEDED when its open balance plus this total would pass "
            "its credit limit. The invoice names no patient. Staff only."
        ),
        permission_classes=[requires(Scope.ORGANIZATIONS_WRITE)],
        audit=CREATE_ORGANIZATION_INVOICE,
    )
    async def create_organization_invoice(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            CreateOrganizationInvoiceInput, strawberry.argument(description="The new invoice.")
        ],
    ) -> CreateOrganizationInvoicePayload:
        currency = normalize_currency(input.currency)
        lines = [
            NewInvoiceLine(
                code=line.code,
                description=line.description,
                quantity=line.quantity,
                unit_price_minor=to_minor(line.unit_price, currency, f"lines.{i}.unitPrice"),
                reorderable=line.reorderable,
                sku=line.sku,
            )
            for i, line in enumerate(input.lines)
        ]
        row = await use_cases.create_organization_invoice(
            info.context.audit,
            row_id(input.organization_id, "Organization", "organizationId"),
            row_id(input.location_id, "Location", "locationId"),
            input.purchase_order_number,
            currency,
            lines,
        )
        return CreateOrganizationInvoicePayload(invoice=Invoice.from_model(row))

    @fields.mutation(
        description=(
            "Stop (paused: true) or resume every collections step for an organization; the "
            "reason is on the access log. Staff only."
        ),
        permission_classes=[requires(Scope.ORGANIZATIONS_WRITE)],
        audit=SET_COLLECTIONS_PAUSED,
    )
    async def set_collections_paused(
        self,
        info: Info[GraphQLContext, Any],
        organization_id: OrganizationIdArgument,
        paused: Annotated[bool, strawberry.argument(description="True to pause, false to resume.")],
        reason: Annotated[
            str | None, strawberry.argument(description="Why, for the access log.")
        ] = None,
    ) -> SetCollectionsPausedPayload:
        row = await use_cases.set_collections_paused(
            info.context.audit,
            row_id(organization_id, "Organization", "organizationId"),
            paused,
            reason or "",
        )
        return SetCollectionsPausedPayload(organization=Organization.from_model(row))

    @fields.mutation(
        description=(
            "Mark an organization's invoice as disputed by its accounts payable (disputed: "
            "true), which pauses that invoice's collections steps, or clear it. Staff only."
        ),
        permission_classes=[requires(Scope.ORGANIZATIONS_WRITE)],
        audit=SET_INVOICE_DISPUTED,
    )
    async def set_invoice_collections_disputed(
        self,
        info: Info[GraphQLContext, Any],
        invoice_id: Annotated[
            relay.GlobalID, strawberry.argument(description="The invoice (an Invoice ID).")
        ],
        disputed: Annotated[
            bool, strawberry.argument(description="True when disputed, false once settled.")
        ],
        reason: Annotated[
            str | None, strawberry.argument(description="Why, for the access log.")
        ] = None,
    ) -> SetInvoiceCollectionsDisputedPayload:
        row = await use_cases.set_invoice_disputed(
            info.context.audit, row_id(invoice_id, "Invoice", "invoiceId"), disputed, reason or ""
        )
        return SetInvoiceCollectionsDisputedPayload(invoice=Invoice.from_model(row))

    @fields.mutation(
        description=(
            "A link to an organization's PDF statement of one month (opening balance, "
            "invoices, payments, closing balance, aging), valid for 5 minutes. Staff, or "
            "the organization's own users."
        ),
        permission_classes=[requires(Scope.ORGANIZATION_STATEMENTS)],
        audit=CREATE_STATEMENT_LINK,
    )
    async def create_organization_statement_link(
        self,
        info: Info[GraphQLContext, Any],
        organization_id: OrganizationIdArgument,
        month: Annotated[str, strawberry.argument(description='The month, such as "2026-11".')],
    ) -> CreateOrganizationStatementLinkPayload:
        viewer = info.context.viewer
        requester = MonthlyStatementRequester(
            user_id=viewer.user_id or 0,
            any_organization=viewer.can(Scope.ORGANIZATIONS_READ),
            organization_id=viewer.organization_id,
        )
        link = await use_cases.create_statement_link(
            info.context.audit,
            requester,
            row_id(organization_id, "Organization", "organizationId"),
            month,
        )
        return CreateOrganizationStatementLinkPayload(
            url=statement_url(info.context.settings.public_base_url, link.token),
            expires_at=link.expires_at,
        )
