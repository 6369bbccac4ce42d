"""The collections report and revenue by service over a known ledger: every figure checked,
per day, week and month in each location's own time zone, one row per currency, and the
roles that may not read reports refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from billing.invoices.rules import NewInvoiceLine, create_invoice
from billing.ledger.postings import Posting, post_entries
from billing.locations.rules import create_location
from config.settings import Settings
from models.enums import LedgerEntryKind, Role
from models.invoices import Invoice as InvoiceRow
from models.ledger import LedgerEntry
from models.payments import Refund
from tests.support.factories.accounts import error_codes
from tests.support.factories.invoices import global_id, payment, staff_caller
from tests.support.factories.office import office_operation, office_patient
from tests.support.graphql_client import gql

COLLECTIONS = office_operation("CollectionsReport")
REVENUE = office_operation("RevenueByService")


@dataclass(frozen=True)
class Ledger:
    north_id: int
    auckland_id: int


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def _bill(
    patient_id: int, location_id: int, currency: str, lines: list[tuple[str, int, int]]
) -> InvoiceRow:
    return await create_invoice(
        patient_id,
        location_id,
        "Dr. Adams",
        date(2025, 1, 4),
        date(2025, 2, 4),
        currency,
        [NewInvoiceLine(code, f"Service {code}", qty, price) for code, qty, price in lines],
        issued_at=date(2025, 1, 5),
    )


async def _when(invoice: InvoiceRow, kind: LedgerEntryKind, instant: datetime) -> None:
    await LedgerEntry.filter(invoice_id=invoice.id, kind=kind).update(created_at=instant)


@pytest.fixture
async def ledger(client: httpx.AsyncClient, settings: Settings) -> Ledger:
    """January 2025: Chicago is UTC-6, Auckland UTC+13."""
    ada = await office_patient(settings, "Ada", "Lovelace", date(1980, 2, 3))
    north = await create_location("North", "America/Chicago", "")
    auckland = await create_location("Auckland", "Pacific/Auckland", "")

    # A (North, USD): 2 x 50.00 billed Sunday 5 January 21:00 in Chicago.
    a = await _bill(ada.id, north.id, "USD", [("A1", 2, 5000)])
    await _when(a, LedgerEntryKind.CHARGE, at("2025-01-06T03:00:00"))
    paid_a = await payment(ada.id, {a.id: 4000})
    await post_entries(a, [Posting(LedgerEntryKind.PAYMENT, 4000, paid_a.id)])
    # 23:59 on Monday the 6th in Chicago ...
    await _when(a, LedgerEntryKind.PAYMENT, at("2025-01-07T05:59:00"))
    await post_entries(a, [Posting(LedgerEntryKind.ADJUSTMENT, -1000, reason="Discount")])
    # ... and 00:00 on Tuesday the 7th.
    await _when(a, LedgerEntryKind.ADJUSTMENT, at("2025-01-07T06:00:00"))
    refund = await Refund.create(
        payment_id=paid_a.id, amount_minor=1500, currency="USD", reason="Goodwill"
    )
    await post_entries(a, [Posting(LedgerEntryKind.REFUND, 1500, paid_a.id, refund_id=refund.id)])
    await _when(a, LedgerEntryKind.REFUND, at("2025-01-08T12:00:00"))

    # B (Auckland, USD): 150.00 + 50.00, billed 00:30 on the 7th in Auckland; paid 250.00
    # at 01:00 on 1 February there, 50.00 of it moved on to the credit balance.
    b = await _bill(ada.id, auckland.id, "USD", [("B1", 1, 15000), ("B2", 1, 5000)])
    await _when(b, LedgerEntryKind.CHARGE, at("2025-01-06T11:30:00"))
    paid_b = await payment(ada.id, {b.id: 25000})
    await post_entries(b, [Posting(LedgerEntryKind.PAYMENT, 25000, paid_b.id)])
    await LedgerEntry.filter(invoice_id=b.id, payment_id=paid_b.id).update(
        created_at=at("2025-01-31T12:00:00")
    )

    # C (North, EUR): 80.00 billed and paid at noon on the 6th in Chicago.
    c = await _bill(ada.id, north.id, "EUR", [("A1", 1, 8000)])
    paid_c = await payment(ada.id, {c.id: 8000})
    await post_entries(c, [Posting(LedgerEntryKind.PAYMENT, 8000, paid_c.id)])
    await LedgerEntry.filter(invoice_id=c.id).update(created_at=at("2025-01-06T18:00:00"))

    # D (North, USD): void, in no figure.
    d = await _bill(ada.id, north.id, "USD", [("A1", 9, 11100)])
    await post_entries(d, [Posting(LedgerEntryKind.VOID, 0)])
    await LedgerEntry.filter(invoice_id=d.id).update(created_at=at("2025-01-06T18:00:00"))
    return Ledger(north.id, auckland.id)


def money(amount: str, currency: str = "USD") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def row(
    start: str,
    currency: str = "USD",
    billed: str = "0.00",
    collected: str = "0.00",
    refunded: str = "0.00",
    adjusted: str = "0.00",
) -> dict[str, Any]:
    return {
        "start": start,
        "billed": money(billed, currency),
        "collected": money(collected, currency),
        "refunded": money(refunded, currency),
        "adjusted": money(adjusted, currency),
    }


async def _collections(
    client: httpx.AsyncClient, token: str, **variables: Any
) -> list[dict[str, Any]]:
    body = await gql(client, COLLECTIONS, variables, token)
    assert "errors" not in body, body["errors"]
    rows: list[dict[str, Any]] = body["data"]["collectionsReport"]
    return rows


JANUARY_AND_FEBRUARY = {"from": "2025-01-01", "to": "2025-02-28"}


async def test_daily_collections_follow_each_locations_day(
    client: httpx.AsyncClient, ledger: Ledger
) -> None:
    accountant = await staff_caller(Role.ACCOUNTANT)

    rows = await _collections(client, accountant.token, interval="DAY", **JANUARY_AND_FEBRUARY)

    assert rows == [
        row("2025-01-05", billed="100.00"),
        row("2025-01-06", "EUR", billed="80.00", collected="80.00"),
        row("2025-01-06", collected="40.00"),
        row("2025-01-07", billed="200.00", adjusted="-10.00"),
        row("2025-01-08", refunded="15.00"),
        row("2025-02-01", collected="200.00"),
    ]


async def test_weekly_collections_start_on_monday(
    client: httpx.AsyncClient, ledger: Ledger
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    rows = await _collections(client, clerk.token, interval="WEEK", **JANUARY_AND_FEBRUARY)

    assert rows == [
        row("2024-12-30", billed="100.00"),
        row("2025-01-06", "EUR", billed="80.00", collected="80.00"),
        row("2025-01-06", billed="200.00", collected="40.00", refunded="15.00", adjusted="-10.00"),
        row("2025-01-27", collected="200.00"),
    ]


async def test_monthly_collections_one_row_per_currency(
    client: httpx.AsyncClient, ledger: Ledger
) -> None:
    admin = await staff_caller(Role.ADMIN)

    rows = await _collections(client, admin.token, interval="MONTH", **JANUARY_AND_FEBRUARY)

    assert rows == [
        row("2025-01-01", "EUR", billed="80.00", collected="80.00"),
        row("2025-01-01", billed="300.00", collected="40.00", refunded="15.00", adjusted="-10.00"),
        row("2025-02-01", collected="200.00"),
    ]


async def test_one_location_and_a_narrow_range(client: httpx.AsyncClient, ledger: Ledger) -> None:
    accountant = await staff_caller(Role.ACCOUNTANT)
    north = global_id("Location", ledger.north_id)

    at_north = await _collections(
        client, accountant.token, interval="MONTH", locationId=north, **JANUARY_AND_FEBRUARY
    )
    one_day = await _collections(
        client, accountant.token, interval="DAY", **{"from": "2025-01-07", "to": "2025-01-07"}
    )

    assert at_north == [
        row("2025-01-01", "EUR", billed="80.00", collected="80.00"),
        row("2025-01-01", billed="100.00", collected="40.00", refunded="15.00", adjusted="-10.00"),
    ]
    assert one_day == [row("2025-01-07", billed="200.00", adjusted="-10.00")]


async def test_revenue_by_service_per_code_and_currency(
    client: httpx.AsyncClient, ledger: Ledger
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    body = await gql(client, REVENUE, {"from": "2025-01-01", "to": "2025-01-31"}, clerk.token)

    assert body["data"]["revenueByService"] == [
        {
            "code": "A1",
            "description": "Service A1",
            "quantity": 1,
            "billed": money("80.00", "EUR"),
            "collected": money("80.00", "EUR"),
        },
        {
            # Invoice A's net payments: 40.00 paid, 15.00 refunded.
            "code": "A1",
            "description": "Service A1",
            "quantity": 2,
            "billed": money("100.00"),
            "collected": money("25.00"),
        },
        {
            # Invoice B's 200.00 kept (250.00 paid, 50.00 to credit), shared 150 : 50.
            "code": "B1",
            "description": "Service B1",
            "quantity": 1,
            "billed": money("150.00"),
            "collected": money("150.00"),
        },
        {
            "code": "B2",
            "description": "Service B2",
            "quantity": 1,
            "billed": money("50.00"),
            "collected": money("50.00"),
        },
    ]


async def test_accountants_see_revenue_without_codes_or_descriptions(
    client: httpx.AsyncClient, ledger: Ledger
) -> None:
    accountant = await staff_caller(Role.ACCOUNTANT)
    variables = {
        "from": "2025-01-01",
        "to": "2025-01-31",
        "locationId": global_id("Location", ledger.auckland_id),
    }

    body = await gql(client, REVENUE, variables, accountant.token)

    assert body["data"]["revenueByService"] == [
        {
            "code": None,
            "description": None,
            "quantity": 1,
            "billed": money(amount),
            "collected": money(amount),
        }
        for amount in ("150.00", "50.00")
    ]


async def test_reports_are_one_aggregate_statement(
    client: httpx.AsyncClient, ledger: Ledger, count_queries: Callable[[], int]
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)
    await _collections(client, clerk.token, interval="DAY", **JANUARY_AND_FEBRUARY)

    start = count_queries()
    await _collections(client, clerk.token, interval="DAY", **JANUARY_AND_FEBRUARY)

    # The session, the report itself and the access log.
    assert count_queries() - start <= 5


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"from": "2025-02-01", "to": "2025-01-01", "interval": "DAY"}, "BAD_USER_INPUT"),
        ({"from": "2000-01-01", "to": "2025-01-01", "interval": "DAY"}, "BAD_USER_INPUT"),
        (
            {
                "from": "2025-01-01",
                "to": "2025-01-31",
                "interval": "DAY",
                "locationId": global_id("Location", 987654),
            },
            "NOT_FOUND",
        ),
    ],
)
async def test_bad_report_arguments(
    client: httpx.AsyncClient, ledger: Ledger, variables: dict[str, Any], code: str
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    body = await gql(client, COLLECTIONS, variables, clerk.token)

    assert error_codes(body) == [code]


@pytest.mark.parametrize("role", [Role.PATIENT, Role.AUDITOR])
async def test_patients_and_auditors_cannot_read_reports(
    client: httpx.AsyncClient, ledger: Ledger, role: Role
) -> None:
    caller = await staff_caller(role)

    collections = await gql(
        client, COLLECTIONS, {"interval": "DAY", **JANUARY_AND_FEBRUARY}, caller.token
    )
    revenue = await gql(client, REVENUE, JANUARY_AND_FEBRUARY, caller.token)

    assert error_codes(collections) == error_codes(revenue) == ["FORBIDDEN"]
