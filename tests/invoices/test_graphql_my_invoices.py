"""myInvoices: a patient's own invoices, filtered, sorted in SQL and paged by keyset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from models.enums import InvoiceStatus, Role
from models.invoices import Invoice as InvoiceRow
from schema.common.pagination import encode_cursor
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.graphql_client import gql

MY_INVOICES = """
query MyInvoices($first: Int, $after: String, $filter: InvoiceFilter, $orderBy: InvoiceOrder) {
  myInvoices(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id
        number
        status
        providerName
        issuedAt
        dueAt
        total { amount currency }
        balance { amount currency }
        insurancePending { amount currency }
      }
    }
  }
}
"""

# The cached column each sort reads, to compute the expected order from the rows.
SORT_COLUMNS = {
    "ISSUED_AT": "issued_at",
    "DUE_AT": "due_at",
    "TOTAL": "total_minor",
    "BALANCE": "balance_minor",
    "PROVIDER": "provider_name",
}


@dataclass(frozen=True)
class Bills:
    ada: PatientCaller
    location_id: int
    # Ada's invoice ids by name; Bob's invoices must never show up in her lists.
    ids: dict[str, int]
    bobs: list[int]


@pytest.fixture
async def bills(client: httpx.AsyncClient) -> Bills:
    ada = await patient_caller("ada@example.org")
    bob = await patient_caller("bob@example.org")
    site = await location()
    a, b = ada.patient_id, bob.patient_id
    made = {
        "open": await invoice(a, site.id, provider="Dr. Adams", issued=date(2025, 1, 10)),
        "insured": await invoice(
            a,
            site.id,
            provider="Dr. Baker",
            issued=date(2025, 1, 5),
            due=date(2025, 3, 1),
            prices_minor=(20000, 5000),
            covered_minor=5000,
        ),
        "partly_paid": await invoice(
            a,
            site.id,
            provider="Dr. Carter",
            issued=date(2025, 2, 1),
            due=date(2025, 2, 15),
            prices_minor=(7500,),
            paid_minor=2500,
        ),
        "paid": await invoice(
            a,
            site.id,
            provider="Dr. Adams",
            issued=date(2025, 2, 1),
            due=date(2025, 4, 1),
            prices_minor=(4000,),
            paid_minor=4000,
        ),
        "future": await invoice(
            a,
            site.id,
            provider="Dr. Evans",
            issued=date(2024, 12, 20),
            due=date(2099, 1, 1),
            prices_minor=(30000,),
        ),
        "same_total": await invoice(
            a, site.id, provider="Dr. Baker", issued=date(2025, 1, 10), due=date(2025, 2, 9)
        ),
    }
    bobs = [
        await invoice(b, site.id, provider="Dr. Adams", issued=date(2025, 1, 10)),
        await invoice(b, site.id, provider="Dr. Adams", issued=date(2025, 3, 1)),
    ]
    return Bills(ada, site.id, {name: row.id for name, row in made.items()}, [r.id for r in bobs])


async def _list(client: httpx.AsyncClient, token: str, **variables: Any) -> dict[str, Any]:
    body = await gql(client, MY_INVOICES, variables, token=token)
    assert "errors" not in body, body["errors"]
    connection: dict[str, Any] = body["data"]["myInvoices"]
    return connection


def _ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def _gids(row_ids: list[int]) -> list[str]:
    return [global_id("Invoice", row_id) for row_id in row_ids]


async def _expected_order(patient_id: int, field: str, direction: str) -> list[int]:
    column = SORT_COLUMNS[field]
    rows = await InvoiceRow.filter(patient_id=patient_id).values("id", column)
    ordered = sorted(rows, key=lambda row: (row[column], row["id"]))
    if direction == "DESC":
        ordered.reverse()
    return [row["id"] for row in ordered]


async def test_a_patient_lists_only_their_own_invoices_with_money_from_cached_columns(
    client: httpx.AsyncClient, bills: Bills
) -> None:
    connection = await _list(client, bills.ada.token)

    assert connection["totalCount"] == 6
    assert sorted(_ids(connection)) == sorted(_gids(list(bills.ids.values())))
    assert not set(_ids(connection)) & set(_gids(bills.bobs))
    insured = next(
        edge["node"]
        for edge in connection["edges"]
        if edge["node"]["id"] == global_id("Invoice", bills.ids["insured"])
    )
    assert insured == {
        "id": global_id("Invoice", bills.ids["insured"]),
        "number": insured["number"],
        "status": "PENDING_INSURANCE",
        "providerName": "Dr. Baker",
        "issuedAt": "2025-01-05",
        "dueAt": "2025-03-01",
        "total": {"amount": "250.00", "currency": "USD"},
        "balance": {"amount": "200.00", "currency": "USD"},
        "insurancePending": {"amount": "50.00", "currency": "USD"},
    }


async def test_the_default_order_is_newest_issued_first(
    client: httpx.AsyncClient, bills: Bills
) -> None:
    connection = await _list(client, bills.ada.token)

    expected = await _expected_order(bills.ada.patient_id, "ISSUED_AT", "DESC")
    assert _ids(connection) == _gids(expected)


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", list(SORT_COLUMNS))
async def test_each_sort_orders_by_its_column_then_id_on_every_page(
    client: httpx.AsyncClient, bills: Bills, field: str, direction: str
) -> None:
    order = {"field": field, "direction": direction}
    expected = _gids(await _expected_order(bills.ada.patient_id, field, direction))

    whole = await _list(client, bills.ada.token, first=100, orderBy=order)
    paged: list[str] = []
    after = None
    while True:
        page = await _list(client, bills.ada.token, first=2, after=after, orderBy=order)
        paged += _ids(page)
        assert page["totalCount"] == 6
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert _ids(whole) == expected
    assert paged == expected


async def test_a_new_invoice_before_the_cursor_neither_repeats_nor_skips_a_row(
    client: httpx.AsyncClient, bills: Bills
) -> None:
    before = _gids(await _expected_order(bills.ada.patient_id, "ISSUED_AT", "DESC"))
    first_page = await _list(client, bills.ada.token, first=2)

    # given an invoice that sorts before everything already shown
    newest = await invoice(bills.ada.patient_id, bills.location_id, issued=date(2025, 6, 1))
    second_page = await _list(
        client, bills.ada.token, first=2, after=first_page["pageInfo"]["endCursor"]
    )

    assert _ids(first_page) == before[:2]
    assert _ids(second_page) == before[2:4]
    assert global_id("Invoice", newest.id) not in _ids(second_page)
    assert second_page["totalCount"] == 7


async def test_edges_carry_their_own_cursors(client: httpx.AsyncClient, bills: Bills) -> None:
    whole = await _list(client, bills.ada.token, first=6)
    third_cursor = whole["edges"][2]["cursor"]

    rest = await _list(client, bills.ada.token, first=6, after=third_cursor)

    assert _ids(rest) == _ids(whole)[3:]
    assert whole["pageInfo"]["endCursor"] == whole["edges"][-1]["cursor"]


@pytest.mark.parametrize(
    ("made_for", "used_with"),
    [
        ({"field": "ISSUED_AT", "direction": "DESC"}, {"field": "TOTAL", "direction": "DESC"}),
        ({"field": "ISSUED_AT", "direction": "DESC"}, {"field": "ISSUED_AT", "direction": "ASC"}),
        ({"field": "PROVIDER", "direction": "ASC"}, {"field": "DUE_AT", "direction": "ASC"}),
    ],
)
async def test_a_cursor_of_another_sort_order_is_bad_user_input(
    client: httpx.AsyncClient,
    bills: Bills,
    made_for: dict[str, str],
    used_with: dict[str, str],
) -> None:
    page = await _list(client, bills.ada.token, first=1, orderBy=made_for)

    body = await gql(
        client,
        MY_INVOICES,
        {"first": 1, "after": page["pageInfo"]["endCursor"], "orderBy": used_with},
        token=bills.ada.token,
    )

    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        "bm90LWEtY3Vyc29y",  # "not-a-cursor"
        encode_cursor(3),  # an offset cursor of other lists
        "WyJpbnZvaWNlczpJU1NVRURfQVQ6REVTQyIsMTIsM10=",  # right order, an int for a date
        "WyJpbnZvaWNlczpJU1NVRURfQVQ6REVTQyIsIjIwMjUtMDEtMTAiLCJ4Il0=",  # id "x"
        "eyJhIjoxfQ==",  # JSON, not ours
        "A" * 2000,
    ],
)
async def test_a_forged_cursor_is_bad_user_input(
    client: httpx.AsyncClient, bills: Bills, cursor: str
) -> None:
    body = await gql(client, MY_INVOICES, {"after": cursor}, token=bills.ada.token)

    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_first_above_100_is_refused_and_100_is_fine(
    client: httpx.AsyncClient, bills: Bills
) -> None:
    refused = await gql(client, MY_INVOICES, {"first": 101}, token=bills.ada.token)
    accepted = await _list(client, bills.ada.token, first=100)

    assert refused["data"] is None
    assert refused["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert accepted["totalCount"] == 6


@pytest.mark.parametrize(
    ("invoice_filter", "expected"),
    [
        ({"status": ["OPEN"]}, {"open", "future", "same_total"}),
        ({"status": ["PAID", "PARTIALLY_PAID"]}, {"paid", "partly_paid"}),
        ({"status": []}, {"open", "insured", "partly_paid", "paid", "future", "same_total"}),
        ({"providerName": "aDaMs"}, {"open", "paid"}),
        ({"providerName": "  baker "}, {"insured", "same_total"}),
        ({"providerName": "%"}, set()),
        ({"issuedFrom": "2025-01-05", "issuedTo": "2025-01-10"}, {"insured", "open", "same_total"}),
        ({"issuedFrom": "2025-02-01"}, {"partly_paid", "paid"}),
        ({"issuedTo": "2024-12-20"}, {"future"}),
        ({"overdue": True}, {"open", "insured", "partly_paid", "same_total"}),
        ({"overdue": False}, {"paid", "future"}),
        ({"overdue": True, "providerName": "baker", "status": ["OPEN"]}, {"same_total"}),
    ],
)
async def test_filters_narrow_the_list_and_its_total_count(
    client: httpx.AsyncClient,
    bills: Bills,
    invoice_filter: dict[str, Any],
    expected: set[str],
) -> None:
    connection = await _list(client, bills.ada.token, first=1, filter=invoice_filter)
    everything = await _list(client, bills.ada.token, first=100, filter=invoice_filter)

    assert connection["totalCount"] == len(expected)
    assert sorted(_ids(everything)) == sorted(_gids([bills.ids[name] for name in expected]))
    assert connection["pageInfo"]["hasNextPage"] is (len(expected) > 1)


async def test_statuses_come_from_the_ledger(client: httpx.AsyncClient, bills: Bills) -> None:
    connection = await _list(client, bills.ada.token, first=100)

    statuses = {edge["node"]["id"]: edge["node"]["status"] for edge in connection["edges"]}
    assert statuses[global_id("Invoice", bills.ids["paid"])] == InvoiceStatus.PAID.value
    assert statuses[global_id("Invoice", bills.ids["partly_paid"])] == "PARTIALLY_PAID"


async def test_signed_out_callers_and_staff_cannot_list_patient_invoices(
    client: httpx.AsyncClient, bills: Bills
) -> None:
    staff = await staff_caller(Role.BILLING_STAFF)

    anonymous = await gql(client, MY_INVOICES, {})
    as_staff = await gql(client, MY_INVOICES, {}, token=staff.token)

    assert anonymous["data"] is None
    assert anonymous["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert as_staff["data"] is None
    assert as_staff["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
