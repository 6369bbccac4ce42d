"""Staff issue invoices over the API: validation errors in the payload with nothing
written, numbers running per location, expected insurance split from the patient's part,
insurance decisions and adjustments as ledger rows, every change audited, and the roles
that may not do it refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from strawberry import relay

from billing.ledger.postings import Posting, post_entries
from models.audit import AuditEvent
from models.enums import LedgerEntryKind, Role
from models.invoices import Invoice as InvoiceRow
from models.invoices import InvoiceLine as InvoiceLineRow
from models.ledger import LedgerEntry
from models.locations import Location as LocationRow
from tests.support.factories.invoices import (
    Caller,
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.graphql_client import gql

CREATE_INVOICE = """
mutation CreateInvoice($input: CreateInvoiceInput!) {
  createInvoice(input: $input) {
    invoice { id number status total { amount currency } balance { amount currency } }
    errors { code field message }
  }
}
"""
RECORD_INSURANCE_DECISION = """
mutation RecordInsuranceDecision($input: InsuranceDecisionInput!) {
  recordInsuranceDecision(input: $input) {
    invoice { id status balance { amount currency } insurancePending { amount currency } }
    errors { code field message }
  }
}
"""
ADJUST_INVOICE = """
mutation AdjustInvoice($input: AdjustInvoiceInput!) {
  adjustInvoice(input: $input) {
    invoice { id status balance { amount currency } }
    errors { code field message }
  }
}
"""
INVOICE_FIGURES = """
query Figures($id: ID!) {
  node(id: $id) {
    ... on Invoice {
      status
      overdue
      total { amount }
      balance { amount }
      insurancePending { amount }
      patientResponsibility { amount }
    }
  }
}
"""
OVERDUE_INVOICES = """
query Overdue($overdue: Boolean) {
  myInvoices(filter: { overdue: $overdue }) { edges { node { id overdue } } }
}
"""


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def new_invoice(patient_id: int, location_id: int, **changes: Any) -> dict[str, Any]:
    """The input of createInvoice: two lines (120.00 + 2 x 15.20 = 150.40), due in 30 days."""
    fields: dict[str, Any] = {
        "patientId": global_id("Patient", patient_id),
        "locationId": global_id("Location", location_id),
        "providerName": "Dr. Adams",
        "serviceDate": "2025-01-09",
        "dueAt": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
        "currency": "USD",
        "lines": [
            {
                "description": "Office visit",
                "code": "99213",
                "quantity": 1,
                "unitPrice": "120.00",
            },
            {
                "description": "Test strips",
                "code": "A4253",
                "quantity": 2,
                "unitPrice": "15.20",
                "reorderable": True,
                "sku": "STRIPS-50",
            },
        ],
    }
    return {**fields, **changes}


def with_line(line_index: int, **changes: Any) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = new_invoice(0, 0)["lines"]
    lines[line_index] = {**lines[line_index], **changes}
    return lines


async def create(client: httpx.AsyncClient, token: str, fields: dict[str, Any]) -> dict[str, Any]:
    body = await gql(client, CREATE_INVOICE, {"input": fields}, token)
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"]["createInvoice"]
    return payload


async def figures(client: httpx.AsyncClient, token: str, invoice_id: str) -> dict[str, Any]:
    body = await gql(client, INVOICE_FIGURES, {"id": invoice_id}, token)
    node: dict[str, Any] = body["data"]["node"]
    return node


def row_id(invoice_id: str) -> int:
    return int(relay.GlobalID.from_id(invoice_id).node_id)


@pytest.fixture
async def clerk(client: httpx.AsyncClient) -> Caller:
    return await staff_caller(Role.BILLING_STAFF)


@pytest.fixture
async def ada(client: httpx.AsyncClient) -> PatientCaller:
    return await patient_caller("ada@example.org")


@pytest.fixture
async def north(client: httpx.AsyncClient) -> LocationRow:
    return await location("North Clinic")


async def test_staff_issue_an_invoice_that_is_open_for_its_total(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, north: LocationRow
) -> None:
    payload = await create(client, clerk.token, new_invoice(ada.patient_id, north.id))

    assert payload["errors"] == []
    created = payload["invoice"]
    assert created["number"] == f"L{north.id}-000001"
    assert created["status"] == "OPEN"
    assert created["total"] == usd("150.40")
    assert created["balance"] == usd("150.40")
    row = await InvoiceRow.get(id=row_id(created["id"]))
    assert (row.patient_id, row.location_id, row.provider_name) == (
        ada.patient_id,
        north.id,
        "Dr. Adams",
    )
    lines = await InvoiceLineRow.filter(invoice_id=row.id).order_by("position")
    assert [
        (line.code, line.quantity, line.unit_price_minor, line.amount_minor) for line in lines
    ] == [
        ("99213", 1, 12000, 12000),
        ("A4253", 2, 1520, 3040),
    ]
    assert [(line.reorderable, line.sku) for line in lines] == [(False, None), (True, "STRIPS-50")]
    charges = await LedgerEntry.filter(invoice_id=row.id).values_list("kind", "amount_minor")
    assert sorted(charges) == [("CHARGE", 3040), ("CHARGE", 12000)]


async def test_the_new_invoice_is_audited_with_its_patient(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, north: LocationRow
) -> None:
    payload = await create(client, clerk.token, new_invoice(ada.patient_id, north.id))

    [record] = await AuditEvent.filter(action="invoice.create")
    assert (record.outcome, record.actor_id, record.resource_type) == (
        "SUCCESS",
        clerk.user_id,
        "Invoice",
    )
    assert record.resource_id == str(row_id(payload["invoice"]["id"]))
    assert record.patient_id == ada.patient_id


async def test_numbers_run_one_by_one_per_location(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, north: LocationRow
) -> None:
    south = await location("South Clinic")
    numbers = []
    for site in (north, north, south, north, south):
        payload = await create(client, clerk.token, new_invoice(ada.patient_id, site.id))
        numbers.append(payload["invoice"]["number"])

    assert numbers == [
        f"L{north.id}-000001",
        f"L{north.id}-000002",
        f"L{south.id}-000001",
        f"L{north.id}-000003",
        f"L{south.id}-000002",
    ]


INVALID_INPUTS = [
    pytest.param({"lines": []}, "INVALID_INPUT", "lines", id="no-lines"),
    pytest.param(
        {"lines": with_line(0, quantity=0)}, "INVALID_QUANTITY", "lines.0.quantity", id="quantity"
    ),
    pytest.param(
        {"lines": with_line(1, quantity=-2)},
        "INVALID_QUANTITY",
        "lines.1.quantity",
        id="negative-quantity",
    ),
    pytest.param(
        {"lines": with_line(1, unitPrice="-1.00")},
        "INVALID_AMOUNT",
        "lines.1.unitPrice",
        id="negative-price",
    ),
    pytest.param(
        {"lines": with_line(0, unitPrice="10.005")},
        "INVALID_AMOUNT",
        "lines.0.unitPrice",
        id="sub-cent-price",
    ),
    pytest.param(
        {"lines": with_line(0, description="  ")},
        "INVALID_INPUT",
        "lines.0.description",
        id="blank-description",
    ),
    pytest.param(
        {"lines": with_line(1, code="")}, "INVALID_INPUT", "lines.1.code", id="blank-code"
    ),
    pytest.param({"providerName": " "}, "INVALID_INPUT", "providerName", id="blank-provider"),
    pytest.param({"currency": "XYZ"}, "UNKNOWN_CURRENCY", "currency", id="currency"),
    pytest.param({"dueAt": "2001-01-01"}, "INVALID_INPUT", "dueAt", id="due-before-issue"),
    pytest.param(
        {"insurance": {"payerName": "Acme Health", "coveredAmount": "150.41"}},
        "COVERED_AMOUNT_TOO_HIGH",
        "insurance.coveredAmount",
        id="covered-above-total",
    ),
    pytest.param(
        {"insurance": {"payerName": "Acme Health", "coveredAmount": "0"}},
        "INVALID_AMOUNT",
        "insurance.coveredAmount",
        id="covered-zero",
    ),
    pytest.param(
        {"insurance": {"payerName": "", "coveredAmount": "10.00"}},
        "INVALID_INPUT",
        "insurance.payerName",
        id="blank-payer",
    ),
    pytest.param(
        {"patientId": global_id("Patient", 987654)}, "NOT_FOUND", "patientId", id="no-patient"
    ),
    pytest.param(
        {"locationId": global_id("Location", 987654)},
        "NOT_FOUND",
        "locationId",
        id="no-location",
    ),
    pytest.param(
        {"locationId": global_id("Location", 10**30)},
        "NOT_FOUND",
        "locationId",
        id="impossible-location",
    ),
    pytest.param(
        {"patientId": global_id("Invoice", 1)}, "INVALID_INPUT", "patientId", id="not-a-patient"
    ),
]


@pytest.mark.parametrize(("changes", "code", "field"), INVALID_INPUTS)
async def test_invalid_input_is_refused_with_its_field_and_nothing_is_written(
    client: httpx.AsyncClient,
    clerk: Caller,
    ada: PatientCaller,
    north: LocationRow,
    changes: dict[str, Any],
    code: str,
    field: str,
) -> None:
    payload = await create(client, clerk.token, new_invoice(ada.patient_id, north.id, **changes))

    assert payload["invoice"] is None
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [(code, field)]
    assert await InvoiceRow.all().count() == 0
    assert await InvoiceLineRow.all().count() == 0
    assert await LedgerEntry.all().count() == 0
    assert (await LocationRow.get(id=north.id)).last_invoice_number == 0
    [record] = await AuditEvent.filter(action="invoice.create")
    assert (record.outcome, record.reference) == ("FAILURE", code)


async def test_a_refused_invoice_does_not_use_up_a_number(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, north: LocationRow
) -> None:
    await create(client, clerk.token, new_invoice(ada.patient_id, north.id, dueAt="2001-01-01"))
    payload = await create(client, clerk.token, new_invoice(ada.patient_id, north.id))

    assert payload["invoice"]["number"] == f"L{north.id}-000001"


async def test_expected_insurance_is_pending_and_only_the_rest_is_the_patients_balance(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, north: LocationRow
) -> None:
    insured = new_invoice(
        ada.patient_id,
        north.id,
        insurance={"payerName": "Acme Health", "coveredAmount": "100.40"},
    )

    created = (await create(client, clerk.token, insured))["invoice"]

    assert created["status"] == "PENDING_INSURANCE"
    assert created["total"] == usd("150.40")
    assert created["balance"] == usd("50.00")
    seen = await figures(client, clerk.token, created["id"])
    assert seen["insurancePending"] == {"amount": "100.40"}
    assert seen["patientResponsibility"] == {"amount": "50.00"}
    row = await InvoiceRow.get(id=row_id(created["id"]))
    assert row.insurance_payer_name == "Acme Health"


async def _insured_invoice(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, north: LocationRow
) -> str:
    insured = new_invoice(
        ada.patient_id,
        north.id,
        insurance={"payerName": "Acme Health", "coveredAmount": "100.40"},
    )
    invoice_id: str = (await create(client, clerk.token, insured))["invoice"]["id"]
    return invoice_id


async def _decide(
    client: httpx.AsyncClient, token: str, invoice_id: str, paid: str, denied: str
) -> dict[str, Any]:
    decision = {"invoiceId": invoice_id, "paidAmount": paid, "deniedAmount": denied}
    body = await gql(client, RECORD_INSURANCE_DECISION, {"input": decision}, token)
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"]["recordInsuranceDecision"]
    return payload


async def test_a_denied_part_moves_to_the_patient_and_the_status_follows_the_ledger(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, north: LocationRow
) -> None:
    invoice_id = await _insured_invoice(client, clerk, ada, north)

    partly = await _decide(client, clerk.token, invoice_id, "60.00", "0")
    assert partly["errors"] == []
    assert partly["invoice"]["status"] == "PENDING_INSURANCE"
    assert partly["invoice"]["insurancePending"] == usd("40.40")
    assert partly["invoice"]["balance"] == usd("50.00")

    decided = await _decide(client, clerk.token, invoice_id, "30.00", "10.40")
    assert decided["errors"] == []
    assert decided["invoice"]["status"] == "OPEN"
    assert decided["invoice"]["insurancePending"] == usd("0.00")
    assert decided["invoice"]["balance"] == usd("60.40")

    rows = await LedgerEntry.filter(invoice_id=row_id(invoice_id)).order_by("id")
    decisions = [
        (row.kind, row.amount_minor, row.actor_id)
        for row in rows
        if row.kind in (LedgerEntryKind.INSURANCE_PAID, LedgerEntryKind.INSURANCE_DENIED)
    ]
    assert decisions == [
        ("INSURANCE_PAID", 6000, clerk.user_id),
        ("INSURANCE_PAID", 3000, clerk.user_id),
        ("INSURANCE_DENIED", 1040, clerk.user_id),
    ]
    audited = await AuditEvent.filter(action="invoice.insurance_decision").values_list(
        "outcome", "resource_id", "patient_id"
    )
    assert audited == [("SUCCESS", str(row_id(invoice_id)), ada.patient_id)] * 2


async def test_a_full_denial_leaves_the_whole_total_to_the_patient(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, north: LocationRow
) -> None:
    invoice_id = await _insured_invoice(client, clerk, ada, north)

    decided = await _decide(client, clerk.token, invoice_id, "0", "100.40")

    assert decided["invoice"]["status"] == "OPEN"
    assert decided["invoice"]["balance"] == usd("150.40")
    seen = await figures(client, clerk.token, invoice_id)
    assert seen["patientResponsibility"] == {"amount": "150.40"}


@pytest.mark.parametrize(
    ("paid", "denied", "code", "field"),
    [
        ("100.41", "0", "INVALID_AMOUNT", "paidAmount"),
        ("50.00", "50.41", "INVALID_AMOUNT", "paidAmount"),
        ("-1.00", "0", "INVALID_AMOUNT", "paidAmount"),
        ("0", "-1.00", "INVALID_AMOUNT", "deniedAmount"),
        ("0", "0", "INVALID_AMOUNT", "paidAmount"),
        ("1.001", "0", "INVALID_AMOUNT", "paidAmount"),
    ],
)
async def test_a_decision_beyond_what_is_pending_is_refused(
    client: httpx.AsyncClient,
    clerk: Caller,
    ada: PatientCaller,
    north: LocationRow,
    paid: str,
    denied: str,
    code: str,
    field: str,
) -> None:
    invoice_id = await _insured_invoice(client, clerk, ada, north)

    payload = await _decide(client, clerk.token, invoice_id, paid, denied)

    assert payload["invoice"] is None
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [(code, field)]
    rows = await LedgerEntry.filter(invoice_id=row_id(invoice_id))
    assert sorted(row.kind for row in rows) == ["CHARGE", "CHARGE", "INSURANCE_EXPECTED"]


async def test_a_decision_needs_insurance_pending_and_an_invoice(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, north: LocationRow
) -> None:
    uninsured = await create(client, clerk.token, new_invoice(ada.patient_id, north.id))
    invoice_id = uninsured["invoice"]["id"]

    nothing_pending = await _decide(client, clerk.token, invoice_id, "10.00", "0")
    missing = await _decide(client, clerk.token, global_id("Invoice", 987654), "10.00", "0")

    assert [e["code"] for e in nothing_pending["errors"]] == ["NO_INSURANCE_PENDING"]
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("NOT_FOUND", "invoiceId")]


async def _adjust(
    client: httpx.AsyncClient, token: str, invoice_id: str, amount: str, reason: str
) -> dict[str, Any]:
    adjustment = {"invoiceId": invoice_id, "amount": amount, "reason": reason}
    body = await gql(client, ADJUST_INVOICE, {"input": adjustment}, token)
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"]["adjustInvoice"]
    return payload


async def test_adjustments_are_new_ledger_rows_with_their_reason(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, north: LocationRow
) -> None:
    invoice_id = (await create(client, clerk.token, new_invoice(ada.patient_id, north.id)))[
        "invoice"
    ]["id"]
    before = await LedgerEntry.filter(invoice_id=row_id(invoice_id)).order_by("id").values()

    discount = await _adjust(client, clerk.token, invoice_id, "-20.40", "Prompt pay discount")
    fee = await _adjust(client, clerk.token, invoice_id, "5.00", "Late fee")

    assert discount["errors"] == []
    assert fee["errors"] == []
    assert discount["invoice"]["balance"] == usd("130.00")
    assert fee["invoice"]["balance"] == usd("135.00")
    assert fee["invoice"]["status"] == "OPEN"
    after = await LedgerEntry.filter(invoice_id=row_id(invoice_id)).order_by("id").values()
    assert after[: len(before)] == before  # nothing booked before was changed
    assert [
        (row["kind"], row["amount_minor"], row["reason"], row["actor_id"])
        for row in after[len(before) :]
    ] == [
        ("ADJUSTMENT", -2040, "Prompt pay discount", clerk.user_id),
        ("ADJUSTMENT", 500, "Late fee", clerk.user_id),
    ]
    seen = await figures(client, clerk.token, invoice_id)
    assert seen["total"] == {"amount": "135.00"}
    audited = await AuditEvent.filter(action="invoice.adjust").values_list("outcome", "patient_id")
    assert audited == [("SUCCESS", ada.patient_id)] * 2


async def test_a_write_off_of_the_whole_balance_settles_the_invoice(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, north: LocationRow
) -> None:
    invoice_id = (await create(client, clerk.token, new_invoice(ada.patient_id, north.id)))[
        "invoice"
    ]["id"]

    written_off = await _adjust(client, clerk.token, invoice_id, "-150.40", "Hardship write-off")

    assert written_off["invoice"]["balance"] == usd("0.00")


@pytest.mark.parametrize(
    ("amount", "reason", "code", "field"),
    [
        ("0", "Nothing", "INVALID_AMOUNT", "amount"),
        ("-10.00", "  ", "INVALID_INPUT", "reason"),
        ("-150.41", "Too much", "INVALID_AMOUNT", "amount"),
        ("0.001", "Fraction", "INVALID_AMOUNT", "amount"),
    ],
)
async def test_a_bad_adjustment_is_refused_and_not_booked(
    client: httpx.AsyncClient,
    clerk: Caller,
    ada: PatientCaller,
    north: LocationRow,
    amount: str,
    reason: str,
    code: str,
    field: str,
) -> None:
    invoice_id = (await create(client, clerk.token, new_invoice(ada.patient_id, north.id)))[
        "invoice"
    ]["id"]

    payload = await _adjust(client, clerk.token, invoice_id, amount, reason)

    assert payload["invoice"] is None
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [(code, field)]
    assert not await LedgerEntry.filter(kind=LedgerEntryKind.ADJUSTMENT).exists()
    [record] = await AuditEvent.filter(action="invoice.adjust")
    assert (record.outcome, record.reference) == ("FAILURE", code)


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.AUDITOR, Role.PATIENT])
async def test_roles_without_write_scopes_cannot_issue_decide_or_adjust(
    client: httpx.AsyncClient, ada: PatientCaller, north: LocationRow, role: Role
) -> None:
    bill = await invoice(ada.patient_id, north.id, covered_minor=5000)
    invoice_id = global_id("Invoice", bill.id)
    caller = await staff_caller(role)
    attempts = [
        (CREATE_INVOICE, {"input": new_invoice(ada.patient_id, north.id)}),
        (
            RECORD_INSURANCE_DECISION,
            {"input": {"invoiceId": invoice_id, "paidAmount": "50.00", "deniedAmount": "0"}},
        ),
        (ADJUST_INVOICE, {"input": {"invoiceId": invoice_id, "amount": "-1.00", "reason": "x"}}),
    ]

    for operation, variables in attempts:
        body = await gql(client, operation, variables, caller.token)
        assert body["data"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]

    assert await InvoiceRow.all().count() == 1
    assert await LedgerEntry.filter(invoice_id=bill.id).count() == 2
    denied = await AuditEvent.filter(action="access.denied", actor_id=caller.user_id)
    assert sorted(row.resource_type for row in denied) == [
        "adjustInvoice",
        "createInvoice",
        "recordInsuranceDecision",
    ]


async def test_admins_may_issue_and_adjust(
    client: httpx.AsyncClient, ada: PatientCaller, north: LocationRow
) -> None:
    admin = await staff_caller(Role.ADMIN)
    created = await create(client, admin.token, new_invoice(ada.patient_id, north.id))
    adjusted = await _adjust(client, admin.token, created["invoice"]["id"], "-0.40", "Rounding")

    assert adjusted["invoice"]["balance"] == usd("150.00")


async def test_overdue_on_an_invoice_agrees_with_the_overdue_filter(
    client: httpx.AsyncClient, clerk: Caller, ada: PatientCaller, north: LocationRow
) -> None:
    today = datetime.now(UTC).date()
    past = today - timedelta(days=40)
    late = await invoice(ada.patient_id, north.id, issued=past, due=today - timedelta(days=10))
    paid = await invoice(
        ada.patient_id, north.id, issued=past, due=today - timedelta(days=10), paid_minor=10000
    )
    not_due = await invoice(ada.patient_id, north.id, issued=past, due=today + timedelta(days=2))
    void = await invoice(ada.patient_id, north.id, issued=past, due=today - timedelta(days=10))
    await post_entries(void, [Posting(LedgerEntryKind.VOID, 0)])
    expected = {late.id: True, paid.id: False, not_due.id: False, void.id: False}

    everything = await gql(client, OVERDUE_INVOICES, {"overdue": None}, ada.token)
    overdue = await gql(client, OVERDUE_INVOICES, {"overdue": True}, ada.token)
    not_overdue = await gql(client, OVERDUE_INVOICES, {"overdue": False}, ada.token)

    def flags(body: dict[str, Any]) -> dict[int, bool]:
        edges = body["data"]["myInvoices"]["edges"]
        return {row_id(edge["node"]["id"]): edge["node"]["overdue"] for edge in edges}

    assert flags(everything) == expected
    assert flags(overdue) == {late.id: True}
    assert flags(not_overdue) == {paid.id: False, not_due.id: False, void.id: False}
    staff_view = await figures(client, clerk.token, global_id("Invoice", late.id))
    assert staff_view["overdue"] is True
