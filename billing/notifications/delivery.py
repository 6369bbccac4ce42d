"""Sending what the outbox holds: each message once, SMS only in the patient's daytime.

Reminders go to a patient's address from their record; account messages to a user's
sign-in address (``billing.notifications.account_messages``), a reset link only while
its reset can still be used.

A message is claimed with a conditional update (QUEUED -> SENDING) before it is handed to
its sender, so two senders running at once send it once. A claim that never finished
(the process died mid-send) is not sent again, since the message may have gone out: it
is marked FAILED with ``outcome_unknown``. SMS outside the send hours in the patient's
time zone waits for the next morning; consent or an opt-out withdrawn since it was queued
skips it. Addresses are decrypted here, just before sending, and never stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from billing.notifications.account_messages import password_reset_token
from billing.notifications.clock import patient_zone
from billing.notifications.outbox import opted_out_channels
from billing.notifications.senders import DeliveryError, MessageSender
from billing.notifications.texts import LINK_TOKEN_KINDS, OutgoingMessage, render_message
from billing.patients.rules import EMAIL, PHONE
from billing.phi_cipher import PhiCipher
from models.enums import InvoiceStatus
from models.invoices import Invoice
from models.notifications import Notification, NotificationChannel, NotificationStatus
from models.organizations import Organization
from models.patients import Patient
from models.users import PasswordReset, User

MAX_DELIVERY_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=15)
CLAIM_TIMEOUT = timedelta(minutes=10)
BATCH_SIZE = 200


@dataclass(frozen=True, slots=True)
class DeliveryRules:
    """``sms_send_hours``: local hours (from, until) in which SMS may go out;
    ``reset_link_key``: what password-reset link tokens are derived under
    (``account_messages.password_reset_link_key``)."""

    public_base_url: str
    reset_link_key: bytes
    sms_send_hours: tuple[int, int] = (8, 21)


@dataclass
class DeliveryReport:
    sent: int = 0
    deferred: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0
    outcomes: dict[int, NotificationStatus] = field(default_factory=dict)


def next_sms_time(now: datetime, timezone: str, send_hours: tuple[int, int]) -> datetime | None:
    """None when an SMS may go out at ``now`` in ``timezone``; otherwise the next instant
    it may (the start of the send hours, today or tomorrow, local time), in UTC."""
    zone = patient_zone(timezone)
    local = now.astimezone(zone)
    start, until = send_hours
    if start <= local.hour < until:
        return None
    day = local.date() if local.hour < start else local.date() + timedelta(days=1)
    return datetime.combine(day, time(start), tzinfo=zone).astimezone(UTC)


async def send_due_notifications(
    senders: Mapping[NotificationChannel, MessageSender],
    cipher: PhiCipher,
    rules: DeliveryRules,
    *,
    now: datetime | None = None,
) -> DeliveryReport:
    """Send the queued messages that are due, on the channels with a sender; messages of
    a channel without one stay queued."""
    moment = now or datetime.now(UTC)
    report = DeliveryReport()
    await _give_up_on_stale_claims(moment, report)
    due = (
        await Notification.filter(
            status=NotificationStatus.QUEUED,
            send_after__lte=moment,
            channel__in=list(senders),
        )
        .order_by("send_after", "id")
        .limit(BATCH_SIZE)
    )
    for row in due:
        claimed = await Notification.filter(
            id=row.id, status=NotificationStatus.QUEUED, send_after__lte=moment
        ).update(status=NotificationStatus.SENDING, claimed_at=moment)
        if claimed == 1:
            await _deliver(row, senders[row.channel], cipher, rules, moment, report)
    return report


async def _deliver(
    row: Notification,
    sender: MessageSender,
    cipher: PhiCipher,
    rules: DeliveryRules,
    now: datetime,
    report: DeliveryReport,
) -> None:
    if row.user_id is not None:
        await _deliver_account_message(row, sender, rules, now, report)
        return
    if row.organization_id is not None:
        await _deliver_collections_reminder(row, sender, rules, now, report)
        return
    patient = await Patient.get(id=row.patient_id)
    if row.channel is NotificationChannel.SMS:
        if not patient.sms_consent or NotificationChannel.SMS in await opted_out_channels(
            patient.id
        ):
            await _finish(row, NotificationStatus.SKIPPED, "sms_not_allowed", report)
            return
        later = next_sms_time(now, patient.timezone, rules.sms_send_hours)
        if later is not None:
            await _requeue(row, later)
            report.deferred += 1
            report.outcomes[row.id] = NotificationStatus.QUEUED
            return
    recipient = _recipient(patient, row.channel, cipher)
    if recipient is None:
        await _finish(row, NotificationStatus.SKIPPED, "no_address", report)
        return
    message = render_message(row.kind, row.channel, rules.public_base_url)
    await _send(row, sender, recipient, message, now, report)


async def _deliver_account_message(
    row: Notification,
    sender: MessageSender,
    rules: DeliveryRules,
    now: datetime,
    report: DeliveryReport,
) -> None:
    user = await User.get_or_none(id=row.user_id)
    if user is None or not user.is_active:
        await _finish(row, NotificationStatus.SKIPPED, "no_account", report)
        return
    link_token = None
    if row.kind in LINK_TOKEN_KINDS:
        reset = await PasswordReset.get_or_none(id=row.subject_id, user_id=user.id)
        if reset is None or reset.used_at is not None or reset.expires_at <= now:
            await _finish(row, NotificationStatus.SKIPPED, "link_expired", report)
            return
        link_token = password_reset_token(rules.reset_link_key, reset.nonce)
    message = render_message(row.kind, row.channel, rules.public_base_url, link_token=link_token)
    await _send(row, sender, user.email, message, now, report)


async def _deliver_collections_reminder(
    row: Notification,
    sender: MessageSender,
    rules: DeliveryRules,
    now: datetime,
    report: DeliveryReport,
) -> None:
    # Paused, disputed or paid since it was queued: the step is no longer wanted.
    organization = await Organization.get_or_none(id=row.organization_id)
    invoice = await Invoice.get_or_none(id=row.subject_id, organization_id=row.organization_id)
    if organization is None or invoice is None:
        await _finish(row, NotificationStatus.SKIPPED, "no_account", report)
        return
    if organization.collections_paused or invoice.collections_disputed or invoice.disputed:
        await _finish(row, NotificationStatus.SKIPPED, "collections_paused", report)
        return
    if invoice.balance_minor <= 0 or invoice.status is InvoiceStatus.VOID:
        await _finish(row, NotificationStatus.SKIPPED, "nothing_owed", report)
        return
    message = render_message(row.kind, row.channel, rules.public_base_url)
    await _send(row, sender, organization.billing_email, message, now, report)


async def _send(
    row: Notification,
    sender: MessageSender,
    recipient: str,
    message: OutgoingMessage,
    now: datetime,
    report: DeliveryReport,
) -> None:
    try:
        provider_id = await sender.send(recipient, message)
    except DeliveryError as error:
        await _after_refusal(row, error, now, report)
        return
    await Notification.filter(id=row.id).update(
        status=NotificationStatus.SENT,
        sent_at=now,
        attempts=row.attempts + 1,
        provider_message_id=provider_id,
        outcome_code="",
    )
    report.sent += 1
    report.outcomes[row.id] = NotificationStatus.SENT


async def _after_refusal(
    row: Notification, error: DeliveryError, now: datetime, report: DeliveryReport
) -> None:
    attempts = row.attempts + 1
    if error.permanent or attempts >= MAX_DELIVERY_ATTEMPTS:
        await Notification.filter(id=row.id).update(attempts=attempts)
        await _finish(row, NotificationStatus.FAILED, error.code, report)
        return
    await Notification.filter(id=row.id).update(
        status=NotificationStatus.QUEUED,
        claimed_at=None,
        attempts=attempts,
        send_after=now + RETRY_AFTER * attempts,
        outcome_code=error.code,
    )
    report.retrying += 1
    report.outcomes[row.id] = NotificationStatus.QUEUED


async def _requeue(row: Notification, send_after: datetime) -> None:
    await Notification.filter(id=row.id).update(
        status=NotificationStatus.QUEUED, claimed_at=None, send_after=send_after
    )


async def _finish(
    row: Notification, status: NotificationStatus, code: str, report: DeliveryReport
) -> None:
    await Notification.filter(id=row.id).update(status=status, outcome_code=code)
    if status is NotificationStatus.SKIPPED:
        report.skipped += 1
    else:
        report.failed += 1
    report.outcomes[row.id] = status


async def _give_up_on_stale_claims(now: datetime, report: DeliveryReport) -> None:
    report.failed += await Notification.filter(
        status=NotificationStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    ).update(status=NotificationStatus.FAILED, outcome_code="outcome_unknown")


def _recipient(patient: Patient, channel: NotificationChannel, cipher: PhiCipher) -> str | None:
    if channel is NotificationChannel.EMAIL:
        return cipher.decrypt(patient.email_ct, EMAIL) if patient.email_ct else None
    return cipher.decrypt(patient.phone_ct, PHONE) if patient.phone_ct else None
