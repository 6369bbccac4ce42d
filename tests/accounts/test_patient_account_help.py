"""Staff helping with a patient's account: forcing a password reset (the old password stops
working, every session ends, a reset link is emailed) and clearing a lockout. Billing staff
and admins only, and each on record against the patient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from auth.sessions import SessionScope, create_session
from config.settings import Settings
from models.enums import Role
from models.users import User
from tests.support.factories.accounts import (
    PASSWORD,
    audit_rows,
    deliver_account_emails,
    error_codes,
    make_user,
    reset_token_in,
    staff_token,
)
from tests.support.factories.auth import guard_state, lock_address, make_patient
from tests.support.factories.invoices import global_id
from tests.support.graphql_client import ACCOUNT_SECURITY_CONTRACT, LOGIN, contract_operation, gql

FORCE_RESET = """
mutation ForcePasswordReset($patientId: ID!) {
  forcePasswordReset(patientId: $patientId) { ok errors { code field message } }
}
"""
CLEAR_LOCKOUT = """
mutation ClearSignInLockout($patientId: ID!) {
  clearSignInLockout(patientId: $patientId) { ok wasLocked errors { code field message } }
}
"""
RESET = contract_operation("ResetPassword", ACCOUNT_SECURITY_CONTRACT)
ME = "query Me { me { id } }"
NEW_PASSWORD = "marble otter sings at dawn"


async def _patient_account() -> tuple[User, str]:
    patient = await make_patient()
    user = await make_user("ada@example.org", patient=patient)
    return user, global_id("Patient", patient.id)


async def _login(client: httpx.AsyncClient, password: str) -> dict[str, Any]:
    body = await gql(client, LOGIN, {"email": "ada@example.org", "password": password})
    payload: dict[str, Any] = body["data"]["login"]
    return payload


async def test_staff_force_a_reset_the_old_password_and_sessions_end_and_a_link_is_sent(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a patient signed in, whose password may be known to someone else
    user, patient_id = await _patient_account()
    session = await create_session(user.id, scope=SessionScope.FULL, now=datetime.now(UTC))
    clerk, token = await staff_token(Role.BILLING_STAFF)

    # when billing staff force a reset
    body = await gql(client, FORCE_RESET, {"patientId": patient_id}, token=token)

    # then the old password and the session stop working
    assert body["data"]["forcePasswordReset"] == {"ok": True, "errors": []}
    assert error_codes(await gql(client, ME, token=session.access_token)) == ["UNAUTHENTICATED"]
    assert [e["code"] for e in (await _login(client, PASSWORD))["errors"]] == [
        "INVALID_CREDENTIALS"
    ]
    # and the patient is emailed a link that sets a new one
    [(recipient, message)] = await deliver_account_emails(settings)
    assert recipient == "ada@example.org"
    assert message.subject == "Choose a new password"
    reset = await gql(
        client, RESET, {"token": reset_token_in(message), "newPassword": NEW_PASSWORD}
    )
    assert reset["data"]["resetPassword"] == {"ok": True, "errors": []}
    assert (await _login(client, NEW_PASSWORD))["session"] is not None
    # and it is on record against the patient, with the clerk as the actor
    [row] = await audit_rows("account.password_reset_forced")
    assert (row.actor_id, row.resource_id, row.patient_id) == (
        clerk.id,
        str(user.id),
        user.patient_id,
    )


async def test_staff_clear_a_lockout_and_say_whether_there_was_one(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a patient locked out by failed sign-ins
    user, patient_id = await _patient_account()
    secret_key = settings.secret_key.reveal()
    await lock_address(
        "ada@example.org", secret_key, until=datetime.now(UTC) + timedelta(minutes=30)
    )
    _admin, token = await staff_token(Role.ADMIN)
    assert [e["code"] for e in (await _login(client, PASSWORD))["errors"]] == ["ACCOUNT_LOCKED"]

    # when an admin clears it, twice
    first = await gql(client, CLEAR_LOCKOUT, {"patientId": patient_id}, token=token)
    second = await gql(client, CLEAR_LOCKOUT, {"patientId": patient_id}, token=token)

    # then the patient can sign in again, and the second time there was nothing to clear
    assert first["data"]["clearSignInLockout"] == {"ok": True, "wasLocked": True, "errors": []}
    assert second["data"]["clearSignInLockout"]["wasLocked"] is False
    assert await guard_state("ada@example.org", secret_key) == (0, None)
    assert (await _login(client, PASSWORD))["session"] is not None
    rows = await audit_rows("account.lockout_cleared")
    assert [(r.reference, r.patient_id) for r in rows] == [
        ("cleared", user.patient_id),
        ("not_locked", user.patient_id),
    ]


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.AUDITOR])
async def test_other_staff_may_not_and_nothing_changes(
    client: httpx.AsyncClient, role: Role
) -> None:
    user, patient_id = await _patient_account()
    _other, token = await staff_token(role)

    for operation in (FORCE_RESET, CLEAR_LOCKOUT):
        body = await gql(client, operation, {"patientId": patient_id}, token=token)
        assert error_codes(body) == ["FORBIDDEN"]

    assert (await User.get(id=user.id)).password_hash == user.password_hash


async def test_a_patient_may_not_force_their_own_or_anyone_elses_reset(
    client: httpx.AsyncClient,
) -> None:
    user, patient_id = await _patient_account()
    session = await create_session(user.id, scope=SessionScope.FULL, now=datetime.now(UTC))

    body = await gql(client, FORCE_RESET, {"patientId": patient_id}, token=session.access_token)

    assert error_codes(body) == ["FORBIDDEN"]


async def test_a_patient_without_an_account_is_not_found(client: httpx.AsyncClient) -> None:
    patient = await make_patient()
    _clerk, token = await staff_token(Role.BILLING_STAFF)

    for operation, field in (
        (FORCE_RESET, "forcePasswordReset"),
        (CLEAR_LOCKOUT, "clearSignInLockout"),
    ):
        body = await gql(
            client, operation, {"patientId": global_id("Patient", patient.id)}, token=token
        )
        assert [(e["code"], e["field"]) for e in body["data"][field]["errors"]] == [
            ("NOT_FOUND", "patientId")
        ]
