"""PDF statements: a patient gets a short-lived link to their own invoice's statement; the
link names nothing, opens an itemized PDF while it is valid (every download on the access
log), and an unknown or expired link is a bare 404."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pypdf
import pytest

import billing.statements.links
from auth.sessions import SessionScope, create_session
from billing.audit.chain import AuditWriteError
from billing.patients.rules import create_patient
from config.settings import Settings
from models.audit import AuditEvent
from models.enums import Role
from models.patients import Patient
from models.statements import StatementLink
from tests.support.factories.accounts import api_cipher, audit_values
from tests.support.factories.auth import make_user
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.graphql_client import contract_operation, gql

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


CREATE_LINK = contract_operation("CreateInvoicePdfLink")


@dataclass(frozen=True)
class Statement:
    grace: PatientCaller
    invoice_id: int
    number: str
    other_invoice_id: int


@pytest.fixture
async def statement(client: httpx.AsyncClient, settings: Settings) -> Statement:
    site = await location("Lakeside Clinic")
    patient = await create_patient(
        api_cipher(settings), "Grace", "Hopper", date(1966, 12, 9), None, None, site.id
    )
    user = await make_user("grace@example.org", Role.PATIENT, patient=patient)
    session = await create_session(user.id, scope=SessionScope.FULL, now=datetime.now(UTC))
    grace = PatientCaller(user.id, session.access_token, patient.id)
    bill = await invoice(
        patient.id, site.id, prices_minor=(12000, 3540), covered_minor=5000, paid_minor=2000
    )
    other = await patient_caller("other@example.org")
    others = await invoice(other.patient_id, site.id)
    return Statement(grace, bill.id, bill.number, others.id)


async def _create_link(client: httpx.AsyncClient, invoice_id: str, token: str) -> dict[str, Any]:
    body = await gql(client, CREATE_LINK, {"invoiceId": invoice_id}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["createInvoicePdfLink"]
    return payload


async def _link(client: httpx.AsyncClient, statement: Statement) -> str:
    payload = await _create_link(
        client, global_id("Invoice", statement.invoice_id), statement.grace.token
    )
    assert payload["errors"] == []
    url: str = payload["url"]
    return url


def _without_request_id(headers: httpx.Headers) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name != "x-request-id"}


def _pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_a_patient_gets_a_short_lived_link_that_names_nothing(
    client: httpx.AsyncClient, statement: Statement, settings: Settings
) -> None:
    before = datetime.now(UTC)

    payload = await _create_link(
        client, global_id("Invoice", statement.invoice_id), statement.grace.token
    )

    assert payload["errors"] == []
    url = payload["url"]
    assert url.startswith(f"{settings.public_base_url}/statements/")
    token = url.rsplit("/", 1)[1]
    assert TOKEN.fullmatch(token)
    assert urlsplit(url).path == f"/statements/{token}"
    invoice_gid = global_id("Invoice", statement.invoice_id)
    patient_gid = global_id("Patient", statement.grace.patient_id)
    for secret in ("Grace", "Hopper", statement.number, invoice_gid, patient_gid):
        assert secret.lower() not in url.lower()
    assert str(statement.invoice_id) not in urlsplit(url).path.split("/")
    expires_at = datetime.fromisoformat(payload["expiresAt"])
    assert before + timedelta(minutes=4) < expires_at <= datetime.now(UTC) + timedelta(minutes=5)
    # Only the token's hash is kept.
    row = await StatementLink.get(invoice_id=statement.invoice_id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.requested_by_id == statement.grace.user_id
    assert row.patient_id == statement.grace.patient_id
    assert row.downloaded_at is None
    [audit] = await AuditEvent.filter(action="statement.link")
    assert (audit.actor_id, audit.resource_type, audit.resource_id, audit.patient_id) == (
        statement.grace.user_id,
        "Invoice",
        str(statement.invoice_id),
        statement.grace.patient_id,
    )


async def test_the_link_opens_an_itemized_pdf_and_the_download_is_on_record(
    client: httpx.AsyncClient, statement: Statement
) -> None:
    url = await _link(client, statement)

    response = await client.get(urlsplit(url).path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"] == 'inline; filename="statement.pdf"'
    headers = " ".join(f"{name}: {value}" for name, value in response.headers.items())
    for secret in ("Grace", "Hopper", statement.number):
        assert secret not in headers
    assert response.content.startswith(b"%PDF-")
    text = _pdf_text(response.content)
    patient = await Patient.get(id=statement.grace.patient_id)
    account_number = patient.account_number
    for expected in (
        "Grace Hopper",
        "Lakeside Clinic",
        "1 Main St",
        statement.number,
        "Item 1",
        "Item 2",
        "A4250",
        "120.00 USD",
        "35.40 USD",
        "Acme Health",
        "Card payment",
        # 155.40 charged, 50.00 expected from insurance, 20.00 paid
        "Balance due 85.40 USD",
        "send a check payable to Lakeside Clinic",
        # The account number staff ask for on the phone, to write on a check too.
        account_number,
    ):
        assert expected in text, expected
    row = await StatementLink.get(invoice_id=statement.invoice_id)
    assert row.downloaded_at is not None
    assert row.download_count == 1
    [audit] = await AuditEvent.filter(action="statement.download")
    assert audit.actor_id is None
    assert audit.resource_type == "Invoice"
    assert audit.resource_id == str(statement.invoice_id)
    assert audit.patient_id == statement.grace.patient_id
    assert audit.reference == f"link:{row.id}"
    assert audit.outcome == "SUCCESS"
    assert audit.ip_address == "203.0.113.7"
    assert not {"Grace", "Hopper"} & {str(value) for value in audit_values(audit)}


async def test_a_link_may_be_used_again_until_it_expires(
    client: httpx.AsyncClient, statement: Statement
) -> None:
    path = urlsplit(await _link(client, statement)).path
    first = await client.get(path)
    first_download = (await StatementLink.get(invoice_id=statement.invoice_id)).downloaded_at

    second = await client.get(path)

    assert (first.status_code, second.status_code) == (200, 200)
    row = await StatementLink.get(invoice_id=statement.invoice_id)
    assert row.download_count == 2
    assert row.downloaded_at == first_download
    assert await AuditEvent.filter(action="statement.download").count() == 2


async def test_an_expired_link_and_an_unknown_one_are_the_same_bare_404(
    client: httpx.AsyncClient, statement: Statement
) -> None:
    path = urlsplit(await _link(client, statement)).path
    await StatementLink.filter(invoice_id=statement.invoice_id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )

    expired = await client.get(path)
    unknown = await client.get("/statements/" + "A" * 43)
    malformed = await client.get("/statements/not%20a%20token")
    too_long = await client.get("/statements/" + "A" * 500)

    for response in (expired, unknown, malformed, too_long):
        assert response.status_code == 404
        assert response.content == b""
    assert _without_request_id(expired.headers) == _without_request_id(unknown.headers)
    assert await AuditEvent.filter(action="statement.download").count() == 0


async def test_no_pdf_is_served_when_the_download_cannot_be_put_on_record(
    client: httpx.AsyncClient, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = urlsplit(await _link(client, statement)).path

    async def failing(*_args: object, **_kwargs: object) -> None:
        raise AuditWriteError("the access log could not be extended")

    monkeypatch.setattr(billing.statements.links, "append_audit_records", failing)

    response = await client.get(path)

    assert response.status_code == 500
    assert response.content == b""
    row = await StatementLink.get(invoice_id=statement.invoice_id)
    assert (row.downloaded_at, row.download_count) == (None, 0)


async def test_another_patients_invoice_is_not_found_exactly_like_a_missing_one(
    client: httpx.AsyncClient, statement: Statement
) -> None:
    token = statement.grace.token

    foreign = await _create_link(client, global_id("Invoice", statement.other_invoice_id), token)
    missing = await _create_link(client, global_id("Invoice", 987654321), token)
    wrong_type = await _create_link(client, global_id("Payment", statement.invoice_id), token)

    assert foreign == missing == wrong_type
    assert foreign["url"] is None
    assert [error["code"] for error in foreign["errors"]] == ["NOT_FOUND"]
    assert await StatementLink.all().count() == 0


async def test_signed_out_callers_accountants_and_auditors_are_refused(
    client: httpx.AsyncClient, statement: Statement
) -> None:
    variables = {"invoiceId": global_id("Invoice", statement.invoice_id)}
    accountant = await staff_caller(Role.ACCOUNTANT)
    auditor = await staff_caller(Role.AUDITOR)

    anonymous = await gql(client, CREATE_LINK, variables)
    as_accountant = await gql(client, CREATE_LINK, variables, token=accountant.token)
    as_auditor = await gql(client, CREATE_LINK, variables, token=auditor.token)

    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # The statement prints procedure codes and descriptions, which accountants may not read.
    assert as_accountant["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert as_auditor["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await StatementLink.all().count() == 0


async def test_billing_staff_get_a_link_to_any_patients_statement(
    client: httpx.AsyncClient, statement: Statement
) -> None:
    staff = await staff_caller(Role.BILLING_STAFF)

    payload = await _create_link(client, global_id("Invoice", statement.invoice_id), staff.token)
    missing = await _create_link(client, global_id("Invoice", 987654321), staff.token)

    assert payload["errors"] == []
    response = await client.get(urlsplit(payload["url"]).path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert [error["code"] for error in missing["errors"]] == ["NOT_FOUND"]
    link = await StatementLink.get(invoice_id=statement.invoice_id)
    assert link.requested_by_id == staff.user_id
