"""Staff lists of invoices across patients: every filter of the contract's StaffInvoices,
sorted and paged with keyset cursors in SQL, in a constant number of statements per page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from billing.ledger.postings import Posting, post_entries
from billing.locations.rules import create_location
from config.settings import Settings
from models.enums import LedgerEntryKind, Role
from models.invoices import Invoice as InvoiceRow
from models.ledger import LedgerEntry
from models.patients import Patient
from tests.support.factories.accounts import error_codes
from tests.support.factories.invoices import (
    global_id,
    invoice,
    patient_caller,
    staff_caller,
)
from tests.support.factories.office import office_operation, office_patient
from tests.support.graphql_client import gql

STAFF_INVOICES = office_operation("StaffInvoices")


class Office:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.ada_id = 0
        self.bob_id = 0
        self.north_id = 0
        self.south_id = 0

    def gid(self, *names: str) -> list[str]:
        return [global_id("Invoice", self.ids[name]) for name in names]


@pytest.fixture
async def office(client: httpx.AsyncClient, settings: Settings) -> Office:
    books = Office()
    ada = await office_patient(settings, "Ada", "Lovelace", date(1980, 2, 3))
    bob = await office_patient(settings, "Bob", "Kahn", date(1938, 12, 23))
    north = await create_location("North", "America/Chicago", "")
    south = await create_location("South", "Pacific/Auckland", "")
    today = date.today()
    made = {
        "old_open": await invoice(ada.id, north.id, issued=date(2025, 1, 5), due=date(2025, 2, 4)),
        "paid": await invoice(
            ada.id, north.id, issued=date(2025, 2, 1), prices_minor=(5000,), paid_minor=5000
        ),
        "insured": await invoice(
            bob.id,
            south.id,
            issued=date(2025, 3, 1),
            prices_minor=(30000,),
            covered_minor=20000,
            due=today + timedelta(days=20),
            provider="Dr. Zhou",
        ),
        "disputed": await invoice(
            bob.id,
            south.id,
            issued=date(2025, 4, 1),
            prices_minor=(8000,),
            due=today + timedelta(days=5),
        ),
    }
    await InvoiceRow.filter(id=made["disputed"].id).update(disputed=True)
    # The insurer was told 45 days ago.
    await LedgerEntry.filter(
        invoice_id=made["insured"].id, kind=LedgerEntryKind.INSURANCE_EXPECTED
    ).update(created_at=datetime.now(UTC) - timedelta(days=45))
    books.ids = {name: row.id for name, row in made.items()}
    books.ada_id, books.bob_id = ada.id, bob.id
    books.north_id, books.south_id = north.id, south.id
    return books


async def _list(client: httpx.AsyncClient, token: str, **variables: Any) -> dict[str, Any]:
    body = await gql(client, STAFF_INVOICES, variables, token)
    assert "errors" not in body, body["errors"]
    page: dict[str, Any] = body["data"]["invoices"]
    return page


def _ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


async def test_the_list_shows_every_patients_invoices_newest_first(
    client: httpx.AsyncClient, office: Office
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    page = await _list(client, clerk.token)

    assert _ids(page) == office.gid("disputed", "insured", "paid", "old_open")
    assert page["totalCount"] == 4
    node = page["edges"][1]["node"]
    assert node["patient"] == {"id": global_id("Patient", office.bob_id), "displayName": "Bob K."}
    assert node["location"] == {"id": global_id("Location", office.south_id), "name": "South"}
    assert (node["status"], node["insurancePending"], node["balance"]) == (
        "PENDING_INSURANCE",
        {"amount": "200.00", "currency": "USD"},
        {"amount": "100.00", "currency": "USD"},
    )
    assert (node["overdue"], node["disputed"]) == (False, False)


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"status": ["OPEN"]}, ["disputed", "old_open"]),
        ({"status": ["PAID", "PENDING_INSURANCE"]}, ["insured", "paid"]),
        ({"overdue": True}, ["old_open"]),
        ({"overdue": False}, ["disputed", "insured", "paid"]),
        ({"disputed": True}, ["disputed"]),
        ({"disputed": False}, ["insured", "paid", "old_open"]),
        ({"insurancePendingDays": 30}, ["insured"]),
        ({"insurancePendingDays": 60}, []),
        ({"issuedFrom": "2025-02-01", "issuedTo": "2025-03-31"}, ["insured", "paid"]),
        ({"minBalance": "80.00"}, ["disputed", "insured", "old_open"]),
        ({"minBalance": "100.01"}, []),
        ({"providerName": "zhou"}, ["insured"]),
    ],
)
async def test_each_filter_narrows_the_list(
    client: httpx.AsyncClient, office: Office, filter_: dict[str, Any], expected: list[str]
) -> None:
    accountant = await staff_caller(Role.ACCOUNTANT)

    page = await _list(client, accountant.token, filter=filter_)

    assert _ids(page) == office.gid(*expected)
    assert page["totalCount"] == len(expected)


async def test_location_and_patient_filters(client: httpx.AsyncClient, office: Office) -> None:
    clerk = await staff_caller(Role.ADMIN)

    north = await _list(
        client, clerk.token, filter={"locationId": global_id("Location", office.north_id)}
    )
    bob = await _list(
        client,
        clerk.token,
        filter={"patientId": global_id("Patient", office.bob_id), "status": ["OPEN"]},
    )

    assert _ids(north) == office.gid("paid", "old_open")
    assert _ids(bob) == office.gid("disputed")


async def test_sorting_and_keyset_pages(client: httpx.AsyncClient, office: Office) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)
    order = {"field": "BALANCE", "direction": "DESC"}

    first = await _list(client, clerk.token, first=2, orderBy=order)
    # An invoice added before the cursor's position does not shift the next page.
    await invoice(office.ada_id, office.north_id, issued=date(2025, 6, 1), prices_minor=(99999,))
    rest = await _list(
        client, clerk.token, first=3, after=first["pageInfo"]["endCursor"], orderBy=order
    )

    assert _ids(first) + _ids(rest) == office.gid("insured", "old_open", "disputed", "paid")
    assert first["pageInfo"]["hasNextPage"] is True
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_a_page_is_a_constant_number_of_statements(
    client: httpx.AsyncClient,
    office: Office,
    count_queries: Callable[[], int],
    settings: Settings,
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)
    await _list(client, clerk.token, filter={"overdue": False})  # warm-up: session, caches

    start = count_queries()
    await _list(client, clerk.token, first=2, filter={"overdue": False})
    small = count_queries() - start
    # Thirty more invoices, each of another patient: the page's patients and their reads
    # on the access log cost no statement per patient either.
    for index in range(30):
        someone = await office_patient(settings, f"P{index}", "Doe", date(1990, 1, 1))
        await invoice(
            someone.id,
            office.south_id,
            issued=date(2024, 1, 1) + timedelta(days=index),
            due=date.today() + timedelta(days=10),
        )
    start = count_queries()
    page = await _list(client, clerk.token, first=30, filter={"overdue": False})
    large = count_queries() - start

    assert len(page["edges"]) == 30
    assert small == large
    # session, time zones, page, count, patients, locations, today by patient, access log
    assert large <= 12


@pytest.mark.parametrize(
    "variables",
    [
        {"filter": {"insurancePendingDays": -1}},
        {"filter": {"minBalance": "1.001"}},
        {"filter": {"locationId": "bm90LWFuLWlk"}},
        {"first": 101},
        {"after": "bm90LWEtY3Vyc29y"},
    ],
)
async def test_bad_arguments_are_bad_user_input(
    client: httpx.AsyncClient, office: Office, variables: dict[str, Any]
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    body = await gql(client, STAFF_INVOICES, variables, clerk.token)

    assert body["data"] is None
    assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("role", [Role.PATIENT, Role.AUDITOR])
async def test_patients_and_auditors_are_refused(
    client: httpx.AsyncClient, office: Office, role: Role
) -> None:
    caller = await staff_caller(role)

    body = await gql(client, STAFF_INVOICES, {}, caller.token)

    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]


async def test_a_signed_in_patient_is_refused_too(
    client: httpx.AsyncClient, office: Office
) -> None:
    ada = await patient_caller("ada2@example.org")

    body = await gql(client, STAFF_INVOICES, {}, ada.token)

    assert error_codes(body) == ["FORBIDDEN"]
    assert await Patient.filter(id=ada.patient_id).exists()


async def test_a_void_invoice_is_listed_with_its_status(
    client: httpx.AsyncClient, office: Office
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)
    row = await InvoiceRow.get(id=office.ids["old_open"])
    await post_entries(row, [Posting(LedgerEntryKind.VOID, 0)])

    page = await _list(client, clerk.token, filter={"status": ["VOID"]})

    assert _ids(page) == office.gid("old_open")
    assert page["edges"][0]["node"]["overdue"] is False
