"""Collections on a fixed clock: each tier's steps happen on their days and once each,
by email through the outbox only; paused collections and a disputed invoice send nothing
while the clock passes every step; every step is on the access log; two runs at once take
each step once, as the cron command from two processes does."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date, timedelta

import httpx

from billing.audit.chain import audit_chain_key
from billing.notifications.account_messages import password_reset_link_key
from billing.notifications.delivery import DeliveryRules, send_due_notifications
from billing.notifications.senders import RecordingSender
from billing.organizations.collections import CollectionsReport, run_collections
from billing.organizations.rules import set_collections_paused, set_invoice_disputed
from billing.phi_cipher import PhiCipher
from config.settings import CollectionsSettings, Settings, load_settings
from models.audit import AuditEvent
from models.enums import Role
from models.invoices import Invoice
from models.notifications import Notification, NotificationChannel, NotificationStatus
from models.organizations import CollectionsOutcome, CollectionsStep, CollectionsTier
from tests.support.factories.invoices import global_id, location, staff_caller
from tests.support.factories.organizations import (
    organization,
    organization_caller,
    organization_invoice,
)
from tests.support.graphql_client import gql

ISSUED = date(2026, 10, 1)  # net 30: due 2026-10-31
DUE = ISSUED + timedelta(days=30)
SCHEDULE = CollectionsSettings()


async def _run(settings: Settings, today: date) -> CollectionsReport:
    return await run_collections(
        SCHEDULE, today=today, audit_key=audit_chain_key(settings.secret_key.reveal())
    )


async def _every_day(settings: Settings, invoice: Invoice, first: int, last: int) -> dict[int, str]:
    """Run collections twice a day from ``first`` to ``last`` days after the due date; the
    step taken each day, by day."""
    taken: dict[int, str] = {}
    for offset in range(first, last + 1):
        for _ in range(2):
            report = await _run(settings, DUE + timedelta(days=offset))
            if invoice.id in report.reminded:
                taken[offset] = "remind"
            if invoice.id in report.flagged:
                taken[offset] = "flag"
    return taken


async def _reminders(organization_id: int) -> int:
    return await Notification.filter(organization_id=organization_id).count()


async def test_standard_reminds_before_on_and_after_the_due_date_then_flags_a_call(
    db: None, settings: Settings
) -> None:
    site = await location()
    org = await organization(tier=CollectionsTier.STANDARD)
    bill = await organization_invoice(org.id, site.id, today=ISSUED)
    assert bill.due_at == DUE

    taken = await _every_day(settings, bill, -10, 40)

    assert taken == {-7: "remind", 0: "remind", 7: "remind", 14: "remind", 21: "flag"}
    rows = await Notification.filter(organization_id=org.id)
    assert len(rows) == 4
    assert {row.channel for row in rows} == {NotificationChannel.EMAIL}
    assert {row.subject_id for row in rows} == {bill.id}
    records = await AuditEvent.filter(action__startswith="collections.").order_by("id")
    assert [record.action for record in records] == ["collections.reminder"] * 4 + [
        "collections.flag"
    ]
    assert {record.resource_id for record in records} == {str(bill.id)}
    assert all(record.patient_id is None for record in records)


async def test_enterprise_reminds_once_before_the_due_date_then_only_flags(
    db: None, settings: Settings
) -> None:
    site = await location()
    org = await organization(tier=CollectionsTier.ENTERPRISE)
    bill = await organization_invoice(org.id, site.id, today=ISSUED)

    taken = await _every_day(settings, bill, -10, 40)

    assert taken == {-7: "remind", 1: "flag"}
    assert await _reminders(org.id) == 1


async def test_paused_collections_send_nothing_while_the_clock_passes_every_step(
    db: None, settings: Settings
) -> None:
    # given an organization whose collections staff paused before any step
    site = await location()
    org = await organization()
    bill = await organization_invoice(org.id, site.id, today=ISSUED)
    await set_collections_paused(org.id, True, "AP dispute")

    # when the clock passes every step
    taken = await _every_day(settings, bill, -10, 40)

    # then nothing is taken, queued or on record
    assert taken == {}
    assert await _reminders(org.id) == 0
    assert not await CollectionsStep.exists(invoice_id=bill.id)
    assert not await AuditEvent.filter(action__startswith="collections.").exists()

    # and once resumed only the step due now is taken, the missed ones skipped
    await set_collections_paused(org.id, False, "")
    report = await _run(settings, DUE + timedelta(days=40))
    assert report.flagged == [bill.id]
    assert report.skipped == 4
    assert await _reminders(org.id) == 0
    outcomes = await CollectionsStep.filter(invoice_id=bill.id).values_list("step", "outcome")
    assert sorted(outcomes) == sorted(
        [
            ("remind:-7", CollectionsOutcome.SKIPPED),
            ("remind:0", CollectionsOutcome.SKIPPED),
            ("remind:7", CollectionsOutcome.SKIPPED),
            ("remind:14", CollectionsOutcome.SKIPPED),
            ("flag:21", CollectionsOutcome.FLAGGED),
        ]
    )


async def test_a_disputed_invoice_pauses_its_own_steps_only(db: None, settings: Settings) -> None:
    site = await location()
    org = await organization()
    disputed = await organization_invoice(org.id, site.id, today=ISSUED)
    other = await organization_invoice(org.id, site.id, today=ISSUED)
    await set_invoice_disputed(disputed.id, True)

    report = await _run(settings, DUE)

    assert report.reminded == [other.id]
    assert report.paused == 1
    assert await Notification.filter(subject_id=disputed.id).count() == 0


async def test_a_reminder_goes_to_the_billing_address_unless_paused_before_it_is_sent(
    db: None, settings: Settings
) -> None:
    site = await location()
    org = await organization()
    bill = await organization_invoice(org.id, site.id, today=ISSUED)
    sender = RecordingSender()
    rules = DeliveryRules(
        settings.public_base_url,
        reset_link_key=password_reset_link_key(settings.secret_key.reveal()),
        sms_send_hours=(0, 24),
    )
    cipher = PhiCipher.from_setting(settings.phi_encryption_key.reveal())

    await _run(settings, DUE - timedelta(days=7))
    await send_due_notifications({NotificationChannel.EMAIL: sender}, cipher, rules)
    await _run(settings, DUE)
    await set_collections_paused(org.id, True, "")
    await send_due_notifications({NotificationChannel.EMAIL: sender}, cipher, rules)

    [(recipient, message)] = sender.sent
    assert recipient == "ap@mercy.example.org"
    assert bill.number not in message.body
    assert "1,000.00" not in message.body
    latest = await Notification.filter(organization_id=org.id).order_by("-id").first()
    assert latest is not None
    assert latest.status is NotificationStatus.SKIPPED
    assert latest.outcome_code == "collections_paused"


async def test_two_runs_at_once_take_each_step_once(db: None, settings: Settings) -> None:
    site = await location()
    org = await organization()
    bills = [await organization_invoice(org.id, site.id, today=ISSUED) for _ in range(3)]

    first, second = await asyncio.gather(_run(settings, DUE), _run(settings, DUE))

    assert sorted(first.reminded + second.reminded) == [bill.id for bill in bills]
    assert await _reminders(org.id) == 3


def _collect(database_url: str, today: date) -> subprocess.Popen[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "STRIPE_"))},
        "DATABASE_URL": database_url,
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "api.cli", "run-collections", "--today", today.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


async def test_the_cron_command_from_two_processes_takes_each_step_once(
    db: None, database_url: str
) -> None:
    site = await location()
    org = await organization()
    for _ in range(5):
        await organization_invoice(org.id, site.id, today=ISSUED)

    processes = [_collect(database_url, DUE), _collect(database_url, DUE)]
    outputs = [await asyncio.to_thread(process.communicate, timeout=120) for process in processes]

    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert "billing: collections on 2026-10-31:" in stdout
    assert await _reminders(org.id) == 5
    steps = await CollectionsStep.filter(organization_id=org.id).values_list("step", "outcome")
    # The reminder a week ahead was missed (no run then): skipped, not sent late.
    assert sorted(steps) == sorted(
        [("remind:-7", CollectionsOutcome.SKIPPED), ("remind:0", CollectionsOutcome.SENT)] * 5
    )


def test_the_schedules_are_settings() -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "sqlite://:memory:",
            "COLLECTIONS_STANDARD_STEPS": "remind:-3,remind:5,flag:30",
            "COLLECTIONS_ENTERPRISE_STEPS": "flag:10",
        }
    )

    assert settings.collections.standard == (("remind", -3), ("remind", 5), ("flag", 30))
    assert settings.collections.enterprise == (("flag", 10),)


async def test_staff_see_the_steps_taken_and_the_organizations_users_do_not(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    site = await location()
    org = await organization(tier=CollectionsTier.ENTERPRISE)
    bill = await organization_invoice(org.id, site.id, today=ISSUED)
    await _run(settings, DUE + timedelta(days=1))
    staff = await staff_caller(Role.BILLING_STAFF)
    user = await organization_caller(org.id)
    query = """query($id: ID!) { node(id: $id) { ... on Organization {
      collectionsSteps { invoiceNumber step outcome takenOn } } } }"""
    variables = {"id": global_id("Organization", org.id)}

    seen = await gql(client, query, variables, token=staff.token)
    hidden = await gql(client, query, variables, token=user.token)

    assert seen["data"]["node"]["collectionsSteps"] == [
        {
            "invoiceNumber": bill.number,
            "step": "flag:1",
            "outcome": "FLAGGED",
            "takenOn": "2026-11-01",
        },
        {
            "invoiceNumber": bill.number,
            "step": "remind:-7",
            "outcome": "SKIPPED",
            "takenOn": "2026-11-01",
        },
    ]
    assert hidden["data"]["node"] == {"collectionsSteps": []}
