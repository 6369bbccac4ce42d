"""Staff open a patient's record (contact details, address, coverages, money, invoices,
payments, plans) and change contact details and coverages with updatePatient: checked,
all or nothing, audited by field names only."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from billing.patients.purposes import COVERAGE_MEMBER_ID
from billing.patients.use_cases import UPDATE_PATIENT
from config.settings import Settings
from models.enums import AuditOutcome, PaymentStatus, Role
from models.patients import Coverage, Patient
from tests.support.factories.accounts import api_cipher, audit_rows, audit_values, error_codes
from tests.support.factories.invoices import (
    global_id,
    invoice,
    location,
    patient_caller,
    payment,
    staff_caller,
)
from tests.support.factories.office import office_operation, office_patient
from tests.support.graphql_client import gql

PATIENT_RECORD = office_operation("PatientRecord")
UPDATE = office_operation("UpdatePatient")
ADDRESS = {
    "line1": "12 Elm Street",
    "line2": "Apt 4",
    "city": "Springfield",
    "region": "IL",
    "postalCode": "62701",
    "country": "us",
}
COVERAGES = [
    {
        "payerName": "Blue Prairie Health",
        "memberId": "BPH-4471",
        "groupNumber": "G-9",
        "priority": 1,
    },
    {"payerName": "Medicare", "memberId": "1EG4-TE5-MK72", "priority": 2},
]


@pytest.fixture
async def rosa(client: httpx.AsyncClient, settings: Settings) -> Patient:
    site = await location()
    row = await office_patient(
        settings,
        "Rosa",
        "Parks",
        date(1950, 2, 4),
        email="rosa@example.org",
        phone="312 555 0100",
        location_id=site.id,
    )
    first = await invoice(row.id, site.id, prices_minor=(12000,), paid_minor=2000)
    await invoice(row.id, site.id, prices_minor=(5000,))
    await payment(row.id, {first.id: 1500}, status=PaymentStatus.PENDING)
    return row


async def _record(client: httpx.AsyncClient, token: str, patient_id: int) -> dict[str, Any]:
    body = await gql(
        client, PATIENT_RECORD, {"id": global_id("Patient", patient_id), "first": 5}, token
    )
    assert "errors" not in body, body["errors"]
    node: dict[str, Any] = body["data"]["node"]
    return node


async def _update(
    client: httpx.AsyncClient, token: str, patient: Patient, **changes: Any
) -> dict[str, Any]:
    variables = {"input": {"patientId": global_id("Patient", patient.id), **changes}}
    body = await gql(client, UPDATE, variables, token)
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"]["updatePatient"]
    return payload


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


@pytest.mark.parametrize("role", [Role.BILLING_STAFF, Role.ADMIN])
async def test_staff_open_the_whole_record(
    client: httpx.AsyncClient, rosa: Patient, role: Role
) -> None:
    clerk = await staff_caller(role)

    record = await _record(client, clerk.token, rosa.id)

    assert {key: record[key] for key in record if key not in ("invoices", "payments")} == {
        "id": global_id("Patient", rosa.id),
        "accountNumber": rosa.account_number,
        "displayName": "Rosa P.",
        "firstName": "Rosa",
        "lastName": "Parks",
        "dateOfBirth": "1950-02-04",
        "email": "rosa@example.org",
        "phone": "+13125550100",
        "mailingAddress": None,
        "balance": usd("150.00"),
        "creditBalance": usd("0.00"),
        "coverages": [],
        "paymentPlans": [],
    }
    assert record["invoices"]["totalCount"] == 2
    # Issued the same day: the newer invoice first.
    assert [edge["node"]["balance"] for edge in record["invoices"]["edges"]] == [
        usd("50.00"),
        usd("100.00"),
    ]
    statuses = [edge["node"]["status"] for edge in record["payments"]["edges"]]
    assert statuses == ["PENDING", "SUCCEEDED"]


async def test_the_record_is_on_the_access_log_as_read(
    client: httpx.AsyncClient, rosa: Patient
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    await _record(client, clerk.token, rosa.id)

    reads = {row.action: row for row in await audit_rows() if row.action.endswith(".read")}
    assert {"patient.read", "invoice.read", "payment.read"} <= set(reads)
    assert all(row.patient_id == rosa.id for row in reads.values())


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.AUDITOR, Role.PATIENT])
async def test_others_get_null_like_a_missing_patient(
    client: httpx.AsyncClient, rosa: Patient, role: Role
) -> None:
    caller = await staff_caller(role)
    body = await gql(
        client, PATIENT_RECORD, {"id": global_id("Patient", rosa.id), "first": 5}, caller.token
    )
    missing = await gql(
        client, PATIENT_RECORD, {"id": global_id("Patient", 987654), "first": 5}, caller.token
    )

    assert body == missing == {"data": {"node": None}}


async def test_a_patient_cannot_open_their_own_office_record(
    client: httpx.AsyncClient,
) -> None:
    ada = await patient_caller("ada@example.org")

    body = await gql(
        client, PATIENT_RECORD, {"id": global_id("Patient", ada.patient_id), "first": 5}, ada.token
    )

    assert body == {"data": {"node": None}}


async def test_staff_change_contact_details_address_and_coverages(
    client: httpx.AsyncClient, rosa: Patient, settings: Settings
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    payload = await _update(
        client,
        clerk.token,
        rosa,
        email="rosa.parks@example.net",
        phone="+1 (312) 555-0199",
        mailingAddress=ADDRESS,
        coverages=COVERAGES,
    )

    assert payload == {
        "patient": {"id": global_id("Patient", rosa.id), "displayName": "Rosa P."},
        "errors": [],
    }
    record = await _record(client, clerk.token, rosa.id)
    assert (record["email"], record["phone"]) == ("rosa.parks@example.net", "+13125550199")
    assert record["mailingAddress"] == {**ADDRESS, "country": "US"}
    assert [
        {key: value for key, value in coverage.items() if key != "id"}
        for coverage in record["coverages"]
    ] == [{**COVERAGES[0]}, {**COVERAGES[1], "groupNumber": None}]
    stored = await Coverage.filter(patient_id=rosa.id).order_by("priority")
    assert all("BPH-4471" not in row.member_id_ct for row in stored)
    cipher = api_cipher(settings)
    assert cipher.decrypt(stored[0].member_id_ct, COVERAGE_MEMBER_ID) == "BPH-4471"


async def test_fields_left_out_stay_and_null_clears(
    client: httpx.AsyncClient, rosa: Patient
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)
    await _update(client, clerk.token, rosa, mailingAddress=ADDRESS, coverages=COVERAGES)

    await _update(client, clerk.token, rosa, lastName="Parks-McCauley", email=None)

    record = await _record(client, clerk.token, rosa.id)
    assert (record["lastName"], record["email"], record["phone"]) == (
        "Parks-McCauley",
        None,
        "+13125550100",
    )
    assert record["mailingAddress"]["city"] == "Springfield"
    assert len(record["coverages"]) == 2


async def test_a_changed_name_and_phone_are_found_by_search(
    client: httpx.AsyncClient, rosa: Patient
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)
    await _update(client, clerk.token, rosa, lastName="McCauley", phone="+1 312 555 0177")
    find = office_operation("FindPatients")

    by_new = await gql(client, find, {"search": {"lastName": "mccauley"}}, clerk.token)
    by_old = await gql(client, find, {"search": {"lastName": "Parks"}}, clerk.token)
    by_phone = await gql(client, find, {"search": {"phone": "3125550177"}}, clerk.token)

    assert by_new["data"]["patients"]["totalCount"] == 1
    assert by_old["data"]["patients"]["totalCount"] == 0
    assert by_phone["data"]["patients"]["totalCount"] == 1


async def test_the_access_log_names_the_changed_fields_not_their_values(
    client: httpx.AsyncClient, rosa: Patient
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    await _update(
        client,
        clerk.token,
        rosa,
        firstName="Rosa",  # unchanged: not named
        email="rosa.parks@example.net",
        coverages=COVERAGES,
    )

    [row] = await audit_rows(UPDATE_PATIENT.name)
    assert (row.outcome, row.patient_id, row.actor_id) == (
        AuditOutcome.SUCCESS,
        rosa.id,
        clerk.user_id,
    )
    assert row.reference == "fields:email,coverages"
    logged = " ".join(str(value) for value in audit_values(row))
    for secret in ("rosa.parks", "BPH-4471", "Blue Prairie"):
        assert secret not in logged


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "rosa at example"}, "email"),
        ({"phone": "+1 555 010 0199"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"firstName": "   "}, "firstName"),
        ({"lastName": None}, "lastName"),
        ({"mailingAddress": {**ADDRESS, "country": "Narnia"}}, "mailingAddress.country"),
        ({"mailingAddress": {**ADDRESS, "country": "XX"}}, "mailingAddress.country"),
        ({"mailingAddress": {**ADDRESS, "city": " "}}, "mailingAddress.city"),
        ({"coverages": [{**COVERAGES[0], "memberId": ""}]}, "coverages.0.memberId"),
        ({"coverages": [COVERAGES[0], {**COVERAGES[1], "priority": 1}]}, "coverages.1.priority"),
        ({"coverages": [{**COVERAGES[0], "priority": 0}]}, "coverages.0.priority"),
    ],
)
async def test_bad_input_names_the_field_and_changes_nothing(
    client: httpx.AsyncClient, rosa: Patient, changes: dict[str, Any], field: str
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)
    before = await Patient.get(id=rosa.id)

    # A valid change beside the bad one is not made either.
    extra = {} if "email" in changes else {"email": "new@example.org"}
    payload = await _update(client, clerk.token, rosa, **extra, **changes)

    assert payload["patient"] is None
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [
        ("INVALID_INPUT", field)
    ]
    after = await Patient.get(id=rosa.id)
    assert (after.email_ct, after.phone_ct, after.last_name_ct) == (
        before.email_ct,
        before.phone_ct,
        before.last_name_ct,
    )
    assert await Coverage.filter(patient_id=rosa.id).count() == 0
    [refused] = await audit_rows(UPDATE_PATIENT.name)
    assert (refused.outcome, refused.reference) == (AuditOutcome.FAILURE, "INVALID_INPUT")


async def test_an_unknown_patient_is_not_found(client: httpx.AsyncClient) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    body = await gql(
        client,
        UPDATE,
        {"input": {"patientId": global_id("Patient", 424242), "email": "a@b.co"}},
        clerk.token,
    )

    assert body["data"]["updatePatient"]["errors"][0]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.AUDITOR, Role.PATIENT])
async def test_only_staff_who_write_patient_records_may_update(
    client: httpx.AsyncClient, rosa: Patient, role: Role
) -> None:
    caller = await staff_caller(role)
    before = await Patient.get(id=rosa.id)

    body = await gql(
        client,
        UPDATE,
        {"input": {"patientId": global_id("Patient", rosa.id), "email": "x@example.org"}},
        caller.token,
    )

    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    assert (await Patient.get(id=rosa.id)).email_ct == before.email_ct
