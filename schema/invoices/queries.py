"""Queries about invoices, with their filter and order inputs."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.errors import DomainError
from billing.invoices.reads import (
    Audience,
    InvoiceFilters,
    InvoiceListing,
    patient_today,
    todays_by_timezone,
)
from billing.money import to_minor
from schema.common import fields
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.ids import row_id
from schema.common.pagination import AfterArgument, FirstArgument
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.invoices.listing import InvoiceOrder, check_page_arguments, invoice_connection
from schema.invoices.types import InvoiceConnection, InvoiceCustomer, InvoiceStatus

# Longer than any claim waits on an insurer; more is a typo.
_MAX_PENDING_DAYS = 3650


@strawberry.input(description="Which invoices to list; every given condition must hold.")
class InvoiceFilter:
    status: list[InvoiceStatus] | None = strawberry.field(
        default=None, description="Any of these statuses; null or empty for any status."
    )
    provider_name: str | None = strawberry.field(
        default=None, description="Providers whose name contains this text, ignoring case."
    )
    issued_from: datetime.date | None = strawberry.field(
        default=None, description="Issued on or after this date."
    )
    issued_to: datetime.date | None = strawberry.field(
        default=None, description="Issued on or before this date."
    )
    overdue: bool | None = strawberry.field(
        default=None,
        description=(
            "True: only overdue invoices (due before today, where the patient lives, with a "
            "balance left, not void), as Invoice.overdue says; false: only those not overdue."
        ),
    )


@strawberry.input(
    description="Which invoices staff list, across patients; every given condition must hold."
)
class StaffInvoiceFilter:
    location_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Issued by this location."
    )
    patient_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Of this patient."
    )
    status: list[InvoiceStatus] | None = strawberry.field(
        default=None, description="Any of these statuses; null or empty for any status."
    )
    overdue: bool | None = strawberry.field(
        default=None,
        description=(
            "True: only overdue invoices (due before today where the patient lives, with a "
            "balance left, not void), as Invoice.overdue says; false: only those not overdue."
        ),
    )
    disputed: bool | None = strawberry.field(
        default=None, description="True: only those under an open card dispute; false: none."
    )
    insurance_pending_days: int | None = strawberry.field(
        default=None,
        description=(
            "Only invoices with insurance still pending that was expected from the insurer "
            "at least this many days ago (0 or more)."
        ),
    )
    issued_from: datetime.date | None = strawberry.field(
        default=None, description="Issued on or after this date."
    )
    issued_to: datetime.date | None = strawberry.field(
        default=None, description="Issued on or before this date."
    )
    min_balance: Decimal | None = strawberry.field(
        default=None,
        description="Only those with at least this balance left, in the invoice's currency.",
    )
    provider_name: str | None = strawberry.field(
        default=None, description="Providers whose name contains this text, ignoring case."
    )
    billed_to: InvoiceCustomer | None = strawberry.field(
        default=None,
        description="Only patients' invoices, or only organizations'; null for both.",
    )


@strawberry.type
class InvoiceQuery:
    @fields.field(
        description=(
            "Every patient's invoices, for staff, newest first by default: for example "
            "the overdue ones of a location, or those waiting on insurance for 30 days."
        ),
        permission_classes=[requires(Scope.BILLING_ALL_READ)],
    )
    async def invoices(
        self,
        info: Info[GraphQLContext, None],
        first: FirstArgument = None,
        after: AfterArgument = None,
        filter: Annotated[
            StaffInvoiceFilter | None,
            strawberry.argument(description="Which invoices; null for all."),
        ] = None,
        order_by: Annotated[
            InvoiceOrder | None,
            strawberry.argument(description="The order; null for newest issued first."),
        ] = None,
    ) -> InvoiceConnection:
        currencies = info.context.settings.currencies
        listing = InvoiceListing(Audience.everyone(), await _staff_filters(filter, currencies))
        return await invoice_connection(info, listing, first=first, after=after, order_by=order_by)

    @fields.field(
        description="The signed-in patient's invoices, newest first by default.",
        permission_classes=[requires(Scope.BILLING_OWN_READ)],
    )
    async def my_invoices(
        self,
        info: Info[GraphQLContext, None],
        first: FirstArgument = None,
        after: AfterArgument = None,
        filter: Annotated[
            InvoiceFilter | None, strawberry.argument(description="Which invoices; null for all.")
        ] = None,
        order_by: Annotated[
            InvoiceOrder | None,
            strawberry.argument(description="The order; null for newest issued first."),
        ] = None,
    ) -> InvoiceConnection:
        check_page_arguments(first, after, order_by)
        patient_id = info.context.viewer.patient_id
        if patient_id is None:
            raise ExpectedError(RequestErrorCode.FORBIDDEN, "Only patients have invoices.")
        listing = InvoiceListing(Audience.patient(patient_id), await _filters(filter, patient_id))
        return await invoice_connection(info, listing, first=first, after=after, order_by=order_by)


async def _filters(given: InvoiceFilter | None, patient_id: int) -> InvoiceFilters:
    if given is None:
        return InvoiceFilters()
    # "Today" matters only to the overdue condition; it is the patient's local date.
    today = None if given.overdue is None else await patient_today(patient_id)
    provider = (given.provider_name or "").strip()
    return InvoiceFilters(
        today=today,
        statuses=tuple(given.status) if given.status else None,
        provider_contains=provider or None,
        issued_from=given.issued_from,
        issued_to=given.issued_to,
        overdue=given.overdue,
    )


async def _staff_filters(
    given: StaffInvoiceFilter | None, currencies: tuple[str, ...]
) -> InvoiceFilters:
    if given is None:
        return InvoiceFilters()
    try:
        return await _checked_staff_filters(given, currencies)
    except DomainError as error:
        raise ExpectedError(RequestErrorCode.BAD_USER_INPUT, error.message) from None


async def _checked_staff_filters(
    given: StaffInvoiceFilter, currencies: tuple[str, ...]
) -> InvoiceFilters:
    pending_since = None
    if given.insurance_pending_days is not None:
        days = given.insurance_pending_days
        if not 0 <= days <= _MAX_PENDING_DAYS:
            raise ExpectedError(
                RequestErrorCode.BAD_USER_INPUT,
                f"insurancePendingDays must be 0 to {_MAX_PENDING_DAYS}.",
            )
        pending_since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
    least = None
    if given.min_balance is not None:
        least = tuple(
            (currency, to_minor(given.min_balance, currency, "minBalance"))
            for currency in currencies
        )
    provider = (given.provider_name or "").strip()
    return InvoiceFilters(
        statuses=tuple(given.status) if given.status else None,
        provider_contains=provider or None,
        issued_from=given.issued_from,
        issued_to=given.issued_to,
        overdue=given.overdue,
        today_by_timezone=None if given.overdue is None else await todays_by_timezone(),
        location_id=_optional_id(given.location_id, "Location", "locationId"),
        patient_id=_optional_id(given.patient_id, "Patient", "patientId"),
        disputed=given.disputed,
        billed_to_organization=(
            None if given.billed_to is None else given.billed_to is InvoiceCustomer.ORGANIZATION
        ),
        insurance_pending_since=pending_since,
        min_balance_minor=least,
    )


def _optional_id(value: relay.GlobalID | None, type_name: str, field: str) -> int | None:
    return None if value is None else row_id(value, type_name, field)
