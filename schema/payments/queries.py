"""Queries about payments and saved cards."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.errors import DomainError
from billing.invoices.reads import Audience
from billing.payments.reads import PaymentFilters, PaymentListing
from billing.payments.saved_cards import saved_cards
from schema.common import fields
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.ids import row_id
from schema.common.pagination import AfterArgument, FirstArgument
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.payments.listing import payment_connection
from schema.payments.types import PaymentChannel, PaymentConnection, PaymentMethod, PaymentStatus


@strawberry.input(
    description="Which payments staff list, across patients; every given condition must hold."
)
class StaffPaymentFilter:
    status: list[PaymentStatus] | None = strawberry.field(
        default=None, description="Any of these statuses; null or empty for any."
    )
    needs_review: bool | None = strawberry.field(
        default=None,
        description=(
            "True: only payments Stripe reported with another amount or currency than asked, "
            "waiting for resolvePaymentReview; false: only those that do not."
        ),
    )
    disputed: bool | None = strawberry.field(
        default=None, description="True: only those under an open card dispute; false: none."
    )
    channel: list[PaymentChannel] | None = strawberry.field(
        default=None, description="Any of these channels; null or empty for any."
    )
    from_: datetime.datetime | None = strawberry.field(
        default=None, name="from", description="Begun at or after this instant."
    )
    to: datetime.datetime | None = strawberry.field(
        default=None, description="Begun before this instant."
    )
    patient_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Of this patient."
    )
    location_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Paying invoices of this location."
    )


@strawberry.type
class PaymentQuery:
    @fields.field(
        description="The signed-in patient's saved cards, default first.",
        permission_classes=[requires(Scope.BILLING_OWN_READ)],
    )
    async def my_payment_methods(self, info: Info[GraphQLContext, Any]) -> list[PaymentMethod]:
        patient_id = info.context.viewer.patient_id
        if patient_id is None:
            raise ExpectedError(RequestErrorCode.FORBIDDEN, "Only patients have saved cards.")
        rows = await saved_cards(patient_id)
        for row in rows:
            info.context.record_read("PaymentMethod", row.id, row.patient_id)
        return [PaymentMethod.from_model(row) for row in rows]

    @fields.field(
        description=(
            "Every patient's payments, for staff, newest first: for example the ones that "
            "need review or are disputed."
        ),
        permission_classes=[requires(Scope.BILLING_ALL_READ)],
    )
    async def payments(
        self,
        info: Info[GraphQLContext, Any],
        first: FirstArgument = None,
        after: AfterArgument = None,
        filter: Annotated[
            StaffPaymentFilter | None,
            strawberry.argument(description="Which payments; null for all."),
        ] = None,
    ) -> PaymentConnection:
        listing = PaymentListing(Audience.everyone(), _filters(filter))
        return await payment_connection(info, listing, first=first, after=after)


def _filters(given: StaffPaymentFilter | None) -> PaymentFilters:
    if given is None:
        return PaymentFilters()
    for instant, name in ((given.from_, "from"), (given.to, "to")):
        if instant is not None and instant.tzinfo is None:
            raise ExpectedError(
                RequestErrorCode.BAD_USER_INPUT, f"`{name}` needs a time zone offset."
            )
    try:
        patient_id = None if given.patient_id is None else row_id(given.patient_id, "Patient", "")
        location_id = (
            None if given.location_id is None else row_id(given.location_id, "Location", "")
        )
    except DomainError as error:
        raise ExpectedError(RequestErrorCode.BAD_USER_INPUT, error.message) from None
    return PaymentFilters(
        statuses=tuple(given.status) if given.status else None,
        channels=tuple(given.channel) if given.channel else None,
        needs_review=given.needs_review,
        disputed=given.disputed,
        created_from=given.from_,
        created_to=given.to,
        patient_id=patient_id,
        location_id=location_id,
    )
