"""Registering patients and activating their accounts over GraphQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from models.enums import Role
from models.patients import Patient
from models.users import User
from tests.support.factories.accounts import (
    audit_rows,
    audit_values,
    error_codes,
    staff_token,
)
from tests.support.graphql_client import gql, sign_in

CREATE_PATIENT = """
mutation CreatePatient($input: CreatePatientInput!) {
  createPatient(input: $input) {
    patient { id displayName }
    enrollmentCode
    errors { code field message }
  }
}
"""

ACTIVATE_PATIENT_ACCOUNT = """
mutation ActivatePatientAccount($input: ActivatePatientAccountInput!) {
  activatePatientAccount(input: $input) {
    user { id email roles }
    errors { code field message }
  }
}
"""

ME = """
query Me {
  me {
    id
    email
    roles
    mfaEnabled
    patient { id displayName creditBalance { amount currency } }
  }
}
"""

NEW_PATIENT = {
    "firstName": "Grace",
    "lastName": "Hopper",
    "dateOfBirth": "1980-02-03",
    "email": "grace@example.org",
    "phone": "+1 312 555 0199",
}
NEW_PASSWORD = "velvet harbor copper lantern"


async def _create_patient(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    body = await gql(client, CREATE_PATIENT, {"input": NEW_PATIENT}, token=token)
    payload: dict[str, Any] = body["data"]["createPatient"]
    return payload


def _activation(code: str, date_of_birth: str = "1980-02-03") -> dict[str, Any]:
    return {
        "input": {
            "enrollmentCode": code,
            "dateOfBirth": date_of_birth,
            "email": "grace@example.org",
            "password": NEW_PASSWORD,
        }
    }


async def test_staff_register_a_patient_who_activates_an_account_and_sees_themselves(
    client: httpx.AsyncClient,
) -> None:
    # given billing staff register a patient
    clerk, token = await staff_token(Role.BILLING_STAFF)
    created = await _create_patient(client, token)
    assert created["errors"] == []
    assert created["patient"]["displayName"] == "Grace H."
    patient = await Patient.get()
    assert "Grace" not in patient.first_name_ct  # encrypted at rest

    # when the patient activates an account with the code and signs in
    body = await gql(client, ACTIVATE_PATIENT_ACCOUNT, _activation(created["enrollmentCode"]))
    activated = body["data"]["activatePatientAccount"]
    access_token = await sign_in(client, "grace@example.org", NEW_PASSWORD)
    me = (await gql(client, ME, token=access_token))["data"]["me"]

    # then the account is the patient's, and shows their name and credit
    assert activated["errors"] == []
    assert activated["user"]["email"] == "grace@example.org"
    assert activated["user"]["roles"] == ["PATIENT"]
    assert me["id"] == activated["user"]["id"]
    assert me["patient"] == {
        "id": created["patient"]["id"],
        "displayName": "Grace H.",
        "creditBalance": {"amount": "0.00", "currency": "USD"},
    }

    # and creation, activation and the reads of the record are on record, with ids only
    user = await User.get(email="grace@example.org")
    [creation] = await audit_rows("patient.create")
    assert (creation.actor_id, creation.patient_id) == (clerk.id, patient.id)
    [activation] = await audit_rows("account.activate")
    assert (activation.resource_id, activation.patient_id) == (str(user.id), patient.id)
    reads = await audit_rows("patient.read")
    assert {(row.actor_id, row.patient_id) for row in reads} == {
        (clerk.id, patient.id),
        (user.id, patient.id),
    }
    for row in await audit_rows():
        assert not any(
            text in str(value)
            for value in audit_values(row)
            for text in ("Grace", "Hopper", "grace@", "1980-02-03", created["enrollmentCode"])
        )


async def test_a_wrong_date_of_birth_is_refused_and_repeated_failures_are_rate_limited(
    client: httpx.AsyncClient,
) -> None:
    # given a registered patient
    _clerk, token = await staff_token(Role.BILLING_STAFF)
    code = (await _create_patient(client, token))["enrollmentCode"]

    # when someone tries the code with a wrong date of birth, five times
    for _ in range(5):
        body = await gql(client, ACTIVATE_PATIENT_ACCOUNT, _activation(code, "1981-02-03"))
        payload = body["data"]["activatePatientAccount"]
        assert payload["user"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_ENROLLMENT_CODE", "code")
        ]

    # then even the right date of birth is refused from that address for a while
    body = await gql(client, ACTIVATE_PATIENT_ACCOUNT, _activation(code))
    assert [e["code"] for e in body["data"]["activatePatientAccount"]["errors"]] == ["RATE_LIMITED"]
    assert await User.filter(email="grace@example.org").count() == 0
    outcomes = [row.outcome for row in await audit_rows("account.activate")]
    assert outcomes == ["FAILURE"] * 6


async def test_a_bad_location_id_is_an_input_error(client: httpx.AsyncClient) -> None:
    _clerk, token = await staff_token(Role.BILLING_STAFF)
    patient = {**NEW_PATIENT, "locationId": "VXNlcjox"}  # a User ID

    body = await gql(client, CREATE_PATIENT, {"input": patient}, token=token)

    payload = body["data"]["createPatient"]
    assert payload["patient"] is None
    assert payload["enrollmentCode"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", "locationId")]
    assert await Patient.all().count() == 0


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.AUDITOR])
async def test_accountants_and_auditors_cannot_register_patients(
    client: httpx.AsyncClient, role: Role
) -> None:
    user, token = await staff_token(role)

    body = await gql(client, CREATE_PATIENT, {"input": NEW_PATIENT}, token=token)

    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    assert await Patient.all().count() == 0
    [denial] = await audit_rows("access.denied")
    assert (denial.actor_id, denial.resource_type) == (user.id, "createPatient")
