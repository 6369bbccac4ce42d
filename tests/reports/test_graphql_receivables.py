"""The receivables report: billed, collected, outstanding and pending insurance, and open
balances by age, per location and for all, computed by the database. Void invoices and
other currencies are left out; only staff who read reports may see it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from billing.invoices.rules import NewInvoiceLine, create_invoice
from billing.ledger.postings import Posting, post_entries
from billing.locations.rules import create_location
from models.enums import LedgerEntryKind, Role
from models.invoices import Invoice as InvoiceRow
from models.ledger import LedgerEntry
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.graphql_client import gql

RECEIVABLES = """
query Receivables($locationId: ID) {
  receivables(locationId: $locationId) {
    billed { amount currency }
    collected { amount currency }
    outstanding { amount currency }
    insurancePending { amount currency }
    aging { bucket amount { amount currency } invoiceCount }
  }
}
"""


@dataclass(frozen=True)
class Books:
    north_id: int
    south_id: int
    empty_id: int


def _today() -> date:
    # The report ages balances as of today where the location is (the factory's are in
    # Chicago).
    return datetime.now(ZoneInfo("America/Chicago")).date()


async def _due(ada: PatientCaller, site_id: int, days_past_due: int, **options: Any) -> int:
    """An invoice due ``days_past_due`` days ago (negative: not yet due)."""
    due = _today() - timedelta(days=days_past_due)
    row = await invoice(
        ada.patient_id, site_id, issued=due - timedelta(days=30), due=due, **options
    )
    invoice_id: int = row.id
    return invoice_id


@pytest.fixture
async def books(client: httpx.AsyncClient) -> Books:
    ada = await patient_caller("ada@example.org")
    north, south, empty = await location("North"), await location("South"), await location("East")
    # North: 1,050.00 billed (USD), one invoice per aging range up to 60 days.
    await _due(ada, north.id, -5, prices_minor=(10000,))  # current, 100.00
    await _due(ada, north.id, 0, prices_minor=(2500,))  # due today: still current, 25.00
    await _due(ada, north.id, 1, prices_minor=(20000,), paid_minor=5000)  # 1-30, 150.00
    await _due(ada, north.id, 30, prices_minor=(20000, 10000), covered_minor=10000)  # 1-30, 200
    refunded = await _due(ada, north.id, 31, prices_minor=(40000,), paid_minor=10000)  # 31-60
    await _refund(refunded, 4000)  # balance 340.00, collected 60.00
    await _due(ada, north.id, 100, prices_minor=(5000,), paid_minor=5000)  # settled: no aging
    await _due(ada, north.id, 60, prices_minor=(1500,))  # 31-60 at the edge, 15.00
    # Not in any figure: another currency, and a void invoice with a payment.
    await _euro_invoice(ada, north.id)
    voided = await _due(ada, south.id, 70, prices_minor=(70000,), paid_minor=10000)
    await post_entries(await _row(voided), [Posting(LedgerEntryKind.VOID, 0)])
    # South: 1,100.00 billed, 61-90 and over 90.
    await _due(ada, south.id, 61, prices_minor=(50000,))  # 61-90, 500.00
    await _due(ada, south.id, 90, prices_minor=(1000,))  # 61-90 at the edge, 10.00
    await _due(ada, south.id, 91, prices_minor=(60000,), paid_minor=10000)  # over 90, 500.00
    return Books(north.id, south.id, empty.id)


async def _row(invoice_id: int) -> InvoiceRow:
    return await InvoiceRow.get(id=invoice_id)


async def _refund(invoice_id: int, amount_minor: int) -> None:
    """Give back part of the invoice's payment."""
    paid = await LedgerEntry.get(invoice_id=invoice_id, kind=LedgerEntryKind.PAYMENT)
    refund = Posting(LedgerEntryKind.REFUND, amount_minor, payment_id=paid.payment_id)
    await post_entries(await _row(invoice_id), [refund])


async def _euro_invoice(ada: PatientCaller, location_id: int) -> None:
    due = _today() - timedelta(days=5)
    line = NewInvoiceLine(code="A1", description="Item", quantity=1, unit_price_minor=8000)
    await create_invoice(
        ada.patient_id,
        location_id,
        "Dr. Adams",
        due,
        due,
        "EUR",
        [line],
        issued_at=due - timedelta(days=1),
    )


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def aging(*rows: tuple[str, str, int]) -> list[dict[str, Any]]:
    return [
        {"bucket": bucket, "amount": usd(amount), "invoiceCount": count}
        for bucket, amount, count in rows
    ]


async def _report(
    client: httpx.AsyncClient, token: str, location_id: int | None = None
) -> dict[str, Any]:
    variables = {"locationId": None if location_id is None else global_id("Location", location_id)}
    body = await gql(client, RECEIVABLES, variables, token)
    assert "errors" not in body, body["errors"]
    [report] = [
        entry for entry in body["data"]["receivables"] if entry["billed"]["currency"] == "USD"
    ]
    return dict(report)


async def test_one_locations_receivables(client: httpx.AsyncClient, books: Books) -> None:
    accountant = await staff_caller(Role.ACCOUNTANT)

    report = await _report(client, accountant.token, books.north_id)

    assert report == {
        "billed": usd("1090.00"),
        "collected": usd("160.00"),
        "outstanding": usd("830.00"),
        "insurancePending": usd("100.00"),
        "aging": aging(
            ("CURRENT", "125.00", 2),
            ("DAYS_1_30", "350.00", 2),
            ("DAYS_31_60", "355.00", 2),
            ("DAYS_61_90", "0.00", 0),
            ("OVER_90_DAYS", "0.00", 0),
        ),
    }


async def test_another_locations_receivables(client: httpx.AsyncClient, books: Books) -> None:
    accountant = await staff_caller(Role.ACCOUNTANT)

    report = await _report(client, accountant.token, books.south_id)

    assert report == {
        "billed": usd("1110.00"),
        "collected": usd("100.00"),
        "outstanding": usd("1010.00"),
        "insurancePending": usd("0.00"),
        "aging": aging(
            ("CURRENT", "0.00", 0),
            ("DAYS_1_30", "0.00", 0),
            ("DAYS_31_60", "0.00", 0),
            ("DAYS_61_90", "510.00", 2),
            ("OVER_90_DAYS", "500.00", 1),
        ),
    }


async def test_all_locations_together(client: httpx.AsyncClient, books: Books) -> None:
    admin = await staff_caller(Role.ADMIN)

    report = await _report(client, admin.token)

    assert report == {
        "billed": usd("2200.00"),
        "collected": usd("260.00"),
        "outstanding": usd("1840.00"),
        "insurancePending": usd("100.00"),
        "aging": aging(
            ("CURRENT", "125.00", 2),
            ("DAYS_1_30", "350.00", 2),
            ("DAYS_31_60", "355.00", 2),
            ("DAYS_61_90", "510.00", 2),
            ("OVER_90_DAYS", "500.00", 1),
        ),
    }


async def test_a_location_without_invoices_has_zero_everywhere(
    client: httpx.AsyncClient, books: Books
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    report = await _report(client, clerk.token, books.empty_id)

    assert report["billed"] == usd("0.00")
    assert report["outstanding"] == usd("0.00")
    assert [row["invoiceCount"] for row in report["aging"]] == [0] * 5


async def test_an_unknown_location_is_not_found(client: httpx.AsyncClient, books: Books) -> None:
    accountant = await staff_caller(Role.ACCOUNTANT)

    unknown = await gql(
        client, RECEIVABLES, {"locationId": global_id("Location", 987654)}, accountant.token
    )
    wrong_type = await gql(
        client, RECEIVABLES, {"locationId": global_id("Invoice", books.north_id)}, accountant.token
    )

    assert unknown["data"] is None
    assert [e["extensions"]["code"] for e in unknown["errors"]] == ["NOT_FOUND"]
    assert [e["extensions"]["code"] for e in wrong_type["errors"]] == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("role", [Role.PATIENT, Role.AUDITOR])
async def test_patients_and_auditors_cannot_see_receivables(
    client: httpx.AsyncClient, books: Books, role: Role
) -> None:
    caller = await staff_caller(role)

    body = await gql(client, RECEIVABLES, {"locationId": None}, caller.token)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def test_the_report_is_a_few_aggregate_queries_however_many_invoices(
    client: httpx.AsyncClient, books: Books, count_queries: Callable[[], int]
) -> None:
    accountant = await staff_caller(Role.ACCOUNTANT)

    start = count_queries()
    await _report(client, accountant.token, books.north_id)
    sent = count_queries() - start

    # The session lookup, the location check and the two aggregate queries (and a spare).
    assert sent <= 5


async def test_every_currency_has_its_own_receivables(
    client: httpx.AsyncClient, books: Books
) -> None:
    accountant = await staff_caller(Role.ACCOUNTANT)

    body = await gql(client, RECEIVABLES, {"locationId": None}, accountant.token)

    reports = body["data"]["receivables"]
    assert [report["billed"]["currency"] for report in reports] == ["EUR", "USD"]
    [euro] = [report for report in reports if report["billed"]["currency"] == "EUR"]
    assert euro["billed"] == {"amount": "80.00", "currency": "EUR"}
    assert euro["outstanding"] == {"amount": "80.00", "currency": "EUR"}
    assert [
        (row["bucket"], row["invoiceCount"]) for row in euro["aging"] if row["invoiceCount"]
    ] == [("DAYS_1_30", 1)]


async def test_aging_counts_days_where_the_location_is(client: httpx.AsyncClient) -> None:
    # In Kiritimati (UTC+14) tomorrow has begun for most of the UTC day, in Pago Pago
    # (UTC-11) today has not ended: due "yesterday" there is overdue, due "today" is not.
    ada = await patient_caller("ada@example.org")
    east = await create_location("Kiritimati", "Pacific/Kiritimati", "")
    west = await create_location("Pago Pago", "Pacific/Pago_Pago", "")
    now = datetime.now(UTC)
    for site, zone in ((east, "Pacific/Kiritimati"), (west, "Pacific/Pago_Pago")):
        local_today = now.astimezone(ZoneInfo(zone)).date()
        await invoice(
            ada.patient_id,
            site.id,
            issued=local_today - timedelta(days=30),
            due=local_today - timedelta(days=1),
        )
        await invoice(
            ada.patient_id, site.id, issued=local_today - timedelta(days=30), due=local_today
        )
    accountant = await staff_caller(Role.ACCOUNTANT)

    for site in (east, west):
        report = await _report(client, accountant.token, site.id)
        counts = {row["bucket"]: row["invoiceCount"] for row in report["aging"]}
        assert (counts["CURRENT"], counts["DAYS_1_30"]) == (1, 1)
