"""The notification outbox: messages to patients and to account holders, queued once and
sent once.

A row holds no address and no text. A reminder names a patient, whose address is decrypted
from the record when the message is sent; an account message (a password-reset link, "your
password changed") names a user, staff included, and goes to the sign-in address. The
text follows from the kind alone, so the outbox never holds PHI.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.organizations import Organization
    from models.patients import Patient
    from models.users import User


class NotificationKind(StrEnum):
    INSTALLMENT_DUE_SOON = "INSTALLMENT_DUE_SOON"
    INSTALLMENT_FAILED = "INSTALLMENT_FAILED"
    INSTALLMENT_NEEDS_AUTHENTICATION = "INSTALLMENT_NEEDS_AUTHENTICATION"
    INVOICE_OVERDUE = "INVOICE_OVERDUE"
    # An invoice made from the clinical system's charges was issued.
    INVOICE_READY = "INVOICE_READY"
    # Account messages, to the user's sign-in address.
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 (a kind of message, not a password)
    PASSWORD_RESET_REQUIRED = "PASSWORD_RESET_REQUIRED"  # noqa: S105 (staff forced a reset)
    PASSWORD_CHANGED = "PASSWORD_CHANGED"  # noqa: S105
    MFA_CHANGED = "MFA_CHANGED"
    # A collections reminder to an organization's billing address.
    ORGANIZATION_PAYMENT_REMINDER = "ORGANIZATION_PAYMENT_REMINDER"


class NotificationChannel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class NotificationStatus(StrEnum):
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


class Notification(Model):
    """One message to a patient or to a user on one channel, queued once and sent once.

    Exactly one of ``patient`` (reminders), ``user`` (account messages) and
    ``organization`` (collections reminders) is set.
    ``dedupe_key`` makes queueing it again a no-op, and a conditional claim (``claimed_at``)
    makes two senders send it once.
    """

    id = fields.BigIntField(primary_key=True)
    patient: fields.ForeignKeyNullableRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="notifications", null=True, on_delete=fields.RESTRICT
    )
    patient_id: int | None
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    user_id: int | None
    # An organization's billing address (collections reminders; ``subject_id`` the invoice).
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    organization_id: int | None
    # What an account message is about (the id of a password reset); 0 for reminders.
    subject_id = fields.BigIntField(default=0)
    kind = fields.CharEnumField(NotificationKind, max_length=32)
    channel = fields.CharEnumField(NotificationChannel, max_length=8)
    status = fields.CharEnumField(
        NotificationStatus, max_length=8, default=NotificationStatus.QUEUED
    )
    dedupe_key = fields.CharField(max_length=200, unique=True)
    # Not sent before this instant: quiet hours and retries after a delivery error move it.
    send_after = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    claimed_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    # Why it was skipped or failed, as a code (never an address or a provider's words).
    outcome_code = fields.CharField(max_length=64, default="")
    provider_message_id = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification"
        indexes = (("status", "send_after"),)


class NotificationOptOut(Model):
    """A patient's refusal of a channel (an SMS "STOP"), kept apart from their consent."""

    id = fields.BigIntField(primary_key=True)
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="notification_opt_outs", on_delete=fields.CASCADE
    )
    patient_id: int
    channel = fields.CharEnumField(NotificationChannel, max_length=8)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification_opt_out"
        unique_together = (("patient", "channel"),)
