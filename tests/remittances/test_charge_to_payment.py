"""End to end across both interfaces of the clinical and payer side: the EHR sends a visit's
charges, cron issues them as an invoice pending with the patient's insurer, the insurer's 835
pays part of it, writes off the contractual part and leaves the coinsurance to the patient,
and the patient sees exactly that balance in the app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from bench.x12_835 import Claim, build_835
from billing.patients.coverages import NewCoverage, replace_coverages
from config.settings import Settings
from models.enums import Role
from models.invoices import Invoice
from models.patients import Patient
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
from tests.support.factories.invoices import staff_caller
from tests.support.factories.office import office_patient_caller
from tests.support.graphql_client import REMITTANCE_CONTRACT, contract_operation, gql

MY_INVOICES = contract_operation("MyInvoices")
UPLOAD = contract_operation("UploadRemittance", REMITTANCE_CONTRACT)


async def _my_invoices(client: httpx.AsyncClient, token: str) -> list[dict[str, object]]:
    body = await gql(client, MY_INVOICES, {"first": 10}, token)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["myInvoices"]["edges"]]


async def test_a_charge_from_the_ehr_is_paid_by_the_payers_835_and_the_patient_owes_the_rest(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    await coded_location()
    ada = await office_patient_caller(settings, "ada@example.org")
    await replace_coverages(
        api_cipher(settings), ada.patient_id, [NewCoverage("Acme Health", "M-77", "G-1", 1)]
    )
    secret = await api_client_secret(settings)
    clerk = await staff_caller(Role.BILLING_STAFF)
    account_number = (await Patient.get(id=ada.patient_id)).account_number

    sent = await post_bundle(
        client,
        secret,
        bundle(
            charge_item(account_number, encounter="enc-5", price="125.40"),
            charge_item(account_number, encounter="enc-5", price="30.00", code="81002"),
        ),
    )
    assert statuses(sent) == ["201", "201"]
    assert await _my_invoices(client, ada.token) == []

    later = datetime.now(UTC) + timedelta(hours=settings.intake.charge_hold_hours + 1)
    issued = run_billing(
        "issue-held-charges", "--now", later.isoformat(), database_url=database_url
    )
    assert issued.returncode == 0, issued.stderr
    [waiting] = await _my_invoices(client, ada.token)
    assert waiting["status"] == "PENDING_INSURANCE"
    assert waiting["balance"] == {"amount": "0.00", "currency": "USD"}

    # The payer allows 120.00 of 155.40 (CO-45 writes off 35.40), pays 100.00 and leaves
    # 20.00 coinsurance (PR-2) to the patient.
    number = (await Invoice.get(patient_id=ada.patient_id)).number
    remittance = build_835(
        [Claim(number, 15_540, 10_000, adjustments=(("CO", "45", 3_540), ("PR", "2", 2_000)))],
        trace="EHR2PAYER1",
    )
    uploaded = await gql(
        client,
        UPLOAD,
        {"input": {"fileName": "acme.835", "content": remittance}},
        clerk.token,
    )
    assert "errors" not in uploaded, uploaded
    payload = uploaded["data"]["uploadRemittance"]
    assert payload["errors"] == []
    assert [claim["status"] for claim in payload["remittance"]["claims"]] == ["POSTED"]

    [owed] = await _my_invoices(client, ada.token)
    assert owed["status"] == "OPEN"
    # The contractual write-off is an adjustment: the total is now what the payer allowed.
    assert owed["total"] == {"amount": "120.00", "currency": "USD"}
    assert owed["insurancePending"] == {"amount": "0.00", "currency": "USD"}
    assert owed["balance"] == {"amount": "20.00", "currency": "USD"}
