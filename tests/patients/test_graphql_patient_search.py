"""Staff find patients by name, date of birth, email, phone or account number, through
blind indexes: nothing is decrypted to search, and the access log holds the names of the
criteria only."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from billing.patients.search import SEARCH_ACTION
from config.settings import Settings
from models.enums import AuditOutcome, Role
from models.patients import Patient
from tests.support.factories.accounts import audit_rows, audit_values, error_codes
from tests.support.factories.invoices import global_id, location, staff_caller
from tests.support.factories.office import office_operation, office_patient
from tests.support.graphql_client import gql

FIND_PATIENTS = office_operation("FindPatients")


@pytest.fixture
async def people(client: httpx.AsyncClient, settings: Settings) -> dict[str, Patient]:
    site = await location()
    return {
        "jose": await office_patient(
            settings,
            "José",
            "García-López",
            date(1980, 5, 17),
            email="Jose.Garcia@Example.org",
            phone="(312) 555-0101",
            location_id=site.id,
        ),
        "josefina": await office_patient(
            settings, "Josefina", "García-López", date(1980, 5, 17), location_id=site.id
        ),
        "obrien": await office_patient(
            settings, "Siobhán", "O'Brien", date(1975, 1, 2), phone="+44 20 7946 0958"
        ),
        "other": await office_patient(settings, "Ann", "Smith", date(1980, 5, 17)),
    }


async def _find(
    client: httpx.AsyncClient, token: str, search: dict[str, Any], **page: Any
) -> dict[str, Any]:
    body = await gql(client, FIND_PATIENTS, {"search": search, **page}, token)
    assert "errors" not in body, body["errors"]
    found: dict[str, Any] = body["data"]["patients"]
    return found


def _ids(found: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in found["edges"]]


def gid(patient: Patient) -> str:
    return global_id("Patient", patient.id)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ({"lastName": "garcia lopez", "dateOfBirth": "1980-05-17"}, ["jose", "josefina"]),
        ({"lastName": "GARCÍA-LÓPEZ", "firstName": "jose"}, ["jose"]),
        ({"lastName": "  Garcia-Lopez ", "firstName": "Josefina"}, ["josefina"]),
        ({"dateOfBirth": "1980-05-17"}, ["jose", "josefina", "other"]),
        ({"email": " jose.garcia@example.ORG "}, ["jose"]),
        ({"phone": "312-555-0101"}, ["jose"]),
        ({"phone": "+1 312 555 0101"}, ["jose"]),
        ({"phone": "+442079460958"}, ["obrien"]),
        ({"lastName": "obrien"}, ["obrien"]),
        ({"lastName": "O\u2019Brien", "firstName": "SIOBHAN"}, ["obrien"]),
    ],
)
async def test_search_matches_normalised_whole_values(
    client: httpx.AsyncClient,
    people: dict[str, Patient],
    search: dict[str, Any],
    expected: list[str],
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    found = await _find(client, clerk.token, search)

    assert _ids(found) == [gid(people[name]) for name in expected]
    assert found["totalCount"] == len(expected)


@pytest.mark.parametrize(
    "search",
    [
        {"lastName": "Garc"},
        {"lastName": "Garcia"},
        {"firstName": "Jo"},
        {"lastName": "García-López", "dateOfBirth": "1980-05-18"},
        {"email": "jose.garcia@example.com"},
        {"phone": "+1 312 555 0102"},
    ],
)
async def test_parts_of_names_and_other_values_match_nothing(
    client: httpx.AsyncClient, people: dict[str, Patient], search: dict[str, Any]
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    found = await _find(client, clerk.token, search)

    assert found == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }


async def test_an_account_number_is_found_with_or_without_dashes(
    client: httpx.AsyncClient, people: dict[str, Patient]
) -> None:
    clerk = await staff_caller(Role.ADMIN)
    number = people["obrien"].account_number
    digits = number.replace("-", "")

    for typed in (number, digits, f"{digits[:4]} {digits[4:8]} {digits[8]}"):
        found = await _find(client, clerk.token, {"accountNumber": typed})
        assert _ids(found) == [gid(people["obrien"])]
        assert found["edges"][0]["node"]["accountNumber"] == number


async def test_results_show_the_record_summary(
    client: httpx.AsyncClient, people: dict[str, Patient]
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    found = await _find(client, clerk.token, {"lastName": "O'Brien"})

    assert found["edges"][0]["node"] == {
        "id": gid(people["obrien"]),
        "accountNumber": people["obrien"].account_number,
        "displayName": "Siobhán O.",
        "dateOfBirth": "1975-01-02",
    }


async def test_pages_follow_each_other_without_repeats(
    client: httpx.AsyncClient, people: dict[str, Patient]
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)
    search = {"dateOfBirth": "1980-05-17"}

    first = await _find(client, clerk.token, search, first=2)
    second = await _find(client, clerk.token, search, first=2, after=first["pageInfo"]["endCursor"])

    assert first["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasNextPage"] is False
    assert _ids(first) + _ids(second) == [
        gid(people[name]) for name in ("jose", "josefina", "other")
    ]
    assert first["totalCount"] == second["totalCount"] == 3


@pytest.mark.parametrize(
    "search",
    [
        {},
        {"lastName": "   "},
        {"phone": "call me"},
        {"accountNumber": "1234-5678-0"},
        {"accountNumber": "12"},
        {"email": "not-an-email"},
    ],
)
async def test_a_search_that_can_match_nothing_is_bad_input(
    client: httpx.AsyncClient, people: dict[str, Patient], search: dict[str, Any]
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    body = await gql(client, FIND_PATIENTS, {"search": search}, clerk.token)

    assert body["data"] is None
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_searching_decrypts_no_one(
    client: httpx.AsyncClient, people: dict[str, Patient]
) -> None:
    # A patient whose ciphertext can no longer be decrypted would break any search that
    # decrypts every patient; a blind-index search never touches it.
    await Patient.filter(id=people["other"].id).update(
        first_name_ct="v1:gone:AAAA", last_name_ct="v1:gone:AAAA", date_of_birth_ct="v1:gone:AAAA"
    )
    clerk = await staff_caller(Role.BILLING_STAFF)

    found = await _find(client, clerk.token, {"lastName": "García-López"})

    assert _ids(found) == [gid(people["jose"]), gid(people["josefina"])]


async def test_the_access_log_names_the_criteria_and_every_patient_found(
    client: httpx.AsyncClient, people: dict[str, Patient]
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    await _find(client, clerk.token, {"lastName": "García-López", "dateOfBirth": "1980-05-17"})

    [search] = await audit_rows(SEARCH_ACTION)
    assert (search.actor_id, search.outcome) == (clerk.user_id, AuditOutcome.SUCCESS)
    assert search.reference == "by:last_name,date_of_birth;found:2"
    reads = await audit_rows("patient.read")
    assert sorted(row.patient_id for row in reads) == sorted(
        [people["jose"].id, people["josefina"].id]
    )
    logged = " ".join(str(value) for row in await audit_rows() for value in audit_values(row))
    for phi in ("García", "Garcia", "garcia", "1980-05-17", "José"):
        assert phi not in logged


async def test_a_refused_search_is_on_the_log_without_its_values(
    client: httpx.AsyncClient, people: dict[str, Patient]
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    await gql(client, FIND_PATIENTS, {"search": {"phone": "555 call Rosa"}}, clerk.token)

    [search] = await audit_rows(SEARCH_ACTION)
    assert search.outcome == AuditOutcome.FAILURE
    assert search.reference == "by:phone;INVALID_INPUT"


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.AUDITOR, Role.PATIENT])
async def test_roles_that_may_not_read_patient_records_are_refused(
    client: httpx.AsyncClient, people: dict[str, Patient], role: Role
) -> None:
    caller = await staff_caller(role)

    body = await gql(client, FIND_PATIENTS, {"search": {"lastName": "Smith"}}, caller.token)

    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    assert await audit_rows(SEARCH_ACTION) == []


async def test_signed_out_callers_must_sign_in(
    client: httpx.AsyncClient, people: dict[str, Patient]
) -> None:
    body = await gql(client, FIND_PATIENTS, {"search": {"lastName": "Smith"}})

    assert error_codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    "after",
    [
        "bm90LWEtY3Vyc29y",
        # ["patients:ID:ASC", "x", 1]: our order, but not a cursor we made
        "WyJwYXRpZW50czpJRDpBU0MiLCJ4IiwxXQ==",
        # ["invoices:ISSUED_AT:DESC", 1, 1]: another list's cursor
        "WyJpbnZvaWNlczpJU1NVRURfQVQ6REVTQyIsMSwxXQ==",
    ],
)
async def test_a_forged_cursor_is_bad_input(
    client: httpx.AsyncClient, people: dict[str, Patient], after: str
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    body = await gql(
        client, FIND_PATIENTS, {"search": {"lastName": "Smith"}, "after": after}, clerk.token
    )

    assert error_codes(body) == ["BAD_USER_INPUT"]
