"""Data for the billing office's tests (no tests here): patients stored as the API stores
them (real encryption and blind indexes), and the contract's office operations."""

from __future__ import annotations

from datetime import date

from billing.patients.rules import create_patient
from config.settings import Settings
from models.patients import Patient
from tests.support.factories.accounts import api_cipher
from tests.support.graphql_client import BILLING_OFFICE_CONTRACT, contract_operation

STAFF_ROLES_THAT_READ_PATIENTS = ("billing_staff", "admin")


def office_operation(name: str) -> str:
    """An operation of ``billing-office.graphql``, exactly as the contract writes it."""
    return contract_operation(name, BILLING_OFFICE_CONTRACT)


async def office_patient(
    settings: Settings,
    first: str,
    last: str,
    born: date,
    *,
    email: str | None = None,
    phone: str | None = None,
    location_id: int | None = None,
) -> Patient:
    """A patient created by the same rule as createPatient, under the API's key."""
    return await create_patient(api_cipher(settings), first, last, born, email, phone, location_id)
