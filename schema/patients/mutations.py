"""Mutations on patients, with their inputs and payloads."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth import use_cases
from auth.scopes import Scope
from auth.use_cases import REGISTER_PATIENT, NewPatient
from billing.patients import use_cases as patient_use_cases
from billing.patients.coverages import NewCoverage
from billing.patients.updates import KEEP, AddressChange, Keep, PatientChanges
from billing.patients.use_cases import UPDATE_PATIENT
from schema.common import fields
from schema.common.errors import Payload
from schema.common.ids import row_id
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.patients.cipher import phi_cipher
from schema.patients.types import Patient


@strawberry.input(description="A new patient. Staff only.")
class CreatePatientInput:
    first_name: str = strawberry.field(description="Given name.")
    last_name: str = strawberry.field(description="Family name.")
    date_of_birth: datetime.date = strawberry.field(
        description="Date of birth; the patient confirms it when activating an account."
    )
    email: str | None = strawberry.field(default=None, description="Email address, if known.")
    phone: str | None = strawberry.field(default=None, description="Phone number, if known.")
    location_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The patient's home location."
    )


@strawberry.type(description="The result of createPatient.")
class CreatePatientPayload(Payload):
    patient: Patient | None = strawberry.field(
        default=None, description="The new patient; null when errors is not empty."
    )
    enrollment_code: str | None = strawberry.field(
        default=None,
        description="The one-time code the patient uses to activate an account; shown once.",
    )


@strawberry.input(
    description="A mailing address; line1, city, postalCode and country are required."
)
class MailingAddressInput:
    line1: str = strawberry.field(description="Street address.")
    line2: str | None = strawberry.field(default=None, description="Apartment, suite, unit.")
    city: str = strawberry.field(description="City or town.")
    region: str | None = strawberry.field(default=None, description="State, province or region.")
    postal_code: str = strawberry.field(description="ZIP or postal code.")
    country: str = strawberry.field(
        description='ISO 3166 country code, two letters ("US") or three ("USA").'
    )


@strawberry.input(description="One insurance coverage of a patient.")
class CoverageInput:
    payer_name: str = strawberry.field(description="The insurer, 1-200 characters.")
    member_id: str = strawberry.field(description="The member id, 1-64 characters.")
    group_number: str | None = strawberry.field(default=None, description="The group number.")
    priority: int = strawberry.field(description="1 primary, 2 secondary, ... up to 9; once each.")


@strawberry.input(
    description=(
        "Changes to a patient's contact details and coverages. Fields left out stay as they "
        "are; null clears email, phone or mailingAddress; coverages, when given, replace "
        "the list. Staff only."
    )
)
class UpdatePatientInput:
    patient_id: relay.GlobalID = strawberry.field(description="The patient to change.")
    first_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Given name; cannot be cleared."
    )
    last_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Family name; cannot be cleared."
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Email address; null clears it."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Phone number, stored in E.164; without a country code, a US number.",
    )
    mailing_address: MailingAddressInput | None = strawberry.field(
        default=strawberry.UNSET, description="Where statements go; null clears it."
    )
    coverages: list[CoverageInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Every coverage, replacing the list; [] clears it."
    )


@strawberry.type(description="The result of updatePatient.")
class UpdatePatientPayload(Payload):
    patient: Patient | None = strawberry.field(
        default=None, description="The patient afterwards; null when errors is not empty."
    )


@strawberry.type
class PatientMutation:
    @fields.mutation(
        description="Register a patient and issue an enrollment code. Staff only.",
        permission_classes=[requires(Scope.PATIENTS_WRITE)],
        audit=REGISTER_PATIENT,
    )
    async def create_patient(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            CreatePatientInput, strawberry.argument(description="Who the patient is.")
        ],
    ) -> CreatePatientPayload:
        context = info.context
        location_id = None
        if input.location_id is not None:
            location_id = row_id(input.location_id, "Location", "location_id")
        registered = await use_cases.register_patient(
            context.audit,
            NewPatient(
                first_name=input.first_name,
                last_name=input.last_name,
                date_of_birth=input.date_of_birth,
                email=input.email,
                phone=input.phone,
                location_id=location_id,
            ),
            cipher=phi_cipher(context),
            secret_key=context.settings.secret_key.reveal(),
            now=datetime.datetime.now(datetime.UTC),
        )
        return CreatePatientPayload(
            patient=Patient.from_model(registered.patient),
            enrollment_code=registered.enrollment_code,
        )

    @fields.mutation(
        description=(
            "Change a patient's contact details and coverages. The access log names the "
            "fields that changed, never their values. Staff only."
        ),
        permission_classes=[requires(Scope.PATIENTS_WRITE)],
        audit=UPDATE_PATIENT,
    )
    async def update_patient(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            UpdatePatientInput, strawberry.argument(description="The patient and the changes.")
        ],
    ) -> UpdatePatientPayload:
        context = info.context
        updated = await patient_use_cases.update_patient(
            context.audit,
            phi_cipher(context),
            row_id(input.patient_id, "Patient", "patient_id"),
            _changes(input),
        )
        return UpdatePatientPayload(patient=Patient.from_model(updated.patient))


def _changes(given: UpdatePatientInput) -> PatientChanges:
    return PatientChanges(
        first_name=_required_text(given.first_name, "first_name"),
        last_name=_required_text(given.last_name, "last_name"),
        email=_given(given.email),
        phone=_given(given.phone),
        mailing_address=_address(given.mailing_address),
        coverages=_coverages(given.coverages),
    )


def _given(value: str | None) -> str | Keep | None:
    return KEEP if value is strawberry.UNSET else value


def _required_text(value: str | None, field: str) -> str | Keep:
    if value is strawberry.UNSET:
        return KEEP
    # null for a name is refused like an empty one
    return value if value is not None else ""


def _address(value: MailingAddressInput | None) -> AddressChange | Keep | None:
    if value is strawberry.UNSET:
        return KEEP
    if value is None:
        return None
    return AddressChange(
        line1=value.line1,
        line2=value.line2,
        city=value.city,
        region=value.region,
        postal_code=value.postal_code,
        country=value.country,
    )


def _coverages(value: list[CoverageInput] | None) -> tuple[NewCoverage, ...] | Keep:
    if value is strawberry.UNSET:
        return KEEP
    return tuple(
        NewCoverage(
            payer_name=coverage.payer_name,
            member_id=coverage.member_id,
            group_number=coverage.group_number,
            priority=coverage.priority,
        )
        for coverage in value or []
    )
