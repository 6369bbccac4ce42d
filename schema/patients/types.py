"""GraphQL types of patients: the record staff open, its address and coverages."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info, relay
from tortoise.expressions import Q

from auth.scopes import Scope
from billing.invoices.reads import InvoiceFilters, InvoiceListing
from billing.ledger.credits import patient_credit_balance
from billing.patients.coverages import CoverageRecord
from billing.patients.rules import PatientProfile, display_name, read_patient_profile
from billing.patients.search import count_matches
from billing.payments.reads import PaymentFilters, PaymentListing
from billing.plans.reads import patient_plans
from models.patients import Coverage as CoverageRow
from models.patients import Patient as PatientRow
from schema.common import fields
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.money import Money
from schema.common.node import visible_nodes_by_id
from schema.common.pagination import AfterArgument, FirstArgument
from schema.common.permissions import hidden_without
from schema.context import GraphQLContext
from schema.invoices.loaders import audience_for
from schema.patients.cipher import phi_cipher
from schema.patients.loaders import patient_loaders, primary_currency

if TYPE_CHECKING:
    from schema.invoices.types import InvoiceConnection
    from schema.payments.types import PaymentConnection
    from schema.plans.types import PaymentPlan

RESOURCE_TYPE = "Patient"
COVERAGE_RESOURCE_TYPE = "Coverage"


@strawberry.type(description="Where a patient's statements are mailed.")
class MailingAddress:
    line1: str = strawberry.field(description="Street address.")
    line2: str | None = strawberry.field(description="Apartment, suite, unit; null if none.")
    city: str = strawberry.field(description="City or town.")
    region: str | None = strawberry.field(description="State, province or region; null if none.")
    postal_code: str = strawberry.field(description="ZIP or postal code.")
    country: str = strawberry.field(description='ISO 3166-1 alpha-2 country code, such as "US".')


@strawberry.type(description="An insurance policy of a patient. Staff only.")
class Coverage(relay.Node):
    id: relay.NodeID[int]
    payer_name: str = strawberry.field(description="The insurer.")
    member_id: str = strawberry.field(
        description="The patient's member id with the insurer; encrypted at rest."
    )
    group_number: str | None = strawberry.field(
        description="The plan's group number; null if none."
    )
    priority: int = strawberry.field(description="1 for the primary coverage, 2 secondary, ...")

    @classmethod
    def from_record(cls, record: CoverageRecord) -> Coverage:
        return cls(
            id=record.id,
            payer_name=record.payer_name,
            member_id=record.member_id,
            group_number=record.group_number,
            priority=record.priority,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Coverage | None]:
        """Coverages for staff who read patient records; null for everyone else."""
        viewer = info.context.viewer
        loaders = patient_loaders(info)

        async def load(ids: list[int]) -> list[CoverageRecord | None]:
            if not viewer.can(Scope.PATIENTS_READ):
                return [None] * len(ids)
            rows = await CoverageRow.filter(id__in=ids).values_list("id", "patient_id")
            owners = sorted({int(patient_id) for _coverage_id, patient_id in rows})
            found = {
                record.id: record
                for records in await loaders.coverages_by_patient.load_many(owners)
                for record in records
            }
            return [found.get(coverage_id) for coverage_id in ids]

        return await visible_nodes_by_id(
            info,
            node_ids,
            required=required,
            load=load,
            build=cls.from_record,
            record=lambda context, record: context.record_read(
                COVERAGE_RESOURCE_TYPE, record.id, record.patient_id
            ),
        )


@strawberry.type(
    description=(
        "A person we bill. Personal details are encrypted at rest; they read as null for "
        "callers who may not see patient records (accountants see names only as displayName)."
    )
)
class Patient(relay.Node):
    id: relay.NodeID[int]
    location_id: strawberry.Private[int | None]
    # The row it was built from, so reading a field needs no query.
    row: strawberry.Private[PatientRow]
    profile: strawberry.Private[PatientProfile | None] = None

    @fields.field(
        description=(
            "The patient's account number, such as 1234-5678-9: random (it says nothing "
            "about the patient), unique, printed on statements and read out on the phone."
        )
    )
    def account_number(self, info: Info[GraphQLContext, Any]) -> str:
        self._record(info)
        return self.row.account_number

    @fields.field(description="The patient's name as shown to the patient and staff.")
    def display_name(self, info: Info[GraphQLContext, Any]) -> str:
        return display_name(self._profile(info))

    @fields.field(
        description="Given name; null for callers who may not see patient records.",
        extensions=[hidden_without(Scope.PATIENTS_READ)],
    )
    def first_name(self, info: Info[GraphQLContext, Any]) -> str | None:
        return self._profile(info).first_name

    @fields.field(
        description="Family name; null for callers who may not see patient records.",
        extensions=[hidden_without(Scope.PATIENTS_READ)],
    )
    def last_name(self, info: Info[GraphQLContext, Any]) -> str | None:
        return self._profile(info).last_name

    @fields.field(
        description="Date of birth; null for callers who may not see patient records.",
        extensions=[hidden_without(Scope.PATIENTS_READ)],
    )
    def date_of_birth(self, info: Info[GraphQLContext, Any]) -> datetime.date | None:
        return self._profile(info).date_of_birth

    @fields.field(
        description="Email address; null when unknown or hidden from the caller.",
        extensions=[hidden_without(Scope.PATIENTS_READ)],
    )
    def email(self, info: Info[GraphQLContext, Any]) -> str | None:
        return self._profile(info).email

    @fields.field(
        description="Phone number in E.164 (+13125550142); null when unknown or hidden.",
        extensions=[hidden_without(Scope.PATIENTS_READ)],
    )
    def phone(self, info: Info[GraphQLContext, Any]) -> str | None:
        return self._profile(info).phone

    @fields.field(
        description="Where statements are mailed; null when unknown or hidden.",
        extensions=[hidden_without(Scope.PATIENTS_READ)],
    )
    def mailing_address(self, info: Info[GraphQLContext, Any]) -> MailingAddress | None:
        address = self._profile(info).mailing_address
        if address is None:
            return None
        return MailingAddress(
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            region=address.region,
            postal_code=address.postal_code,
            country=address.country,
        )

    @fields.field(
        description=(
            "Insurance coverages, primary first; null for callers who may not see patient records."
        ),
        extensions=[hidden_without(Scope.PATIENTS_READ)],
    )
    async def coverages(self, info: Info[GraphQLContext, Any]) -> list[Coverage] | None:
        records = await patient_loaders(info).coverages_by_patient.load(self.id)
        for record in records:
            info.context.record_read(COVERAGE_RESOURCE_TYPE, record.id, self.id)
        return [Coverage.from_record(record) for record in records]

    @fields.field(
        description=(
            "What the patient still owes on invoices that are not void, in the service's "
            "first currency."
        )
    )
    async def balance(self, info: Info[GraphQLContext, Any]) -> Money:
        self._record(info)
        currency = primary_currency(info.context.settings.currencies)
        owed = await patient_loaders(info).balance_by_patient.load(self.id)
        return Money.from_minor(owed, currency)

    @fields.field(description="Money the patient has with us (overpayments) to spend on invoices.")
    async def credit_balance(self, info: Info[GraphQLContext, Any]) -> Money:
        self._record(info)
        currency = primary_currency(info.context.settings.currencies)
        return Money.from_minor(await patient_credit_balance(self.id, currency), currency)

    @fields.field(description="The patient's invoices, newest first.")
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
        listing = InvoiceListing(audience, InvoiceFilters(patient_id=self.id))
        return await invoice_connection(info, listing, first=first, after=after, order_by=None)

    @fields.field(description="The patient's payments, newest first.")
    async def payments(
        self,
        info: Info[GraphQLContext, Any],
        first: FirstArgument = None,
        after: AfterArgument = None,
    ) -> Annotated[PaymentConnection, strawberry.lazy("schema.payments.types")]:
        from schema.payments.listing import payment_connection

        audience = audience_for(info.context.viewer)
        if audience is None:
            raise ExpectedError(RequestErrorCode.FORBIDDEN, "You may not see payments.")
        listing = PaymentListing(audience, PaymentFilters(patient_id=self.id))
        return await payment_connection(info, listing, first=first, after=after)

    @fields.field(description="The patient's payment plans, newest first.")
    async def payment_plans(
        self, info: Info[GraphQLContext, Any]
    ) -> list[Annotated[PaymentPlan, strawberry.lazy("schema.plans.types")]]:
        from schema.plans.types import PaymentPlan

        audience = audience_for(info.context.viewer)
        if audience is None or not (audience.all_patients or audience.patient_id == self.id):
            return []
        rows = await patient_plans(self.id)
        for row in rows:
            info.context.record_read("PaymentPlan", row.id, row.patient_id)
        return [PaymentPlan.from_model(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Patient | None]:
        """Patient records for staff who read them; null for everyone else (a patient's
        own record too: patients see their bills, and themselves through ``me``, not the
        office's record)."""
        viewer = info.context.viewer
        loader = patient_loaders(info).patient_by_id

        async def load(ids: list[int]) -> list[PatientRow | None]:
            if not viewer.can(Scope.PATIENTS_READ):
                return [None] * len(ids)
            return list(await loader.load_many(ids))

        return await visible_nodes_by_id(
            info,
            node_ids,
            required=required,
            load=load,
            build=cls.from_model,
            record=lambda context, row: context.record_read(RESOURCE_TYPE, row.id, row.id),
        )

    @classmethod
    async def load(cls, info: Info[GraphQLContext, Any], patient_id: int) -> Patient:
        """The patient of an object the caller was allowed to read (an invoice, a payment)."""
        row = await patient_loaders(info).patient_by_id.load(patient_id)
        if row is None:  # The foreign key forbids it.
            raise LookupError(f"patient {patient_id} is missing")
        return cls.from_model(row)

    @classmethod
    def from_model(cls, row: PatientRow) -> Patient:
        return cls(id=row.id, location_id=row.location_id, row=row)

    def _record(self, info: Info[GraphQLContext, Any]) -> None:
        info.context.record_read(RESOURCE_TYPE, self.id, self.id)

    def _profile(self, info: Info[GraphQLContext, Any]) -> PatientProfile:
        """The decrypted details (once per object), with the read on record."""
        self._record(info)
        if self.profile is None:
            self.profile = read_patient_profile(phi_cipher(info.context), self.row)
        return self.profile


@strawberry.type(name="PatientConnection", description="A page of patients.")
class PatientConnection(relay.Connection[Patient]):
    # Counted only when totalCount is asked for.
    condition: strawberry.Private[Q]

    @fields.field(description="How many patients match, on every page.")
    async def total_count(self) -> int:
        return await count_matches(self.condition)
