"""Data for the billing office's tests (no tests here): patients stored as the API stores
them (real encryption and blind indexes), and the contract's office operations."""

from __future__ import annotations

from datetime import UTC, date, datetime

from auth.sessions import SessionScope, create_session
from billing.patients.rules import create_patient
from config.settings import Settings
from models.enums import Role
from models.patients import Patient
from tests.support.factories.accounts import api_cipher, make_user
from tests.support.factories.invoices import PatientCaller
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


async def office_patient_caller(
    settings: Settings, email: str, first: str = "Ada", last: str = "Lovelace"
) -> PatientCaller:
    """A signed-in patient whose details are encrypted as the API encrypts them (so staff
    can read their name)."""
    row = await office_patient(settings, first, last, date(1980, 2, 3))
    user = await make_user(email, Role.PATIENT, patient=row)
    session = await create_session(user.id, scope=SessionScope.FULL, now=datetime.now(UTC))
    return PatientCaller(user.id, session.access_token, row.id)
