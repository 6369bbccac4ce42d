"""GraphQL types of organizations (business customers on net terms)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from auth.viewer import Viewer
from billing.invoices.reads import InvoiceFilters, InvoiceListing
from models.invoices import Invoice as InvoiceRow
from models.organizations import CollectionsOutcome, CollectionsTier
from models.organizations import CollectionsStep as CollectionsStepRow
from models.organizations import Organization as OrganizationRow
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.money import Money
from schema.common.node import visible_nodes_by_id
from schema.common.pagination import AfterArgument, FirstArgument
from schema.common.permissions import hidden_without
from schema.context import GraphQLContext
from schema.invoices.loaders import audience_for
from schema.organizations.loaders import organization_loaders

if TYPE_CHECKING:
    from schema.invoices.types import InvoiceConnection

RESOURCE_TYPE = "Organization"

described_enum(
    CollectionsTier,
    "Which collections schedule an organization's unpaid invoices follow (see the README).",
    {
        "STANDARD": ("Reminders before and on the due date and after it, then a flag for a call."),
        "ENTERPRISE": "One reminder before the due date, then only a flag for the account manager.",
    },
)


described_enum(
    CollectionsOutcome,
    "What a collections step did.",
    {
        "SENT": "A reminder was queued to the organization's billing address.",
        "FLAGGED": "The invoice was flagged for a person: a call, or the account manager.",
        "SKIPPED": "Not taken: a later step was due by the time collections ran.",
    },
)


@strawberry.type(description="One collections step taken for one of an organization's invoices.")
class CollectionsStep:
    invoice_number: str = strawberry.field(description="The invoice's number.")
    step: str = strawberry.field(
        description='The step, as the settings name it: "remind:-7", "flag:21", ...'
    )
    outcome: CollectionsOutcome = strawberry.field(description="What the step did.")
    taken_on: datetime.date = strawberry.field(description="The day collections took it.")


@strawberry.type(
    description=(
        "A business customer (a clinic, hospital or supplier) billed on net terms against "
        "purchase orders. It holds no patient data."
    )
)
class Organization(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="The organization's name.")
    billing_email: str = strawberry.field(description="Where its invoices and reminders go.")
    payment_terms_days: int = strawberry.field(
        description="Days from an invoice's issue date to its due date (30 for net 30)."
    )
    credit_limit: Money = strawberry.field(
        description="The most its open invoices may add up to; a new one beyond it is refused."
    )
    currency: str = strawberry.field(description="The ISO 4217 currency it is billed in.")
    collections_tier: CollectionsTier = strawberry.field(
        description="The collections schedule its unpaid invoices follow."
    )
    requires_purchase_order: bool = strawberry.field(
        description="Whether each of its invoices needs a purchase order number."
    )
    collections_paused: bool = strawberry.field(
        description="Whether every collections step for it is stopped (setCollectionsPaused)."
    )

    @fields.field(description="What it owes on invoices that are not void.")
    async def open_balance(self, info: Info[GraphQLContext, Any]) -> Money:
        figures = await organization_loaders(info).figures_by_organization.load(self.id)
        return Money.from_minor(figures.open_minor, self.currency)

    @fields.field(description="What it owes on invoices past their due date.")
    async def overdue_balance(self, info: Info[GraphQLContext, Any]) -> Money:
        figures = await organization_loaders(info).figures_by_organization.load(self.id)
        return Money.from_minor(figures.overdue_minor, self.currency)

    @fields.field(
        description=(
            "The collections steps taken for its invoices, newest first (at most 100): "
            "reminders sent and flags for a call. Empty for callers other than staff."
        ),
        extensions=[hidden_without(Scope.ORGANIZATIONS_READ)],
    )
    async def collections_steps(self) -> list[CollectionsStep]:
        rows = (
            await CollectionsStepRow.filter(organization_id=self.id)
            .order_by("-taken_on", "-id")
            .limit(100)
        )
        numbers = dict(
            await InvoiceRow.filter(id__in=[row.invoice_id for row in rows]).values_list(
                "id", "number"
            )
        )
        return [
            CollectionsStep(
                invoice_number=str(numbers.get(row.invoice_id, "")),
                step=row.step,
                outcome=row.outcome,
                taken_on=row.taken_on,
            )
            for row in rows
        ]

    @fields.field(description="Its invoices, newest first.")
    async def invoices(
        self,
        info: Info[GraphQLContext, Any],
        first: FirstArgument = None,
        after: AfterArgument = None,
    ) -> Annotated[InvoiceConnection, strawberry.lazy("schema.invoices.types")]:
        from schema.invoices.listing import invoice_connection

        audience = audience_for(info.context.viewer)
        if audience is None:
            raise ExpectedError(RequestErrorCode.FORBIDDEN, "You may not see bills.")
        listing = InvoiceListing(audience, InvoiceFilters(organization_id=self.id))
        return await invoice_connection(info, listing, first=first, after=after, order_by=None)

    @classmethod
    async def load(cls, info: Info[GraphQLContext, Any], organization_id: int) -> Organization:
        """The organization of an invoice the caller may see."""
        row = await organization_loaders(info).organization_by_id.load(organization_id)
        if row is None:  # The invoice's foreign key forbids it.
            raise LookupError(f"organization {organization_id} is missing")
        return cls.from_model(row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Organization | None]:
        """Any organization for staff who read organizations; an organization's own users
        their own one; null for anyone else, exactly as for a missing one."""
        viewer = info.context.viewer

        loader = organization_loaders(info).organization_by_id

        async def load(ids: list[int]) -> list[OrganizationRow | None]:
            visible = [row_id for row_id in ids if may_see_organization(viewer, row_id)]
            rows = dict(zip(visible, await loader.load_many(visible), strict=True))
            return [rows.get(row_id) for row_id in ids]

        return await visible_nodes_by_id(
            info, node_ids, required=required, load=load, build=cls.from_model, record=_record
        )

    @classmethod
    def from_model(cls, row: OrganizationRow) -> Organization:
        return cls(
            id=row.id,
            name=row.name,
            billing_email=row.billing_email,
            payment_terms_days=row.payment_terms_days,
            credit_limit=Money.from_minor(row.credit_limit_minor, row.currency),
            currency=row.currency,
            collections_tier=row.collections_tier,
            requires_purchase_order=row.requires_purchase_order,
            collections_paused=row.collections_paused,
        )


def may_see_organization(viewer: Viewer, organization_id: int) -> bool:
    """Staff who read organizations see any; an organization's user only their own."""
    if viewer.can(Scope.ORGANIZATIONS_READ):
        return True
    return viewer.can(Scope.ORGANIZATION_OWN_READ) and viewer.organization_id == organization_id


def _record(context: GraphQLContext, row: OrganizationRow) -> None:
    context.record_read(RESOURCE_TYPE, row.id, None)


@strawberry.type(name="OrganizationConnection", description="A page of organizations.")
class OrganizationConnection(relay.Connection[Organization]):
    pass
