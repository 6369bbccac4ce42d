"""The issue's "done when", end to end through the real stripe SDK and the simulator: an
organization's billing user, invited by staff, signs in with a password and a TOTP code, sees
only its invoices, pays two by US bank account and sees them
PROCESSING, then PAID when the simulator's events arrive (open again when the debit fails); a
third invoice over the credit limit is refused; the month's statement lists them."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pypdf
import pytest

from auth.organization_invitations import invite_organization_user
from config.settings import Settings
from models.enums import PaymentChannel, PaymentStatus, Role
from models.invoices import Invoice as InvoiceRow
from models.organizations import Organization as OrganizationRow
from models.payments import Payment as PaymentRow
from models.users import User
from tests.support.factories.accounts import enable_mfa
from tests.support.factories.invoices import Caller, global_id, location, staff_caller
from tests.support.factories.organizations import (
    organization,
    organization_caller,
    organization_invoice,
)
from tests.support.graphql_client import (
    ORGANIZATIONS_CONTRACT,
    contract_operation,
    gql,
    sign_in,
)
from tests.support.stripe_fixture import SDK_DATA_WARNING, StripeWorld, stripe_world

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

ACCOUNT = contract_operation("OrganizationAccount", ORGANIZATIONS_CONTRACT)
CREATE_INVOICE = contract_operation("CreateOrganizationInvoice", ORGANIZATIONS_CONTRACT)
STATEMENT_LINK = contract_operation("CreateOrganizationStatementLink", ORGANIZATIONS_CONTRACT)
PAY = """
mutation PayOrganizationInvoices($input: PayOrganizationInvoicesInput!) {
  payOrganizationInvoices(input: $input) {
    payment { id status amount { amount currency } clientSecret }
    errors { code field message }
  }
}
"""
SUCCEEDING_ACCOUNT = "000123456789"
FAILING_ACCOUNT = "000111111113"


@pytest.fixture
async def world(settings: Settings, db: None) -> AsyncIterator[StripeWorld]:
    async with stripe_world(settings) as running:
        yield running


async def _invited_and_signed_in(world: StripeWorld, organization_id: int) -> Caller:
    """An accounts-payable user invited by staff, activated with the code, enrolled in MFA
    and signed in with a password and a TOTP code, as the app does it."""
    email, password = "payables@mercy.example.org", "a long enough password for ap 2026"
    invitation = await invite_organization_user(
        organization_id,
        email,
        invited_by=0,
        secret_key=world.settings.secret_key.reveal(),
        now=datetime.now(UTC),
    )
    activated = await gql(
        world.client,
        """mutation($input: ActivateOrganizationAccountInput!) {
          activateOrganizationAccount(input: $input) { user { id } errors { code } }
        }""",
        {"input": {"invitationCode": invitation.code, "email": email, "password": password}},
    )
    assert activated["data"]["activateOrganizationAccount"]["errors"] == []
    user = await User.get(email=email)
    totp = await enable_mfa(user, world.settings)
    token = await sign_in(world.client, email, password, totp.secret)
    return Caller(user.id, token)


async def _pay(
    world: StripeWorld, caller: Caller, invoices: list[InvoiceRow], method: str, key: str
) -> dict[str, Any]:
    allocations = [
        {"invoiceId": global_id("Invoice", row.id), "amount": f"{row.balance_minor / 100:.2f}"}
        for row in invoices
    ]
    body = await gql(
        world.client,
        PAY,
        {"input": {"allocations": allocations, "method": method, "idempotencyKey": key}},
        token=caller.token,
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["payOrganizationInvoices"]
    return payload


async def _statuses(world: StripeWorld, caller: Caller, organization_id: int) -> dict[str, str]:
    body = await gql(
        world.client,
        ACCOUNT,
        {"id": global_id("Organization", organization_id), "first": 10},
        token=caller.token,
    )
    edges = body["data"]["node"]["invoices"]["edges"]
    return {edge["node"]["number"]: edge["node"]["status"] for edge in edges}


async def _confirm_by_bank(world: StripeWorld, client_secret: str, account_number: str) -> str:
    intent_id = client_secret.split("_secret_")[0]
    response = await world.control.post(
        f"/_sim/payment_intents/{intent_id}/confirm",
        data={"us_bank_account[account_number]": account_number},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "processing"
    await world.deliveries_done()
    return intent_id


async def _settle(world: StripeWorld, intent_id: str) -> None:
    response = await world.control.post(f"/_sim/payment_intents/{intent_id}/settle")
    assert response.status_code == 200, response.text
    await world.deliveries_done()


async def test_two_invoices_paid_by_bank_account_are_processing_then_paid(
    world: StripeWorld,
) -> None:
    # given an organization with a 5,000.00 limit, two invoices and another organization's
    site = await location("Supply Depot")
    mercy = await organization("Mercy", credit_limit="5000.00")
    other = await organization("St. Elsewhere")
    today = datetime.now(UTC).date()
    first = await organization_invoice(mercy.id, site.id, prices_minor=(150_000,), today=today)
    second = await organization_invoice(mercy.id, site.id, prices_minor=(250_000,), today=today)
    theirs = await organization_invoice(other.id, site.id, today=today)
    user = await _invited_and_signed_in(world, mercy.id)

    # when Mercy's billing user lists its invoices
    assert await _statuses(world, user, mercy.id) == {first.number: "OPEN", second.number: "OPEN"}

    # and pays both by bank account
    paid = await _pay(world, user, [first, second], "US_BANK_ACCOUNT", "ach-1")
    assert paid["errors"] == []
    assert paid["payment"]["amount"] == {"amount": "4000.00", "currency": "USD"}
    payment = await PaymentRow.get(organization_id=mercy.id)
    assert (payment.channel, payment.patient_id) == (PaymentChannel.BANK_DEBIT, None)
    intent = await world.sdk.v1.payment_intents.retrieve_async(
        payment.stripe_payment_intent_id or ""
    )
    assert intent.payment_method_types == ["us_bank_account"]
    assert intent.customer is None
    assert intent.metadata.to_dict() == {"payment_ref": str(payment.id)}
    intent_id = await _confirm_by_bank(world, paid["payment"]["clientSecret"], SUCCEEDING_ACCOUNT)

    # then both are PROCESSING while the debit clears
    assert await _statuses(world, user, mercy.id) == {
        first.number: "PROCESSING",
        second.number: "PROCESSING",
    }

    # and a third invoice over the credit limit is refused meanwhile
    staff = await staff_caller(Role.BILLING_STAFF)
    refused = await gql(
        world.client,
        CREATE_INVOICE,
        {
            "input": {
                "organizationId": global_id("Organization", mercy.id),
                "locationId": global_id("Location", site.id),
                "purchaseOrderNumber": "PO-3",
                "currency": "USD",
                "lines": [
                    {"description": "Gowns", "code": "SUP", "quantity": 1, "unitPrice": "1000.01"}
                ],
            }
        },
        token=staff.token,
    )
    errors = refused["data"]["createOrganizationInvoice"]["errors"]
    assert [error["code"] for error in errors] == ["CREDIT_LIMIT_EXCEEDED"]

    # and another organization's invoice cannot be paid: it is not found
    foreign = await _pay(world, user, [theirs], "US_BANK_ACCOUNT", "ach-2")
    assert [error["code"] for error in foreign["errors"]] == ["NOT_FOUND"]

    # when the bank settles the debit
    await _settle(world, intent_id)

    # then both are PAID
    assert await _statuses(world, user, mercy.id) == {first.number: "PAID", second.number: "PAID"}
    assert (await PaymentRow.get(id=payment.id)).status is PaymentStatus.SUCCEEDED

    # and the month's statement lists the invoices and the payment
    body = await gql(
        world.client,
        STATEMENT_LINK,
        {"organizationId": global_id("Organization", mercy.id), "month": f"{today:%Y-%m}"},
        token=user.token,
    )
    url = urlsplit(body["data"]["createOrganizationStatementLink"]["url"])
    response = await world.client.get(url.path)
    assert response.status_code == 200
    text = "".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    )
    assert first.number in text
    assert second.number in text
    assert "Opening balance: 0.00 USD" in text
    assert f"{first.number} Bank account debit 1,500.00 USD" in text
    assert f"{second.number} Bank account debit 2,500.00 USD" in text
    assert "Closing balance: 0.00 USD" in text


async def test_a_failed_debit_opens_the_invoices_again(world: StripeWorld) -> None:
    site = await location("Supply Depot")
    mercy = await organization("Mercy")
    first = await organization_invoice(mercy.id, site.id, prices_minor=(50_000,))
    second = await organization_invoice(mercy.id, site.id, prices_minor=(70_000,))
    user = await organization_caller(mercy.id)
    paid = await _pay(world, user, [first, second], "US_BANK_ACCOUNT", "ach-fail")
    intent_id = await _confirm_by_bank(world, paid["payment"]["clientSecret"], FAILING_ACCOUNT)
    assert set((await _statuses(world, user, mercy.id)).values()) == {"PROCESSING"}

    await _settle(world, intent_id)

    assert await _statuses(world, user, mercy.id) == {first.number: "OPEN", second.number: "OPEN"}
    payment = await PaymentRow.get(organization_id=mercy.id)
    assert payment.status is PaymentStatus.FAILED
    assert payment.failure_message == "The customer's bank account has been closed."
    rows = await InvoiceRow.filter(organization_id=mercy.id)
    assert {(row.balance_minor, row.reserved_minor) for row in rows} == {(50_000, 0), (70_000, 0)}
    # and they can be paid again
    again = await _pay(world, user, [first, second], "CARD", "card-1")
    assert again["errors"] == []


async def test_an_organization_pays_by_card_too(world: StripeWorld) -> None:
    site = await location("Supply Depot")
    mercy = await organization("Mercy")
    bill = await organization_invoice(mercy.id, site.id, prices_minor=(12_345,))
    user = await organization_caller(mercy.id)

    paid = await _pay(world, user, [bill], "CARD", "card-2")
    intent_id = paid["payment"]["clientSecret"].split("_secret_")[0]
    response = await world.control.post(f"/_sim/payment_intents/{intent_id}/confirm")
    assert response.status_code == 200
    await world.deliveries_done()

    assert await _statuses(world, user, mercy.id) == {bill.number: "PAID"}
    assert (await OrganizationRow.get(id=mercy.id)).collections_paused is False
