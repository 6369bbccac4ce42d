"""End to end: the EHR sends a charge for an insured patient, it is held, cron's `billing
issue-held-charges` turns it into an invoice, and billing staff find that invoice pending
with the primary payer through the contract's StaffInvoices query."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx

from billing.notifications.texts import render_message
from billing.patients.coverages import NewCoverage, replace_coverages
from config.settings import Settings
from models.enums import Role
from models.intake import HeldCharge, HeldChargeStatus
from models.notifications import Notification, NotificationChannel, NotificationKind
from tests.api.test_cli import run_billing
from tests.support.factories.accounts import api_cipher
from tests.support.factories.intake import (
    api_client_secret,
    bundle,
    charge_item,
    coded_location,
    post_bundle,
    statuses,
)
from tests.support.factories.invoices import global_id, staff_caller
from tests.support.factories.office import office_operation, office_patient
from tests.support.graphql_client import gql

STAFF_INVOICES = office_operation("StaffInvoices")
BASE = "https://billing.example.org"


async def test_a_charge_sent_by_the_ehr_becomes_an_invoice_pending_with_the_payer(
    client: httpx.AsyncClient, settings: Settings, database_url: str, db: None
) -> None:
    # given an insured patient, a location the EHR knows by its code, and the EHR's client
    clinic = await coded_location()
    ada = await office_patient(
        settings, "Ada", "Lovelace", date(1980, 2, 3), email="ada@example.org"
    )
    await replace_coverages(
        api_cipher(settings), ada.id, [NewCoverage("Acme Health", "M-77", "G-1", 1)]
    )
    secret = await api_client_secret(settings)
    clerk = await staff_caller(Role.BILLING_STAFF)

    # when the EHR sends the visit's charges
    sent = await post_bundle(
        client,
        secret,
        bundle(
            charge_item(ada.account_number, encounter="enc-9", price="125.40"),
            charge_item(ada.account_number, encounter="enc-9", price="30.00", code="81002"),
        ),
    )
    assert statuses(sent) == ["201", "201"]
    assert await HeldCharge.filter(status=HeldChargeStatus.HELD).count() == 2

    # and cron runs the command after the hold
    later = datetime.now(UTC) + timedelta(hours=settings.intake.charge_hold_hours + 1)
    issued = run_billing(
        "issue-held-charges", "--now", later.isoformat(), database_url=database_url
    )
    assert issued.returncode == 0, issued.stderr
    assert "1 invoices issued for 2 charges" in issued.stdout

    # then staff see one invoice pending with insurance, for the whole amount
    result = await gql(
        client,
        STAFF_INVOICES,
        {
            "first": 10,
            "filter": {
                "patientId": global_id("Patient", ada.id),
                "status": ["PENDING_INSURANCE"],
            },
        },
        clerk.token,
    )
    assert "errors" not in result, result
    page = result["data"]["invoices"]
    assert page["totalCount"] == 1
    invoice = page["edges"][0]["node"]
    assert invoice["status"] == "PENDING_INSURANCE"
    assert invoice["location"] == {"id": global_id("Location", clinic.id), "name": "North Clinic"}
    assert invoice["patient"]["displayName"].startswith("Ada")
    assert invoice["total"] == {"amount": "155.40", "currency": "USD"}
    assert invoice["insurancePending"] == {"amount": "155.40", "currency": "USD"}
    assert invoice["balance"] == {"amount": "0.00", "currency": "USD"}

    # and Ada is told, once and in words without PHI, that a bill is ready
    again = run_billing("issue-held-charges", "--now", later.isoformat(), database_url=database_url)
    assert "0 invoices issued" in again.stdout
    told = await Notification.filter(patient_id=ada.id)
    assert [(n.kind, n.channel) for n in told] == [
        (NotificationKind.INVOICE_READY, NotificationChannel.EMAIL)
    ]
    message = render_message(NotificationKind.INVOICE_READY, NotificationChannel.EMAIL, BASE)
    assert message.body == f"A new bill is ready for you. Open the app: {BASE}/app/invoices"
