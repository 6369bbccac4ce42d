"""Staff's list of payments across patients: the contract's StaffPayments with each filter,
newest first, keyset pages, a constant number of statements per page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from billing.locations.rules import create_location
from config.settings import Settings
from models.enums import PaymentChannel, PaymentStatus, Role
from models.payments import Payment as PaymentRow
from tests.support.factories.accounts import error_codes
from tests.support.factories.invoices import global_id, invoice, payment, staff_caller
from tests.support.factories.office import office_operation, office_patient
from tests.support.graphql_client import gql

STAFF_PAYMENTS = office_operation("StaffPayments")
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class Desk:
    ids: dict[str, int]
    ada_id: int
    north_id: int


@pytest.fixture
async def desk(client: httpx.AsyncClient, settings: Settings) -> Desk:
    ada = await office_patient(settings, "Ada", "Lovelace", date(1980, 2, 3))
    bob = await office_patient(settings, "Bob", "Kahn", date(1938, 12, 23))
    north = await create_location("North", "America/Chicago", "")
    south = await create_location("South", "America/Denver", "")
    at_north = await invoice(ada.id, north.id, prices_minor=(90000,))
    at_south = await invoice(bob.id, south.id, prices_minor=(90000,))
    made = {
        "card": await payment(ada.id, {at_north.id: 1000}, created_at=START),
        "flagged": await payment(
            ada.id,
            {at_north.id: 2000},
            status=PaymentStatus.PENDING,
            created_at=START + timedelta(hours=1),
        ),
        "check": await payment(bob.id, {at_south.id: 3000}, created_at=START + timedelta(days=1)),
        "failed": await payment(
            bob.id,
            {at_south.id: 4000},
            status=PaymentStatus.FAILED,
            created_at=START + timedelta(days=2),
        ),
    }
    await PaymentRow.filter(id=made["flagged"].id).update(
        review_reason="received 5.00 instead of 20.00 USD"
    )
    await PaymentRow.filter(id=made["check"].id).update(channel=PaymentChannel.CHECK, disputed=True)
    result = Desk()
    result.ids = {name: row.id for name, row in made.items()}
    result.ada_id, result.north_id = ada.id, north.id
    return result


async def _list(client: httpx.AsyncClient, token: str, **variables: Any) -> dict[str, Any]:
    body = await gql(client, STAFF_PAYMENTS, variables, token)
    assert "errors" not in body, body["errors"]
    page: dict[str, Any] = body["data"]["payments"]
    return page


def _names(desk: Desk, page: dict[str, Any]) -> list[str]:
    by_id = {global_id("Payment", row_id): name for name, row_id in desk.ids.items()}
    return [by_id[edge["node"]["id"]] for edge in page["edges"]]


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        (None, ["failed", "check", "flagged", "card"]),
        ({"status": ["SUCCEEDED"]}, ["check", "card"]),
        ({"needsReview": True}, ["flagged"]),
        ({"needsReview": False}, ["failed", "check", "card"]),
        ({"disputed": True}, ["check"]),
        ({"channel": ["CHECK", "CASH"]}, ["check"]),
        ({"channel": ["CARD"], "status": ["FAILED"]}, ["failed"]),
        ({"from": "2025-03-02T00:00:00Z"}, ["failed", "check"]),
        ({"to": "2025-03-01T12:30:00Z"}, ["card"]),
        ({"from": "2025-03-01T12:00:00Z", "to": "2025-03-02T12:00:00Z"}, ["flagged", "card"]),
    ],
)
async def test_each_filter_narrows_the_list(
    client: httpx.AsyncClient, desk: Desk, filter_: dict[str, Any] | None, expected: list[str]
) -> None:
    accountant = await staff_caller(Role.ACCOUNTANT)

    page = await _list(client, accountant.token, filter=filter_)

    assert _names(desk, page) == expected
    assert page["totalCount"] == len(expected)


async def test_patient_and_location_filters(client: httpx.AsyncClient, desk: Desk) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    ada = await _list(client, clerk.token, filter={"patientId": global_id("Patient", desk.ada_id)})
    north = await _list(
        client, clerk.token, filter={"locationId": global_id("Location", desk.north_id)}
    )

    assert _names(desk, ada) == _names(desk, north) == ["flagged", "card"]
    assert ada["edges"][0]["node"]["patient"]["displayName"] == "Ada L."


async def test_pages_follow_each_other(client: httpx.AsyncClient, desk: Desk) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    first = await _list(client, clerk.token, first=3)
    rest = await _list(client, clerk.token, first=3, after=first["pageInfo"]["endCursor"])

    assert _names(desk, first) + _names(desk, rest) == ["failed", "check", "flagged", "card"]
    assert (first["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)


async def test_a_page_is_a_constant_number_of_statements(
    client: httpx.AsyncClient, desk: Desk, count_queries: Callable[[], int], settings: Settings
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)
    await _list(client, clerk.token)

    start = count_queries()
    await _list(client, clerk.token, first=2)
    small = count_queries() - start
    north = await create_location("West", "America/Los_Angeles", "")
    for index in range(25):
        someone = await office_patient(settings, f"P{index}", "Doe", date(1990, 1, 1))
        bill = await invoice(someone.id, north.id)
        await payment(someone.id, {bill.id: 100}, created_at=START - timedelta(days=index + 1))
    start = count_queries()
    page = await _list(client, clerk.token, first=25)
    large = count_queries() - start

    assert len(page["edges"]) == 25
    assert small == large
    assert large <= 8


@pytest.mark.parametrize(
    "variables",
    [
        {"filter": {"from": "2025-03-01T00:00:00"}},
        {"filter": {"patientId": global_id("Invoice", 1)}},
        {"after": "bm90LWEtY3Vyc29y"},
        {"first": -1},
    ],
)
async def test_bad_arguments_are_bad_user_input(
    client: httpx.AsyncClient, desk: Desk, variables: dict[str, Any]
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    body = await gql(client, STAFF_PAYMENTS, variables, clerk.token)

    assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("role", [Role.PATIENT, Role.AUDITOR])
async def test_patients_and_auditors_are_refused(
    client: httpx.AsyncClient, desk: Desk, role: Role
) -> None:
    caller = await staff_caller(role)

    body = await gql(client, STAFF_PAYMENTS, {}, caller.token)

    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
