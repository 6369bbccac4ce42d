"""Mutations on patients, with their inputs and payloads."""

from __future__ import annotations

import datetime

import strawberry
from strawberry import relay

from schema.common import fields
from schema.common.errors import Payload, not_implemented_payload
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
    @fields.mutation(description="Register a patient and issue an enrollment code. Staff only.")
    async def create_patient(self, input: CreatePatientInput) -> CreatePatientPayload:
        return not_implemented_payload(CreatePatientPayload, "Creating patients")
