"""Mutations on patients, with their inputs and payloads."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry import Info, relay
from tortoise.transactions import in_transaction

from auth.enrollment import issue_enrollment_code
from auth.scopes import Scope
from billing.errors import DomainError
from billing.patients.rules import create_patient
from models.enums import AuditOutcome
from schema.common import fields
from schema.common.errors import Payload, UserError
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.locations.types import location_pk
from schema.patients.cipher import phi_cipher
from schema.patients.types import RESOURCE_TYPE, Patient

CREATE_ACTION = "patient.create"


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


@strawberry.type
class PatientMutation:
    @fields.mutation(
        description="Register a patient and issue an enrollment code. Staff only.",
        permission_classes=[requires(Scope.PATIENTS_WRITE)],
    )
    async def create_patient(
        self, info: Info[GraphQLContext, Any], input: CreatePatientInput
    ) -> CreatePatientPayload:
        context = info.context
        try:
            location_id = None if input.location_id is None else location_pk(input.location_id)
            async with in_transaction():
                row = await create_patient(
                    phi_cipher(context),
                    input.first_name,
                    input.last_name,
                    input.date_of_birth,
                    input.email,
                    input.phone,
                    location_id,
                )
                enrollment = await issue_enrollment_code(
                    row.id,
                    secret_key=context.settings.secret_key.reveal(),
                    now=datetime.datetime.now(datetime.UTC),
                )
                await context.audit.write_now(
                    CREATE_ACTION,
                    AuditOutcome.SUCCESS,
                    resource_type=RESOURCE_TYPE,
                    resource_id=str(row.id),
                    patient_id=row.id,
                )
        except DomainError as error:
            context.audit.record_failure(CREATE_ACTION, error)
            return CreatePatientPayload(errors=[UserError.from_domain_error(error)])
        return CreatePatientPayload(
            patient=Patient.from_model(row), enrollment_code=enrollment.code
        )
