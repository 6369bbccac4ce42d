"""Billing staff upload insurers' 835 files: each claim posts to its invoice as the insurer's
decision, and every invoice's status and balance afterwards is what the file says; files
that do not validate or balance are refused storing nothing; the same file twice posts
once; claims that fit no invoice wait in the worklist for matchRemittanceClaim."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from strawberry import relay

from bench.x12_835 import Claim, build_835
from config.settings import Settings
from models.audit import AuditEvent
from models.enums import LedgerEntryKind, Role
from models.invoices import Invoice as InvoiceRow
from models.ledger import LedgerEntry
from models.locations import Location as LocationRow
from models.notifications import Notification
from models.remittances import Remittance, RemittanceClaim
from tests.support.factories.invoices import (
    Caller,
    global_id,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.factories.plans import contactable_patient
from tests.support.graphql_client import REMITTANCE_CONTRACT, contract_operation, gql

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"
UPLOAD = contract_operation("UploadRemittance", REMITTANCE_CONTRACT)
LIST = contract_operation("Remittances", REMITTANCE_CONTRACT)
MATCH = contract_operation("MatchRemittanceClaim", REMITTANCE_CONTRACT)
INVOICE = """
query Invoice($id: ID!) {
  node(id: $id) { ... on Invoice { number status balance { amount currency } } }
}
"""


@pytest.fixture
async def clerk(client: httpx.AsyncClient) -> Caller:
    return await staff_caller(Role.BILLING_STAFF)


async def _bill(number: str, total: int, covered: int, patient_id: int | None = None) -> InvoiceRow:
    """An invoice of ``total`` cents, ``covered`` expected from insurance, numbered as the
    fixtures' claims (CLP01) name it."""
    if patient_id is None:
        patient_id = (await patient_caller(f"{number.lower()}@example.org")).patient_id
    place = await LocationRow.get_or_none(name="North Clinic") or await location()
    row = await invoice(patient_id, place.id, prices_minor=(total,), covered_minor=covered)
    await InvoiceRow.filter(id=row.id).update(number=number)
    return row


def _file(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="ascii")


async def _upload(
    client: httpx.AsyncClient, clerk: Caller, name: str, content: str | None = None
) -> dict[str, Any]:
    body = await gql(
        client,
        UPLOAD,
        {"input": {"fileName": name, "content": _file(name) if content is None else content}},
        clerk.token,
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["uploadRemittance"]
    return payload


async def _invoice(client: httpx.AsyncClient, clerk: Caller, row: InvoiceRow) -> tuple[str, str]:
    """The invoice's status and balance as staff read them through the API."""
    body = await gql(client, INVOICE, {"id": global_id("Invoice", row.id)}, clerk.token)
    node = body["data"]["node"]
    return node["status"], node["balance"]["amount"]


def _usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


async def test_a_paid_claim_posts_the_payment_and_writes_off_the_contractual_part(
    client: httpx.AsyncClient, clerk: Caller
) -> None:
    bill = await _bill("A-1001", 20_000, 20_000)

    payload = await _upload(client, clerk, "paid.835")

    assert payload["errors"] == []
    remittance = payload["remittance"]
    assert remittance["payerName"] == "ACME HEALTH PLAN"
    assert remittance["traceNumber"] == "PAID0001"
    assert remittance["paymentAmount"] == _usd("150.00")
    assert remittance["status"] == "POSTED"
    [claim] = remittance["claims"]
    assert claim["claimId"] == "A-1001"
    assert claim["status"] == "POSTED"
    assert claim["charged"] == _usd("200.00")
    assert claim["paid"] == _usd("150.00")
    assert claim["patientResponsibility"] == _usd("0.00")
    assert claim["adjustments"] == [
        {"groupCode": "CO", "reasonCode": "45", "amount": _usd("50.00")}
    ]
    assert claim["invoice"]["number"] == "A-1001"
    assert claim["invoice"]["status"] == "PAID"
    assert await _invoice(client, clerk, bill) == ("PAID", "0.00")


async def test_a_partly_paid_claim_moves_deductible_coinsurance_and_copay_to_the_patient(
    client: httpx.AsyncClient, clerk: Caller, settings: Settings
) -> None:
    patient = await contactable_patient(settings, await location("South Clinic"))
    bill = await _bill("A-2001", 50_000, 40_000, patient.id)

    payload = await _upload(client, clerk, "partly_paid.835")

    [claim] = payload["remittance"]["claims"]
    assert claim["status"] == "POSTED"
    assert claim["patientResponsibility"] == _usd("100.00")
    assert [(a["groupCode"], a["reasonCode"]) for a in claim["adjustments"]] == [
        ("CO", "45"),
        ("PR", "1"),
        ("PR", "2"),
        ("PR", "3"),
    ]
    # 500.00 charged: 300.00 paid, 100.00 written off, 100.00 the patient's.
    assert await _invoice(client, clerk, bill) == ("OPEN", "100.00")
    # The usual "you have a balance" message, once per channel, and nothing about the care.
    notices = await Notification.filter(patient_id=patient.id)
    assert {row.channel for row in notices} == {"EMAIL", "SMS"}
    assert all("A-2001" not in row.dedupe_key for row in notices)


async def test_a_denied_claim_leaves_the_whole_invoice_to_the_patient(
    client: httpx.AsyncClient, clerk: Caller
) -> None:
    bill = await _bill("A-3001", 12_000, 12_000)

    payload = await _upload(client, clerk, "denied.835")

    assert payload["remittance"]["paymentAmount"] == _usd("0.00")
    assert payload["remittance"]["claims"][0]["status"] == "POSTED"
    assert await _invoice(client, clerk, bill) == ("OPEN", "120.00")


async def test_a_reversal_undoes_the_earlier_posting_and_the_correction_replaces_it(
    client: httpx.AsyncClient, clerk: Caller
) -> None:
    bill = await _bill("A-4001", 30_000, 30_000)
    other = await _bill("A-4002", 10_000, 10_000)
    first = await _upload(client, clerk, "original.835")
    assert await _invoice(client, clerk, bill) == ("PAID", "0.00")

    payload = await _upload(client, clerk, "reversal_and_correction.835")

    assert payload["errors"] == []
    reversal, correction, plain = payload["remittance"]["claims"]
    assert reversal["status"] == "POSTED"
    assert reversal["paid"] == _usd("-200.00")
    assert correction["status"] == "POSTED"
    assert plain["status"] == "POSTED"
    original = await RemittanceClaim.get(remittance_id=_row(first["remittance"]["id"]))
    assert original.status == "REVERSED"
    # Paid 180.00 instead of 200.00; the patient owes the 20.00 coinsurance.
    assert await _invoice(client, clerk, bill) == ("OPEN", "20.00")
    assert await _invoice(client, clerk, other) == ("PAID", "0.00")
    reversed_rows = await LedgerEntry.filter(
        invoice_id=bill.id, kind=LedgerEntryKind.INSURANCE_REVERSED
    )
    assert [row.amount_minor for row in reversed_rows] == [20_000]


async def test_provider_level_adjustments_balance_the_payment(
    client: httpx.AsyncClient, clerk: Caller
) -> None:
    bill = await _bill("A-5001", 10_000, 10_000)

    payload = await _upload(client, clerk, "provider_adjustments.835")

    # 100.00 paid, less a 15.00 recovery, plus 2.50 interest.
    assert payload["errors"] == []
    assert payload["remittance"]["paymentAmount"] == _usd("87.50")
    assert await _invoice(client, clerk, bill) == ("PAID", "0.00")


async def test_the_same_file_twice_posts_once(client: httpx.AsyncClient, clerk: Caller) -> None:
    bill = await _bill("A-1001", 20_000, 20_000)

    first = await _upload(client, clerk, "paid.835")
    again = await _upload(client, clerk, "paid.835")

    assert again["errors"] == []
    assert again["remittance"]["id"] == first["remittance"]["id"]
    assert await Remittance.all().count() == 1
    assert await LedgerEntry.filter(invoice_id=bill.id, kind="INSURANCE_PAID").count() == 1
    assert await _invoice(client, clerk, bill) == ("PAID", "0.00")
    assert await AuditEvent.filter(action="remittance.upload", reference="duplicate").count() == 1


async def test_two_uploads_of_one_file_at_once_post_it_once(
    client: httpx.AsyncClient, clerk: Caller
) -> None:
    bill = await _bill("A-1001", 20_000, 20_000)

    results = await asyncio.gather(
        _upload(client, clerk, "paid.835"), _upload(client, clerk, "paid.835")
    )

    assert [result["errors"] for result in results] == [[], []]
    assert results[0]["remittance"]["id"] == results[1]["remittance"]["id"]
    assert await Remittance.all().count() == 1
    assert await AuditEvent.filter(action="remittance.upload", reference="duplicate").count() == 1
    assert await LedgerEntry.filter(invoice_id=bill.id, kind="INSURANCE_PAID").count() == 1


async def test_an_unbalanced_file_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, clerk: Caller
) -> None:
    bill = await _bill("A-1001", 20_000, 20_000)

    payload = await _upload(client, clerk, "unbalanced.835")

    assert payload["remittance"] is None
    assert [error["code"] for error in payload["errors"]] == ["REMITTANCE_UNBALANCED"]
    assert await Remittance.all().count() == 0
    assert await _invoice(client, clerk, bill) == ("PENDING_INSURANCE", "0.00")


async def test_a_file_that_does_not_validate_is_refused_naming_the_segment_and_no_phi(
    client: httpx.AsyncClient, clerk: Caller
) -> None:
    bill = await _bill("A-1001", 20_000, 20_000)
    broken = _file("paid.835").replace("CLP*A-1001*1*", "CLP*A-1001*X*")

    payload = await _upload(client, clerk, "paid.835", broken)

    [error] = payload["errors"]
    assert error["code"] == "INVALID_REMITTANCE"
    assert error["message"] == "Segment CLP at position 11, element CLP02: invalid code value."
    assert await Remittance.all().count() == 0
    assert await _invoice(client, clerk, bill) == ("PENDING_INSURANCE", "0.00")
    messages = " ".join(str(row.reference) for row in await AuditEvent.all())
    assert "DOE" not in messages
    assert "DOE" not in error["message"]


async def test_an_unknown_claim_waits_in_the_worklist_until_staff_match_it(
    client: httpx.AsyncClient, clerk: Caller
) -> None:
    known = await _bill("A-6001", 20_000, 20_000)
    target = await _bill("B-7001", 20_000, 20_000)
    cash_only = await _bill("B-7002", 20_000, 0)

    payload = await _upload(client, clerk, "unknown_claim.835")

    remittance = payload["remittance"]
    assert remittance["status"] == "NEEDS_MATCHING"
    unknown, matched = remittance["claims"]
    assert (unknown["status"], unknown["invoice"]) == ("UNMATCHED", None)
    assert matched["status"] == "POSTED"
    assert await _invoice(client, clerk, known) == ("PAID", "0.00")
    worklist = await gql(client, LIST, {"unmatchedOnly": True}, clerk.token)
    listed = worklist["data"]["remittances"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"]["unmatchedClaimCount"] == 1

    refused = await _match(client, clerk, unknown["id"], cash_only)
    posted = await _match(client, clerk, unknown["id"], target)
    again = await _match(client, clerk, unknown["id"], target)

    assert [error["code"] for error in refused["errors"]] == ["CLAIM_DOES_NOT_FIT"]
    assert await _invoice(client, clerk, cash_only) == ("OPEN", "200.00")
    assert posted["errors"] == []
    assert posted["claim"]["status"] == "POSTED"
    assert posted["claim"]["invoice"]["number"] == "B-7001"
    assert await _invoice(client, clerk, target) == ("PAID", "0.00")
    assert [error["code"] for error in again["errors"]] == ["CLAIM_ALREADY_POSTED"]
    worklist = await gql(client, LIST, {"unmatchedOnly": True}, clerk.token)
    assert worklist["data"]["remittances"]["totalCount"] == 0
    everything = await gql(client, LIST, {"first": 5}, clerk.token)
    assert everything["data"]["remittances"]["edges"][0]["node"]["status"] == "POSTED"


async def test_a_claim_whose_amounts_do_not_fit_stays_unmatched_and_changes_nothing(
    client: httpx.AsyncClient, clerk: Caller
) -> None:
    # Insurance was expected to pay 100.00 of 200.00 and the file pays 150.00.
    bill = await _bill("A-8001", 20_000, 10_000)
    content = build_835(
        [Claim("A-8001", 20_000, 15_000, adjustments=[("CO", "45", 5_000)])], trace="FIT1"
    )

    payload = await _upload(client, clerk, "too-much.835", content)

    [claim] = payload["remittance"]["claims"]
    assert (claim["status"], claim["invoice"]) == ("UNMATCHED", None)
    assert (await RemittanceClaim.get()).unmatched_reason == "AMOUNTS_DO_NOT_FIT"
    assert await _invoice(client, clerk, bill) == ("PENDING_INSURANCE", "100.00")
    assert await LedgerEntry.filter(invoice_id=bill.id).count() == 2


async def test_patients_cannot_upload_or_list_remittances(client: httpx.AsyncClient) -> None:
    ada = await patient_caller("ada@example.org")
    body = await gql(
        client, UPLOAD, {"input": {"fileName": "x.835", "content": _file("paid.835")}}, ada.token
    )
    listed = await gql(client, LIST, {}, ada.token)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Remittance.all().count() == 0


async def test_uploads_and_postings_are_on_the_access_log(
    client: httpx.AsyncClient, clerk: Caller
) -> None:
    bill = await _bill("A-1001", 20_000, 20_000)

    payload = await _upload(client, clerk, "paid.835")

    upload = await AuditEvent.get(action="remittance.upload")
    posted = await AuditEvent.get(action="remittance.claim_posted")
    assert upload.resource_id == str(_row(payload["remittance"]["id"]))
    assert upload.actor_id == clerk.user_id
    assert (posted.resource_id, posted.patient_id) == (str(bill.id), bill.patient_id)


async def _match(
    client: httpx.AsyncClient, clerk: Caller, claim_id: str, target: InvoiceRow
) -> dict[str, Any]:
    body = await gql(
        client,
        MATCH,
        {"input": {"claimId": claim_id, "invoiceId": global_id("Invoice", target.id)}},
        clerk.token,
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["matchRemittanceClaim"]
    return payload


def _row(node_id: str) -> int:
    return int(relay.GlobalID.from_id(node_id).node_id)
