"""What a patient asks of their reminders, one function per request, each in its
transaction with its access-log record."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.notifications.outbox import choose_channels
from models.notifications import NotificationChannel

SET_REMINDER_CHANNELS = AuditedAction("notifications.channels_chosen", "Patient")


async def set_reminder_channels(
    audit: AuditBuffer, patient_id: int, choices: dict[NotificationChannel, bool]
) -> list[NotificationChannel]:
    """Turn reminder channels on (``True``) or off; the channels now turned off."""
    async with in_transaction():
        off = await choose_channels(patient_id, choices)
        await audit.record_success(
            SET_REMINDER_CHANNELS, resource_id=patient_id, patient_id=patient_id
        )
    return off
