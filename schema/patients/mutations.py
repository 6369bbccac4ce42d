"""Mutations on patients, with their inputs and payloads."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth import use_cases
from auth.scopes import Scope
from auth.use_cases import REGISTER_PATIENT, NewPatient
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
