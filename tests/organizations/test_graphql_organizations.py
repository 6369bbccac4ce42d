"""Business accounts over GraphQL: staff open an organization and bill it on terms within
its credit limit; its billing users see only its invoices; collections pause; the month's
statement is a PDF behind a short-lived link. Every operation is the contract's own."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pypdf

from auth.sessions import SessionScope
from auth.tokens import token_hash
from billing.audit.buffer import AuditActor, AuditBuffer
from billing.audit.chain import audit_chain_key
from billing.errors import DomainError, ErrorCode
from billing.invoices.rules import NewInvoiceLine
from billing.organizations import use_cases
from config.settings import Settings
from models.audit import AuditEvent
from models.enums import Role
from models.invoices import Invoice as InvoiceRow
from models.organizations import Organization as OrganizationRow
from models.users import AuthSession
from tests.support.factories.invoices import (
    global_id,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.factories.organizations import (
    organization,
    organization_caller,
    organization_invoice,
)
from tests.support.graphql_client import ORGANIZATIONS_CONTRACT, contract_operation, gql

CREATE_ORGANIZATION = contract_operation("CreateOrganization", ORGANIZATIONS_CONTRACT)
CREATE_INVOICE = contract_operation("CreateOrganizationInvoice", ORGANIZATIONS_CONTRACT)
ACCOUNT = contract_operation("OrganizationAccount", ORGANIZATIONS_CONTRACT)
PAUSE = contract_operation("PauseCollections", ORGANIZATIONS_CONTRACT)
STATEMENT_LINK = contract_operation("CreateOrganizationStatementLink", ORGANIZATIONS_CONTRACT)

INVOICE_NODE = """
query InvoiceNode($id: ID!) {
  node(id: $id) { ... on Invoice { id number billedTo purchaseOrderNumber patient { id } } }
}
"""


def _lines(*prices: str) -> list[dict[str, Any]]:
    return [
        {
            "description": f"Nitrile gloves, case {index}",
            "code": "SUP-GLV",
            "quantity": 1,
            "unitPrice": price,
            "sku": f"GLV-{index}",
        }
        for index, price in enumerate(prices)
    ]


async def _create_invoice(
    client: httpx.AsyncClient, token: str, organization_id: str, location_id: str, *prices: str
) -> dict[str, Any]:
    body = await gql(
        client,
        CREATE_INVOICE,
        {
            "input": {
                "organizationId": organization_id,
                "locationId": location_id,
                "purchaseOrderNumber": "PO-77",
                "currency": "USD",
                "lines": _lines(*prices),
            }
        },
        token=token,
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["createOrganizationInvoice"]
    return payload


async def test_staff_bill_an_organization_on_terms_up_to_its_credit_limit(
    client: httpx.AsyncClient,
) -> None:
    # given staff and a location
    staff = await staff_caller(Role.BILLING_STAFF)
    site = await location("Supply Depot")

    # when they open an organization on net 30 with a 5,000.00 limit
    body = await gql(
        client,
        CREATE_ORGANIZATION,
        {
            "input": {
                "name": "Mercy General Hospital",
                "billingEmail": "AP@mercy.example.org",
                "paymentTermsDays": 30,
                "creditLimit": "5000.00",
                "currency": "USD",
                "collectionsTier": "STANDARD",
            }
        },
        token=staff.token,
    )
    created = body["data"]["createOrganization"]
    assert created["errors"] == []
    org = created["organization"]
    assert org["paymentTermsDays"] == 30
    assert org["creditLimit"] == {"amount": "5000.00", "currency": "USD"}

    # and invoice it twice within the limit
    site_id = global_id("Location", site.id)
    first = await _create_invoice(client, staff.token, org["id"], site_id, "1500.00", "500.00")
    second = await _create_invoice(client, staff.token, org["id"], site_id, "2500.00")

    # then each is due 30 days after it was issued, with its purchase order
    assert first["errors"] == []
    assert second["errors"] == []
    row = await InvoiceRow.get(number=first["invoice"]["number"])
    assert row.patient_id is None
    assert row.due_at == row.issued_at + timedelta(days=30)
    assert first["invoice"]["dueAt"] == row.due_at.isoformat()
    assert first["invoice"]["purchaseOrderNumber"] == "PO-77"
    assert first["invoice"]["total"] == {"amount": "2000.00", "currency": "USD"}
    assert first["invoice"]["status"] == "OPEN"

    # when a third would take the open balance past the limit
    third = await _create_invoice(client, staff.token, org["id"], site_id, "500.01")

    # then it is refused and nothing is issued
    assert third["invoice"] is None
    assert [error["code"] for error in third["errors"]] == ["CREDIT_LIMIT_EXCEEDED"]
    assert await InvoiceRow.filter(organization_id__isnull=False).count() == 2

    # and the account shows what is open
    account = await gql(client, ACCOUNT, {"id": org["id"], "first": 10}, token=staff.token)
    node = account["data"]["node"]
    assert node["openBalance"] == {"amount": "4500.00", "currency": "USD"}
    assert node["overdueBalance"] == {"amount": "0.00", "currency": "USD"}
    assert node["collectionsPaused"] is False
    assert node["invoices"]["totalCount"] == 2
    assert {edge["node"]["purchaseOrderNumber"] for edge in node["invoices"]["edges"]} == {"PO-77"}


async def test_a_purchase_order_is_required_when_the_organization_says_so(
    client: httpx.AsyncClient,
) -> None:
    staff = await staff_caller(Role.BILLING_STAFF)
    site = await location("Supply Depot")
    org = await organization(requires_purchase_order=True)

    body = await gql(
        client,
        CREATE_INVOICE,
        {
            "input": {
                "organizationId": global_id("Organization", org.id),
                "locationId": global_id("Location", site.id),
                "purchaseOrderNumber": "  ",
                "currency": "USD",
                "lines": _lines("10.00"),
            }
        },
        token=staff.token,
    )

    payload = body["data"]["createOrganizationInvoice"]
    assert payload["errors"] == [
        {
            "code": "PURCHASE_ORDER_REQUIRED",
            "field": "purchaseOrderNumber",
            "message": "This organization needs a purchase order number on each invoice.",
        }
    ]
    assert not await InvoiceRow.exists(organization_id=org.id)


async def test_two_invoices_racing_for_the_last_of_the_credit_do_not_both_pass(
    db: None, settings: Settings
) -> None:
    site = await location("Supply Depot")
    org = await organization(credit_limit="1000.00")
    staff = await staff_caller(Role.BILLING_STAFF)
    line = NewInvoiceLine(code="SUP", description="Gauze", quantity=1, unit_price_minor=60_000)

    async def issue() -> str:
        actor = AuditActor(staff.user_id, "billing_staff", "203.0.113.7", "race")
        audit = AuditBuffer(actor, key=audit_chain_key(settings.secret_key.reveal()))
        try:
            await use_cases.create_organization_invoice(
                audit, org.id, site.id, "PO-9", "USD", [line]
            )
        except DomainError as error:
            return error.code
        return "ISSUED"

    outcomes = await asyncio.gather(issue(), issue())

    assert sorted(outcomes) == sorted(["ISSUED", ErrorCode.CREDIT_LIMIT_EXCEEDED])
    assert await InvoiceRow.filter(organization_id=org.id).count() == 1


async def test_an_organizations_user_sees_only_its_own_invoices(client: httpx.AsyncClient) -> None:
    # given two organizations and a patient, each with an invoice
    site = await location("Supply Depot")
    mercy = await organization("Mercy")
    other = await organization("St. Elsewhere")
    ours = await organization_invoice(mercy.id, site.id)
    theirs = await organization_invoice(other.id, site.id)
    patient = await patient_caller("pat@example.org")
    patients = await invoice(patient.patient_id, site.id)
    user = await organization_caller(mercy.id)

    # when Mercy's billing user reads its account
    mine = await gql(client, ACCOUNT, {"id": global_id("Organization", mercy.id)}, token=user.token)

    # then it lists Mercy's invoice only, which names no patient
    edges = mine["data"]["node"]["invoices"]["edges"]
    assert [edge["node"]["number"] for edge in edges] == [ours.number]
    own = await gql(client, INVOICE_NODE, {"id": global_id("Invoice", ours.id)}, token=user.token)
    assert own["data"]["node"]["billedTo"] == "ORGANIZATION"
    assert own["data"]["node"]["patient"] is None

    # and another organization, its invoice and a patient's answer like missing ones
    for node_id in (
        global_id("Organization", other.id),
        global_id("Organization", 999_999),
        global_id("Invoice", theirs.id),
        global_id("Invoice", patients.id),
        global_id("Invoice", 999_999),
    ):
        body = await gql(client, INVOICE_NODE, {"id": node_id}, token=user.token)
        assert body == {"data": {"node": None}}, node_id


async def test_an_invited_user_activates_an_account_that_must_enroll_mfa(
    client: httpx.AsyncClient,
) -> None:
    staff = await staff_caller(Role.BILLING_STAFF)
    org = await organization()
    invite = await gql(
        client,
        """mutation($id: ID!, $email: String!) {
          inviteOrganizationUser(organizationId: $id, email: $email) {
            invitationCode expiresAt errors { code }
          }
        }""",
        {"id": global_id("Organization", org.id), "email": "Payables@Mercy.example.org"},
        token=staff.token,
    )
    code = invite["data"]["inviteOrganizationUser"]["invitationCode"]
    activate = """mutation($input: ActivateOrganizationAccountInput!) {
      activateOrganizationAccount(input: $input) { user { id } errors { code } }
    }"""
    password = "correct horse battery staple 42"

    wrong = await gql(
        client,
        activate,
        {"input": {"invitationCode": code, "email": "x@example.org", "password": password}},
    )
    right = await gql(
        client,
        activate,
        {
            "input": {
                "invitationCode": code,
                "email": "payables@mercy.example.org",
                "password": password,
            }
        },
    )

    assert wrong["data"]["activateOrganizationAccount"]["errors"] == [
        {"code": "INVALID_ENROLLMENT_CODE"}
    ]
    assert right["data"]["activateOrganizationAccount"]["errors"] == []
    login = await gql(
        client,
        """mutation($email: String!, $password: String!) {
          login(email: $email, password: $password) {
            session { accessToken } errors { code }
          }
        }""",
        {"email": "payables@mercy.example.org", "password": password},
    )
    token = login["data"]["login"]["session"]["accessToken"]
    # A session before MFA is enrolled may only enroll: the account is out of reach.
    body = await gql(client, ACCOUNT, {"id": global_id("Organization", org.id)}, token=token)
    assert body == {"data": {"node": None}}
    me = await gql(client, "{ me { roles mfaEnabled } }", token=token)
    assert me["data"]["me"] == {"roles": ["ORGANIZATION_BILLING"], "mfaEnabled": False}
    session = await AuthSession.get(access_token_hash=token_hash(token))
    assert session.scope == SessionScope.MFA_ENROLLMENT.value


async def test_pausing_collections_is_on_the_access_log(client: httpx.AsyncClient) -> None:
    staff = await staff_caller(Role.BILLING_STAFF)
    org = await organization()
    org_id = global_id("Organization", org.id)

    body = await gql(
        client,
        PAUSE,
        {"organizationId": org_id, "paused": True, "reason": "AP dispute on PO-77"},
        token=staff.token,
    )

    assert body["data"]["setCollectionsPaused"] == {
        "organization": {"id": org_id, "collectionsPaused": True},
        "errors": [],
    }
    assert (await OrganizationRow.get(id=org.id)).collections_paused
    record = await AuditEvent.get(action="organization.collections_paused")
    assert (record.actor_id, record.resource_id, record.patient_id) == (
        staff.user_id,
        str(org.id),
        None,
    )
    assert record.reference == "paused: AP dispute on PO-77"


async def test_the_months_statement_lists_its_invoices_behind_a_short_lived_link(
    client: httpx.AsyncClient,
) -> None:
    site = await location("Supply Depot")
    org = await organization("Mercy")
    other = await organization("St. Elsewhere")
    today = datetime.now(UTC).date()
    first = await organization_invoice(org.id, site.id, prices_minor=(120_000,), today=today)
    second = await organization_invoice(org.id, site.id, prices_minor=(30_050,), today=today)
    user = await organization_caller(org.id)
    month = f"{today:%Y-%m}"

    body = await gql(
        client,
        STATEMENT_LINK,
        {"organizationId": global_id("Organization", org.id), "month": month},
        token=user.token,
    )
    refused = await gql(
        client,
        STATEMENT_LINK,
        {"organizationId": global_id("Organization", other.id), "month": month},
        token=user.token,
    )

    payload = body["data"]["createOrganizationStatementLink"]
    assert payload["errors"] == []
    assert [
        error["code"] for error in refused["data"]["createOrganizationStatementLink"]["errors"]
    ] == ["NOT_FOUND"]
    url = urlsplit(payload["url"])
    assert "Mercy" not in payload["url"]
    response = await client.get(url.path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    )
    assert first.number in text
    assert second.number in text
    assert "Opening balance: 0.00 USD" in text
    assert "Closing balance: 1,500.50 USD" in text
    download = await AuditEvent.get(action="statement.download", resource_type="Organization")
    assert download.resource_id == str(org.id)
    assert (await client.get("/statements/not-a-token")).status_code == 404


async def test_a_month_is_a_year_and_month(client: httpx.AsyncClient) -> None:
    staff = await staff_caller(Role.BILLING_STAFF)
    org = await organization()
    future = date.today() + timedelta(days=40)

    for month in ("2026-13", "November", f"{future:%Y-%m}"):
        body = await gql(
            client,
            STATEMENT_LINK,
            {"organizationId": global_id("Organization", org.id), "month": month},
            token=staff.token,
        )
        errors = body["data"]["createOrganizationStatementLink"]["errors"]
        assert [error["code"] for error in errors] == ["INVALID_INPUT"], month


async def test_staff_list_organizations_and_a_user_finds_their_own(
    client: httpx.AsyncClient,
) -> None:
    staff = await staff_caller(Role.ACCOUNTANT)
    mercy = await organization("Mercy")
    await organization("Bellevue")
    user = await organization_caller(mercy.id)

    listed = await gql(
        client, "{ organizations(first: 10) { edges { node { name } } } }", token=staff.token
    )
    own = await gql(client, "{ myOrganization { id name } }", token=user.token)
    refused = await gql(client, "{ organizations { edges { node { id } } } }", token=user.token)

    names = [edge["node"]["name"] for edge in listed["data"]["organizations"]["edges"]]
    assert names == ["Bellevue", "Mercy"]
    assert own["data"]["myOrganization"] == {
        "id": global_id("Organization", mercy.id),
        "name": "Mercy",
    }
    assert [error["extensions"]["code"] for error in refused["errors"]] == ["FORBIDDEN"]
