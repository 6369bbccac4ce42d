"""The notification outbox: queueing a message to a patient, once per channel.

``queue_notification`` writes one row per channel the patient can be reached on: email when
they gave an address, SMS when they gave a number, consented to texts and did not opt out.
Queueing the same message again (same kind and subject) changes nothing, so a scheduler
that runs twice queues it once. Rows hold ids and codes only; the address is decrypted and
the text written when the message is sent (``billing.notifications.delivery``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from models.notifications import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationOptOut,
)
from models.patients import Patient


async def queue_notification(
    patient_id: int, kind: NotificationKind, subject_key: str, *, now: datetime | None = None
) -> list[NotificationChannel]:
    """Queue ``kind`` about ``subject_key`` (an opaque id such as ``installment-7``) for the
    patient on each channel that reaches them; the channels queued for (including ones
    queued before). Safe inside a caller's transaction: a repeat inserts nothing."""
    channels = await reachable_channels(patient_id)
    if channels:
        when = now or datetime.now(UTC)
        await Notification.bulk_create(
            [
                Notification(
                    patient_id=patient_id,
                    kind=kind,
                    channel=channel,
                    dedupe_key=dedupe_key(kind, patient_id, subject_key, channel),
                    send_after=when,
                )
                for channel in channels
            ],
            ignore_conflicts=True,
        )
    return channels


async def reachable_channels(patient_id: int) -> list[NotificationChannel]:
    """The channels the patient may be sent messages on, today."""
    patient = await Patient.get_or_none(id=patient_id).only(
        "id", "email_ct", "phone_ct", "sms_consent"
    )
    if patient is None:
        return []
    opted_out = set(await opted_out_channels(patient_id))
    channels = []
    if patient.email_ct and NotificationChannel.EMAIL not in opted_out:
        channels.append(NotificationChannel.EMAIL)
    if patient.phone_ct and patient.sms_consent and NotificationChannel.SMS not in opted_out:
        channels.append(NotificationChannel.SMS)
    return channels


async def opted_out_channels(patient_id: int) -> list[NotificationChannel]:
    rows = await NotificationOptOut.filter(patient_id=patient_id).values("channel")
    return [NotificationChannel(row["channel"]) for row in rows]


async def opt_out(patient_id: int, channel: NotificationChannel) -> None:
    """Stop messages on ``channel`` to the patient (an SMS "STOP"); queued ones are
    skipped when their turn comes. Repeating it is harmless."""
    await NotificationOptOut.bulk_create(
        [NotificationOptOut(patient_id=patient_id, channel=channel)], ignore_conflicts=True
    )


async def opt_in(patient_id: int, channel: NotificationChannel) -> None:
    """Undo ``opt_out`` (SMS still needs the patient's consent)."""
    await NotificationOptOut.filter(patient_id=patient_id, channel=channel).delete()


async def choose_channels(
    patient_id: int, choices: dict[NotificationChannel, bool]
) -> list[NotificationChannel]:
    """Turn reminder channels on (True) or off (False) as the patient chose; the channels
    left off afterwards."""
    for channel, wanted in choices.items():
        if wanted:
            await opt_in(patient_id, channel)
        else:
            await opt_out(patient_id, channel)
    return await opted_out_channels(patient_id)


def dedupe_key(
    kind: NotificationKind, patient_id: int, subject_key: str, channel: NotificationChannel
) -> str:
    """What makes a message the same message: its kind, patient, subject and channel."""
    return f"{kind.value}:patient-{patient_id}:{subject_key}:{channel.value}"
