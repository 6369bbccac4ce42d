"""createExport gives a short-lived opaque link; GET on it streams the CSV from the
database with the columns the caller may see, cells safe for spreadsheets, and every link
and download on the access log."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from billing.exports.links import DOWNLOAD_ACTION
from billing.exports.use_cases import CREATE_EXPORT
from billing.ledger.postings import Posting, post_entries
from billing.locations.rules import create_location
from config.settings import Settings
from models.enums import AuditOutcome, LedgerEntryKind, PaymentStatus, Role
from models.exports import ExportLink
from models.patients import Patient
from tests.support.factories.accounts import audit_rows, audit_values, error_codes
from tests.support.factories.invoices import Caller, global_id, invoice, payment, staff_caller
from tests.support.factories.office import office_operation, office_patient
from tests.support.graphql_client import gql

CREATE_EXPORT_OPERATION = office_operation("CreateExport")


@pytest.fixture
async def books(client: httpx.AsyncClient, settings: Settings) -> Patient:
    site = await create_location("North", "America/Chicago", "")
    other = await create_location("South", "America/Denver", "")
    rosa = await office_patient(settings, "Rosa", "Parks", date(1950, 2, 4), location_id=site.id)
    first = await invoice(
        rosa.id, site.id, provider='=HYPERLINK("http://evil.example")', issued=date(2025, 1, 5)
    )
    await invoice(rosa.id, site.id, prices_minor=(2500, 1250), issued=date(2025, 1, 6))
    await invoice(rosa.id, other.id, issued=date(2025, 1, 7))
    paid = await payment(rosa.id, {first.id: 4000}, status=PaymentStatus.SUCCEEDED)
    await post_entries(first, [Posting(LedgerEntryKind.PAYMENT, 4000, paid.id)])
    return rosa


async def _link(client: httpx.AsyncClient, caller: Caller, **given: Any) -> dict[str, Any]:
    body = await gql(client, CREATE_EXPORT_OPERATION, {"input": given}, caller.token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["createExport"]
    return payload


async def _download(client: httpx.AsyncClient, url: str) -> httpx.Response:
    return await client.get(urlsplit(url).path)


def _table(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


async def test_staff_export_invoices_with_patient_names(
    client: httpx.AsyncClient, books: Patient
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    link = await _link(client, clerk, kind="INVOICES", **{"from": "2025-01-01", "to": "2025-01-06"})
    response = await _download(client, link["url"])

    assert link["errors"] == []
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"].startswith('attachment; filename="invoices-')
    table = _table(response)
    assert table[0] == [
        "invoice_number",
        "location",
        "patient_account_number",
        "patient_name",
        "provider",
        "service_date",
        "issued_at",
        "due_at",
        "status",
        "currency",
        "total",
        "balance",
        "insurance_pending",
        "insurance_payer",
        "disputed",
        "billed_to",
        "organization",
        "purchase_order_number",
    ]
    assert [row[6] for row in table[1:]] == ["2025-01-05", "2025-01-06"]
    first, second = table[1], table[2]
    assert first[2:5] == [books.account_number, "Rosa Parks", '\'=HYPERLINK("http://evil.example")']
    assert first[8:12] == ["PARTIALLY_PAID", "USD", "100.00", "60.00"]
    assert second[10:12] == ["37.50", "37.50"]


async def test_accountants_get_no_names_codes_or_descriptions(
    client: httpx.AsyncClient, books: Patient
) -> None:
    accountant = await staff_caller(Role.ACCOUNTANT)

    invoices = _table(
        await _download(client, (await _link(client, accountant, kind="INVOICES"))["url"])
    )
    revenue_link = await _link(
        client, accountant, kind="REVENUE_BY_SERVICE", **{"from": "2025-01-01", "to": "2025-01-31"}
    )
    revenue = _table(await _download(client, revenue_link["url"]))

    assert "patient_name" not in invoices[0]
    assert "Rosa" not in str(invoices)
    assert revenue[0] == ["currency", "quantity", "billed", "collected"]
    assert revenue[1:] == [["USD", "3", "225.00", "40.00"], ["USD", "1", "12.50", "0.00"]]


async def test_staff_see_codes_in_revenue_by_service(
    client: httpx.AsyncClient, books: Patient
) -> None:
    clerk = await staff_caller(Role.ADMIN)
    link = await _link(
        client, clerk, kind="REVENUE_BY_SERVICE", **{"from": "2025-01-01", "to": "2025-01-31"}
    )

    table = _table(await _download(client, link["url"]))

    assert table[0] == ["code", "description", "currency", "quantity", "billed", "collected"]
    assert [row[:2] for row in table[1:]] == [["A4250", "Item 1"], ["A4251", "Item 2"]]


async def test_payments_aging_and_collections(client: httpx.AsyncClient, books: Patient) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)
    today = datetime.now(UTC).date()

    payments = _table(await _download(client, (await _link(client, clerk, kind="PAYMENTS"))["url"]))
    aging = _table(
        await _download(client, (await _link(client, clerk, kind="RECEIVABLES_AGING"))["url"])
    )
    collections_link = await _link(
        client,
        clerk,
        kind="COLLECTIONS",
        **{
            "from": (today - timedelta(days=3)).isoformat(),
            "to": (today + timedelta(days=1)).isoformat(),
        },
    )
    collections = _table(await _download(client, collections_link["url"]))

    assert payments[0][:4] == ["payment_id", "created_at", "patient_account_number", "patient_name"]
    assert [row[4:8] for row in payments[1:]] == [["CARD", "SUCCEEDED", "USD", "40.00"]]
    assert aging[0] == [
        "invoice_number",
        "location",
        "patient_account_number",
        "patient_name",
        "due_at",
        "days_past_due",
        "aging_bucket",
        "currency",
        "balance",
        "insurance_pending",
        "billed_to",
        "organization",
        "purchase_order_number",
    ]
    assert sorted(row[8] for row in aging[1:]) == ["100.00", "37.50", "60.00"]
    assert {row[6] for row in aging[1:]} == {"OVER_90_DAYS"}
    assert collections[0] == ["day", "currency", "billed", "collected", "refunded", "adjusted"]
    # Every invoice and payment was booked today (in some location's day).
    assert sum(Decimal(row[2]) for row in collections[1:]) == Decimal("237.50")
    assert sum(Decimal(row[3]) for row in collections[1:]) == Decimal("40.00")


async def test_one_locations_invoices(client: httpx.AsyncClient, books: Patient) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)
    south = await ExportLink.all().count()  # nothing made yet
    site = await Patient.get(id=books.id)
    link = await _link(
        client, clerk, kind="INVOICES", locationId=global_id("Location", site.location_id or 0)
    )

    table = _table(await _download(client, link["url"]))

    assert south == 0
    assert {row[1] for row in table[1:]} == {"North"}


async def test_the_link_names_nothing_and_is_on_the_access_log(
    client: httpx.AsyncClient, books: Patient
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    link = await _link(client, clerk, kind="INVOICES")
    await _download(client, link["url"])
    await _download(client, link["url"])

    path = urlsplit(link["url"]).path
    assert path.startswith("/exports/")
    assert books.account_number not in path
    assert "Rosa" not in path
    [made] = await audit_rows(CREATE_EXPORT.name)
    assert (made.actor_id, made.outcome, made.reference) == (
        clerk.user_id,
        AuditOutcome.SUCCESS,
        "INVOICES",
    )
    downloads = await audit_rows(DOWNLOAD_ACTION)
    assert len(downloads) == 2
    assert {row.actor_id for row in downloads} == {clerk.user_id}
    assert downloads[0].reference.startswith("INVOICES;columns:invoice_number,")
    logged = " ".join(str(value) for row in await audit_rows() for value in audit_values(row))
    assert "Rosa" not in logged
    assert "Parks" not in logged
    stored = await ExportLink.get(id=int(made.resource_id))
    assert stored.download_count == 2
    assert link["url"].rsplit("/", 1)[1] not in stored.token_hash


async def test_unknown_and_expired_links_are_the_same_404(
    client: httpx.AsyncClient, books: Patient
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)
    link = await _link(client, clerk, kind="PAYMENTS")
    await ExportLink.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))

    expired = await _download(client, link["url"])
    unknown = await client.get("/exports/not-a-token")
    odd = await client.get("/exports/" + "x" * 300)

    assert expired.status_code == unknown.status_code == odd.status_code == 404
    assert expired.content == unknown.content == b""
    assert await audit_rows(DOWNLOAD_ACTION) == []


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"kind": "COLLECTIONS"}, "from"),
        ({"kind": "REVENUE_BY_SERVICE", "from": "2025-01-01"}, "from"),
        ({"kind": "INVOICES", "from": "2025-02-01", "to": "2025-01-01"}, "to"),
        ({"kind": "INVOICES", "locationId": global_id("Location", 987654)}, "locationId"),
    ],
)
async def test_bad_requests_make_no_link(
    client: httpx.AsyncClient, books: Patient, given: dict[str, Any], field: str
) -> None:
    clerk = await staff_caller(Role.BILLING_STAFF)

    payload = await _link(client, clerk, **given)

    assert payload["url"] is None
    assert [error["field"] for error in payload["errors"]] == [field]
    assert await ExportLink.all().count() == 0


@pytest.mark.parametrize("role", [Role.PATIENT, Role.AUDITOR])
async def test_patients_and_auditors_cannot_export(
    client: httpx.AsyncClient, books: Patient, role: Role
) -> None:
    caller = await staff_caller(role)

    body = await gql(client, CREATE_EXPORT_OPERATION, {"input": {"kind": "INVOICES"}}, caller.token)

    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    assert await ExportLink.all().count() == 0


async def test_a_download_is_read_in_batches_not_all_at_once(
    client: httpx.AsyncClient, books: Patient, count_queries: Callable[[], int], settings: Settings
) -> None:
    from billing.exports.sources import ExportRequest, export_rows
    from models.exports import ExportKind
    from tests.support.factories.accounts import api_cipher

    site = await create_location("Bulk", "UTC", "")
    for index in range(7):
        await invoice(books.id, site.id, issued=date(2025, 3, 1) + timedelta(days=index))
    request = ExportRequest(
        ExportKind.INVOICES, None, None, site.id, ("invoice_number", "patient_account_number")
    )
    rows = export_rows(request, api_cipher(settings), now=datetime.now(UTC), batch_size=3)

    start = count_queries()
    first = await anext(rows)
    after_first = count_queries() - start
    rest = [row async for row in rows]

    # Locations once, then the first batch and its patients: not the seven invoices.
    assert after_first == 3
    assert len(rest) == 6
    assert first[1] == books.account_number
    # Three batches (3 + 3 + 1), each with its patients' query.
    assert count_queries() - start == 1 + 3 * 2
