"""Queueing messages: one per channel that reaches the patient, once however often the
reminders scheduler runs, "due soon" three days ahead in the patient's own calendar, and
"overdue" for invoices outside any active plan."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, date, datetime, timedelta

from billing.notifications.outbox import opt_out, queue_notification
from billing.notifications.reminders import queue_reminders
from config.settings import Settings
from models.notifications import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
from models.patients import Patient
from models.plans import Installment
from tests.support.factories.invoices import invoice, location
from tests.support.factories.plans import contactable_patient, installment_rows, plan

EMAIL, SMS = NotificationChannel.EMAIL, NotificationChannel.SMS
# 15:00 in Chicago (the factories' location), on 2025-03-10.
NOW = datetime(2025, 3, 10, 20, 0, tzinfo=UTC)
TODAY = date(2025, 3, 10)


async def _queued() -> list[tuple[str, NotificationChannel]]:
    rows = await Notification.all().order_by("id")
    return [(row.dedupe_key.split(":")[2], row.channel) for row in rows]


async def test_a_message_is_queued_once_per_channel_that_reaches_the_patient(
    db: None, settings: Settings
) -> None:
    place = await location()
    both = await contactable_patient(settings, place)
    email_only = await contactable_patient(settings, place, sms_consent=False)
    nothing = await contactable_patient(settings, place, email=None, phone=None)

    for patient in (both, email_only, nothing):
        await queue_notification(patient.id, NotificationKind.INVOICE_OVERDUE, "invoice-1")

    rows = await Notification.all().order_by("id")
    assert [(row.patient_id, row.channel) for row in rows] == [
        (both.id, EMAIL),
        (both.id, SMS),
        (email_only.id, EMAIL),
    ]
    assert {row.status for row in rows} == {NotificationStatus.QUEUED}


async def test_queueing_the_same_message_again_or_at_once_changes_nothing(
    db: None, settings: Settings
) -> None:
    patient = await contactable_patient(settings, await location())

    await queue_notification(patient.id, NotificationKind.INSTALLMENT_FAILED, "installment-7-1")
    await asyncio.gather(
        *(
            queue_notification(patient.id, NotificationKind.INSTALLMENT_FAILED, "installment-7-1")
            for _ in range(3)
        )
    )

    assert await _queued() == [("installment-7-1", EMAIL), ("installment-7-1", SMS)]


async def test_no_sms_is_queued_without_consent_or_after_an_opt_out(
    db: None, settings: Settings
) -> None:
    patient = await contactable_patient(settings, await location())
    await opt_out(patient.id, SMS)
    await opt_out(patient.id, SMS)  # a second STOP

    await queue_notification(patient.id, NotificationKind.INVOICE_OVERDUE, "invoice-1")
    await Patient.filter(id=patient.id).update(sms_consent=False)
    await queue_notification(patient.id, NotificationKind.INVOICE_OVERDUE, "invoice-2")

    assert await _queued() == [("invoice-1", EMAIL), ("invoice-2", EMAIL)]


async def test_an_installment_is_announced_within_three_days_of_its_due_date(
    db: None, settings: Settings
) -> None:
    patient = await contactable_patient(settings, await location(), sms_consent=False)
    place_id = patient.location_id
    assert place_id is not None
    due_dates = [TODAY + timedelta(days=d) for d in (0, 1, 3, 4)]
    plans = []
    for due in due_dates:
        bill = await invoice(patient.id, place_id, prices_minor=(10_000,))
        row = await plan(patient.id, [bill.id], "100")
        await _move_first_installment(row.id, due)
        plans.append(row)

    report = await queue_reminders(NOW, days_before_due=3)

    firsts = [(await installment_rows(row.id))[0] for row in plans]
    assert report.due_soon == 2
    assert await _queued() == [
        (f"installment-{firsts[1].id}-due-{due_dates[1]}", EMAIL),
        (f"installment-{firsts[2].id}-due-{due_dates[2]}", EMAIL),
    ]


async def test_the_patients_own_date_decides_what_is_due_soon(db: None, settings: Settings) -> None:
    # 01:00 UTC on the 11th is still the 10th in Chicago: a due date of the 14th is 4 days off
    patient = await contactable_patient(settings, await location(), sms_consent=False)
    assert patient.location_id is not None
    bill = await invoice(patient.id, patient.location_id, prices_minor=(10_000,))
    row = await plan(patient.id, [bill.id], "100")
    await _move_first_installment(row.id, date(2025, 3, 14))

    early = await queue_reminders(datetime(2025, 3, 11, 1, 0, tzinfo=UTC), days_before_due=3)
    late = await queue_reminders(datetime(2025, 3, 11, 7, 0, tzinfo=UTC), days_before_due=3)

    assert (early.due_soon, late.due_soon) == (0, 1)


async def test_overdue_invoices_outside_active_plans_are_reminded_once(
    db: None, settings: Settings
) -> None:
    patient = await contactable_patient(settings, await location(), sms_consent=False)
    place_id = patient.location_id
    assert place_id is not None
    overdue = await invoice(patient.id, place_id, issued=date(2025, 1, 1), due=date(2025, 3, 9))
    due_today = await invoice(patient.id, place_id, issued=date(2025, 1, 1), due=TODAY)
    in_plan = await invoice(patient.id, place_id, issued=date(2025, 1, 1), due=date(2025, 2, 1))
    # paid in full: nothing to remind of
    await invoice(
        patient.id, place_id, issued=date(2025, 1, 1), due=date(2025, 2, 1), paid_minor=10_000
    )
    await plan(patient.id, [in_plan.id], "100")

    first = await queue_reminders(NOW, days_before_due=3)
    second = await queue_reminders(NOW + timedelta(days=1), days_before_due=3)

    assert (first.overdue, second.overdue) == (1, 1)
    assert await _queued() == [
        (f"invoice-{overdue.id}-overdue-2025-03-09", EMAIL),
        (f"invoice-{due_today.id}-overdue-2025-03-10", EMAIL),
    ]


async def _move_first_installment(plan_id: int, due: date) -> None:
    """Plans start today by the wall clock: move the first installment to NOW's days."""
    first = (await installment_rows(plan_id))[0]
    await Installment.filter(id=first.id).update(due_on=due)


async def test_the_send_reminders_command_queues_and_keeps_what_it_cannot_deliver(
    db: None, settings: Settings, database_url: str
) -> None:
    patient = await contactable_patient(settings, await location(), sms_consent=False)
    assert patient.location_id is not None
    overdue = await invoice(patient.id, patient.location_id, issued=date(2025, 1, 1))

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        "send-reminders",
        "--now",
        NOW.isoformat(),
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "TWILIO_"))},
            "DATABASE_URL": database_url,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)

    assert process.returncode == 0, stderr.decode()
    assert "1 overdue" in stdout.decode()
    assert "no delivery configured for EMAIL, SMS; kept queued" in stdout.decode()
    [row] = await Notification.all()
    assert (row.status, row.dedupe_key) == (
        NotificationStatus.QUEUED,
        f"INVOICE_OVERDUE:patient-{patient.id}:invoice-{overdue.id}-overdue-2025-01-31:EMAIL",
    )
