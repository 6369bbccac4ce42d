"""``billing issue-held-charges``: charges sent over HTTP wait CHARGE_HOLD_HOURS after their
encounter's last one, then become one invoice per patient, location and encounter; an
insured patient's invoice is pending with the primary payer; running it twice, or from two
processes at once, issues each invoice once; a charge withdrawn after it was invoiced comes
off the invoice as an adjustment."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from billing.audit.chain import audit_chain_key
from billing.intake.issuing import IssueReport, issue_held_charges
from billing.patients.coverages import NewCoverage, replace_coverages
from config.settings import Settings
from models.audit import AuditEvent
from models.enums import InvoiceStatus, LedgerEntryKind
from models.intake import HeldCharge, HeldChargeStatus
from models.invoices import Invoice, InvoiceLine
from models.ledger import LedgerEntry
from models.locations import Location
from models.patients import Patient
from tests.support.cli_process import billing_process
from tests.support.factories.accounts import api_cipher
from tests.support.factories.auth import make_patient
from tests.support.factories.intake import (
    bundle,
    charge_item,
    coded_location,
    post_bundle,
    statuses,
    withdrawal,
)

HOLD = timedelta(hours=24)


async def _issue(settings: Settings, now: datetime) -> IssueReport:
    return await issue_held_charges(
        now=now, hold=HOLD, due_days=30, audit_key=audit_chain_key(settings.secret_key.reveal())
    )


async def _insure(settings: Settings, patient: Patient, payer: str = "Acme Health") -> None:
    coverages = [
        NewCoverage(payer, "M-1", None, 1),
        NewCoverage("Second Payer", "M-2", None, 2),
    ]
    await replace_coverages(api_cipher(settings), patient.id, coverages)


async def _send_two_charges(
    client: httpx.AsyncClient, secret: str, patient: Patient
) -> dict[str, Any]:
    """Send a 40.00 and a 60.00 charge of one encounter; the 60.00 one, to withdraw later."""
    kept = charge_item(patient.account_number, price="40.00")
    dropped = charge_item(patient.account_number, price="60.00")
    assert statuses(await post_bundle(client, secret, bundle(kept, dropped))) == ["201", "201"]
    return dropped


def _later(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


async def test_held_charges_wait_then_become_one_invoice_per_patient_location_and_encounter(
    client: httpx.AsyncClient, settings: Settings, secret: str, ada: Patient, clinic: Location
) -> None:
    # given charges of two encounters of Ada, one at another location, and one of Bob
    south = await coded_location("South Clinic", "SOUTH")
    bob = await make_patient()
    sent = await post_bundle(
        client,
        secret,
        bundle(
            charge_item(ada.account_number, encounter="e1", price="100.00"),
            charge_item(
                ada.account_number, encounter="e1", price="20.00", service_date="2025-01-09"
            ),
            charge_item(ada.account_number, encounter="e2", price="50.00"),
            charge_item(ada.account_number, encounter="e1", price="70.00", location_code="SOUTH"),
            charge_item(bob.account_number, encounter="e1", price="10.00"),
        ),
    )
    assert statuses(sent) == ["201"] * 5

    # when the scheduler runs before the hold is over, nothing is invoiced
    early = await _issue(settings, _later(23))
    assert early.invoices == []
    assert await Invoice.all().count() == 0

    # when it runs after the hold
    report = await _issue(settings, _later(25))

    # then one invoice per patient, location and encounter
    assert len(report.invoices) == 4
    assert report.charges == 5
    invoices = await Invoice.all().order_by("id")
    summary = sorted((i.patient_id, i.location_id, i.total_minor) for i in invoices)
    assert summary == sorted(
        [
            (ada.id, clinic.id, 12000),
            (ada.id, clinic.id, 5000),
            (ada.id, south.id, 7000),
            (bob.id, clinic.id, 1000),
        ]
    )
    visit = next(i for i in invoices if i.total_minor == 12000)
    assert visit.status is InvoiceStatus.OPEN
    assert visit.service_date == date(2025, 1, 9)
    assert visit.provider_name == "Dr. Adams"
    assert (visit.due_at - visit.issued_at).days == 30
    lines = await InvoiceLine.filter(invoice_id=visit.id).order_by("position")
    assert [(line.code, line.amount_minor) for line in lines] == [("99213", 2000), ("99213", 10000)]
    assert {charge.status for charge in await HeldCharge.all()} == {HeldChargeStatus.INVOICED}
    assert await AuditEvent.filter(action="invoice.issued_from_charges").count() == 4


async def test_a_late_charge_holds_its_encounter_until_its_own_hold_is_over(
    client: httpx.AsyncClient, settings: Settings, secret: str, ada: Patient, clinic: Location
) -> None:
    first = charge_item(ada.account_number, identifier="c-1")
    await post_bundle(client, secret, bundle(first))
    await HeldCharge.filter(identifier_value="c-1").update(received_at=_later(-20))
    await post_bundle(client, secret, bundle(charge_item(ada.account_number, identifier="c-2")))

    assert (await _issue(settings, _later(5))).invoices == []
    report = await _issue(settings, _later(25))

    assert report.charges == 2
    assert await Invoice.all().count() == 1


async def test_running_it_twice_issues_each_invoice_once_and_withdrawn_charges_never(
    client: httpx.AsyncClient, settings: Settings, secret: str, ada: Patient, clinic: Location
) -> None:
    dropped = await _send_two_charges(client, secret, ada)
    await post_bundle(client, secret, bundle(withdrawal(dropped)))

    first = await _issue(settings, _later(25))
    second = await _issue(settings, _later(26))

    assert (len(first.invoices), len(second.invoices)) == (1, 0)
    invoice = await Invoice.get()
    assert invoice.total_minor == 4000


async def test_an_insured_patients_invoice_waits_on_the_primary_payer(
    client: httpx.AsyncClient, settings: Settings, secret: str, ada: Patient, clinic: Location
) -> None:
    await _insure(settings, ada)
    await post_bundle(client, secret, bundle(charge_item(ada.account_number, price="125.40")))

    await _issue(settings, _later(25))

    invoice = await Invoice.get()
    assert invoice.status is InvoiceStatus.PENDING_INSURANCE
    assert invoice.insurance_payer_name == "Acme Health"
    assert (invoice.total_minor, invoice.insurance_pending_minor, invoice.balance_minor) == (
        12540,
        12540,
        0,
    )


async def test_a_charge_withdrawn_after_it_was_invoiced_comes_off_as_an_adjustment(
    client: httpx.AsyncClient, settings: Settings, secret: str, ada: Patient, clinic: Location
) -> None:
    dropped = await _send_two_charges(client, secret, ada)
    await _issue(settings, _later(25))

    response = await post_bundle(client, secret, bundle(withdrawal(dropped)))
    again = await post_bundle(client, secret, bundle(withdrawal(dropped)))

    assert statuses(response) == ["200"]
    assert statuses(again) == ["200"]
    invoice = await Invoice.get()
    assert (invoice.total_minor, invoice.balance_minor) == (4000, 4000)
    [adjustment] = await LedgerEntry.filter(invoice_id=invoice.id, kind=LedgerEntryKind.ADJUSTMENT)
    assert adjustment.amount_minor == -6000
    assert adjustment.reason == "withdrawn by the clinical system"
    assert await HeldCharge.filter(status=HeldChargeStatus.ADJUSTED).count() == 1


async def test_withdrawing_from_an_insured_invoice_asks_the_payer_for_less(
    client: httpx.AsyncClient, settings: Settings, secret: str, ada: Patient, clinic: Location
) -> None:
    await _insure(settings, ada)
    dropped = await _send_two_charges(client, secret, ada)
    await _issue(settings, _later(25))

    response = await post_bundle(client, secret, bundle(withdrawal(dropped)))

    assert statuses(response) == ["200"]
    invoice = await Invoice.get()
    assert invoice.status is InvoiceStatus.PENDING_INSURANCE
    assert (invoice.total_minor, invoice.insurance_pending_minor, invoice.balance_minor) == (
        4000,
        4000,
        0,
    )


async def test_two_scheduler_processes_at_once_issue_each_invoice_once(
    client: httpx.AsyncClient, settings: Settings, secret: str, database_url: str, clinic: Location
) -> None:
    patients = [await make_patient() for _ in range(4)]
    items = [
        charge_item(patient.account_number, encounter=f"e{n}")
        for patient in patients
        for n in range(3)
    ]
    await post_bundle(client, secret, bundle(*items))
    now = _later(25)

    results = await asyncio.gather(
        _scheduler_process(database_url, now), _scheduler_process(database_url, now)
    )

    assert [code for code, _ in results] == [0, 0], results
    assert await Invoice.all().count() == 12
    assert await HeldCharge.filter(status=HeldChargeStatus.INVOICED, invoice_id=None).count() == 0
    issued = sorted(int(output.split("held charges: ")[1].split()[0]) for _, output in results)
    assert sum(issued) == 12, results


async def _scheduler_process(database_url: str, now: datetime) -> tuple[int, str]:
    """``billing issue-held-charges`` as its own process, as cron runs it."""
    return await billing_process(database_url, "issue-held-charges", "--now", now.isoformat())
