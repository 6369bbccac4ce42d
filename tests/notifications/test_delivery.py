"""Sending the outbox: each message once even when senders run twice or at once, SMS only
between 8:00 and 21:00 where the patient lives (later ones wait for the morning), consent
and opt-outs checked again at send time, and refusals retried, then given up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from billing.notifications.account_messages import password_reset_link_key
from billing.notifications.delivery import DeliveryRules, next_sms_time, send_due_notifications
from billing.notifications.outbox import opt_out, queue_notification
from billing.notifications.senders import MessageSender, RecordingSender
from config.settings import Settings
from models.notifications import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
from models.patients import Patient
from tests.support.factories.accounts import api_cipher
from tests.support.factories.invoices import location
from tests.support.factories.plans import contactable_patient

EMAIL, SMS = NotificationChannel.EMAIL, NotificationChannel.SMS
RESET_LINK_KEY = password_reset_link_key("test-secret-key")
RULES = DeliveryRules(public_base_url="https://pay.example.org", reset_link_key=RESET_LINK_KEY)
CHICAGO_NOON = datetime(2025, 3, 10, 17, 0, tzinfo=UTC)  # 12:00 CDT
CHICAGO_LATE_EVENING = datetime(2025, 3, 11, 2, 30, tzinfo=UTC)  # 21:30 CDT on the 10th
CHICAGO_MORNING = datetime(2025, 3, 11, 13, 0, tzinfo=UTC)  # 08:00 CDT on the 11th


class Senders:
    def __init__(self) -> None:
        self.email = RecordingSender()
        self.sms = RecordingSender()

    @property
    def by_channel(self) -> dict[NotificationChannel, MessageSender]:
        return {EMAIL: self.email, SMS: self.sms}


async def _send(settings: Settings, senders: Senders, now: datetime) -> None:
    await send_due_notifications(senders.by_channel, api_cipher(settings), RULES, now=now)


async def _queue(patient: Patient, now: datetime, subject: str = "invoice-1") -> None:
    await queue_notification(patient.id, NotificationKind.INVOICE_OVERDUE, subject, now=now)


async def test_each_message_goes_to_the_patients_decrypted_address(
    db: None, settings: Settings
) -> None:
    patient = await contactable_patient(settings, await location())
    await _queue(patient, CHICAGO_NOON)
    senders = Senders()

    await _send(settings, senders, CHICAGO_NOON)

    assert [to for to, _ in senders.email.sent] == ["rosalind@example.org"]
    assert [to for to, _ in senders.sms.sent] == ["+13125550199"]  # stored in E.164
    rows = await Notification.all().order_by("id")
    assert [(r.status, r.attempts, r.provider_message_id) for r in rows] == [
        (NotificationStatus.SENT, 1, "recorded-1"),
        (NotificationStatus.SENT, 1, "recorded-1"),
    ]
    assert all(r.sent_at == CHICAGO_NOON for r in rows)


async def test_a_message_is_sent_once_even_when_the_sender_runs_twice_or_at_once(
    db: None, settings: Settings
) -> None:
    patient = await contactable_patient(settings, await location())
    await _queue(patient, CHICAGO_NOON)
    senders = Senders()

    await asyncio.gather(*(_send(settings, senders, CHICAGO_NOON) for _ in range(3)))
    await _send(settings, senders, CHICAGO_NOON + timedelta(hours=1))

    assert len(senders.email.sent) == 1
    assert len(senders.sms.sent) == 1


async def test_an_sms_after_nine_in_the_evening_waits_for_eight_in_the_morning(
    db: None, settings: Settings
) -> None:
    # given a failed installment reported at 21:30 in Chicago
    patient = await contactable_patient(settings, await location())
    await _queue(patient, CHICAGO_LATE_EVENING)
    senders = Senders()

    # when the sender runs then, and again just before 8:00, and at 8:00
    await _send(settings, senders, CHICAGO_LATE_EVENING)
    email_sent, sms_deferred = len(senders.email.sent), len(senders.sms.sent)
    sms = await Notification.get(channel=SMS)
    await _send(settings, senders, CHICAGO_MORNING - timedelta(minutes=1))
    before_eight = len(senders.sms.sent)
    await _send(settings, senders, CHICAGO_MORNING)

    # then the email went at once and the text at 8:00 local time, once
    assert (email_sent, sms_deferred, before_eight) == (1, 0, 0)
    assert (sms.status, sms.send_after) == (NotificationStatus.QUEUED, CHICAGO_MORNING)
    assert len(senders.sms.sent) == 1
    assert (await Notification.get(channel=SMS)).status is NotificationStatus.SENT


def test_the_send_hours_follow_the_patients_time_zone_and_daylight_saving() -> None:
    hours = (8, 21)
    # 06:59 in New York in winter (UTC-5) waits until 08:00 the same day
    early = datetime(2025, 1, 15, 11, 59, tzinfo=UTC)
    assert next_sms_time(early, "America/New_York", hours) == datetime(
        2025, 1, 15, 13, 0, tzinfo=UTC
    )
    # 20:59 may still go; 21:00 waits for tomorrow 08:00
    assert (
        next_sms_time(datetime(2025, 1, 16, 1, 59, tzinfo=UTC), "America/New_York", hours) is None
    )
    assert next_sms_time(datetime(2025, 1, 16, 2, 0, tzinfo=UTC), "America/New_York", hours) == (
        datetime(2025, 1, 16, 13, 0, tzinfo=UTC)
    )
    # the night the clocks go forward (9 March 2025), 08:00 is 12:00 UTC, not 13:00
    assert next_sms_time(datetime(2025, 3, 9, 5, 0, tzinfo=UTC), "America/New_York", hours) == (
        datetime(2025, 3, 9, 12, 0, tzinfo=UTC)
    )
    # the same instant is daytime in Tokyo
    assert next_sms_time(early, "Asia/Tokyo", hours) is None


async def test_consent_withdrawn_or_stop_after_queueing_skips_the_sms(
    db: None, settings: Settings
) -> None:
    place = await location()
    stopped = await contactable_patient(settings, place)
    withdrawn = await contactable_patient(settings, place)
    await _queue(stopped, CHICAGO_NOON)
    await _queue(withdrawn, CHICAGO_NOON)
    await opt_out(stopped.id, SMS)
    await Patient.filter(id=withdrawn.id).update(sms_consent=False)
    senders = Senders()

    await _send(settings, senders, CHICAGO_NOON)

    assert senders.sms.sent == []
    assert len(senders.email.sent) == 2
    skipped = await Notification.filter(channel=SMS)
    assert {(r.status, r.outcome_code) for r in skipped} == {
        (NotificationStatus.SKIPPED, "sms_not_allowed")
    }


async def test_a_refused_message_is_retried_then_given_up(db: None, settings: Settings) -> None:
    patient = await contactable_patient(settings, await location(), sms_consent=False)
    await _queue(patient, CHICAGO_NOON)
    senders = Senders()
    senders.email.refuse_with = "smtp_unavailable"

    moments = [CHICAGO_NOON + timedelta(hours=h) for h in range(4)]
    for moment in moments:
        await _send(settings, senders, moment)

    row = await Notification.get(channel=EMAIL)
    assert (row.status, row.attempts, row.outcome_code) == (
        NotificationStatus.FAILED,
        3,
        "smtp_unavailable",
    )


async def test_a_channel_without_a_sender_keeps_its_messages_queued(
    db: None, settings: Settings
) -> None:
    patient = await contactable_patient(settings, await location())
    await _queue(patient, CHICAGO_NOON)
    email = RecordingSender()

    await send_due_notifications({EMAIL: email}, api_cipher(settings), RULES, now=CHICAGO_NOON)

    assert len(email.sent) == 1
    assert (await Notification.get(channel=SMS)).status is NotificationStatus.QUEUED


async def test_a_send_that_never_finished_is_not_repeated(db: None, settings: Settings) -> None:
    # given a sender that claimed the email and died mid-send
    patient = await contactable_patient(settings, await location(), sms_consent=False)
    await _queue(patient, CHICAGO_NOON)
    await Notification.filter(channel=EMAIL).update(
        status=NotificationStatus.SENDING, claimed_at=CHICAGO_NOON
    )
    senders = Senders()

    await _send(settings, senders, CHICAGO_NOON + timedelta(minutes=30))

    # then it may have gone out: it is never sent again, and says why
    assert senders.email.sent == []
    row = await Notification.get(channel=EMAIL)
    assert (row.status, row.outcome_code) == (NotificationStatus.FAILED, "outcome_unknown")
