"""Data and helpers shared by the ``test_graphql_*`` modules of accounts, patients and
locations (no tests here). Staff sessions are made directly, as real session rows, so a
test pays for argon2 only where it signs in over the API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp

from auth.sessions import SessionScope, create_session
from auth.totp import MFA_SECRET_PURPOSE, confirm_totp_enrollment, start_totp_enrollment
from billing.notifications.account_messages import password_reset_link_key
from billing.notifications.delivery import DeliveryRules, send_due_notifications
from billing.notifications.senders import RecordingSender
from billing.notifications.texts import OutgoingMessage
from billing.phi_cipher import PhiCipher
from config.settings import Settings
from models.audit import AuditEvent
from models.enums import Role
from models.notifications import NotificationChannel
from models.users import User
from tests.support.factories.auth import PASSWORD, make_user

__all__ = ["PASSWORD", "make_user"]


def api_cipher(settings: Settings) -> PhiCipher:
    """The cipher the API uses, for data a test puts in the database itself."""
    return PhiCipher.from_setting(settings.phi_encryption_key.reveal())


async def staff_token(role: Role, email: str | None = None) -> tuple[User, str]:
    """A staff user of ``role`` and the access token of a full session of theirs."""
    user = await make_user(email or f"{role.value}@example.org", role)
    session = await create_session(user.id, scope=SessionScope.FULL, now=datetime.now(UTC))
    return user, session.access_token


async def enable_mfa(user: User, settings: Settings) -> pyotp.TOTP:
    """Enroll TOTP for ``user`` as the API does, confirmed ten minutes ago so every code
    from now on is fresh."""
    cipher = api_cipher(settings)
    enrollment = await start_totp_enrollment(
        user, encrypt=lambda secret: cipher.encrypt(secret, MFA_SECRET_PURPOSE)
    )
    totp = pyotp.TOTP(enrollment.secret)
    earlier = datetime.now(UTC) - timedelta(minutes=10)
    await confirm_totp_enrollment(
        user,
        totp.at(earlier),
        decrypt=lambda ciphertext: cipher.decrypt(ciphertext, MFA_SECRET_PURPOSE),
        secret_key=settings.secret_key.reveal(),
        current_session_id=None,
        now=earlier,
    )
    await user.refresh_from_db()
    return totp


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next time step: still accepted, and not yet used by a code of now."""
    return str(totp.at(datetime.now(UTC) + timedelta(seconds=totp.interval)))


async def audit_rows(action: str | None = None) -> list[AuditEvent]:
    query = AuditEvent.all() if action is None else AuditEvent.filter(action=action)
    return await query.order_by("id")


def audit_values(row: AuditEvent) -> list[Any]:
    """Every recorded column of ``row``, for checking that none holds PHI."""
    return [
        row.actor_id,
        row.actor_role,
        row.action,
        row.resource_type,
        row.resource_id,
        row.patient_id,
        row.outcome,
        row.ip_address,
        row.request_id,
        row.reference,
    ]


def error_codes(body: dict[str, Any]) -> list[str]:
    """The ``extensions.code`` of each top-level error of a response."""
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def deliver_account_emails(settings: Settings) -> list[tuple[str, OutgoingMessage]]:
    """Send what the outbox holds, as ``billing send-reminders`` does, to a recorder; the
    (recipient, message) pairs sent by email."""
    email = RecordingSender()
    rules = DeliveryRules(
        public_base_url=settings.public_base_url,
        reset_link_key=password_reset_link_key(settings.secret_key.reveal()),
    )
    await send_due_notifications({NotificationChannel.EMAIL: email}, api_cipher(settings), rules)
    return email.sent


def reset_token_in(message: OutgoingMessage) -> str:
    """The token a reset email's link carries in its fragment."""
    found = re.search(r"/app/reset-password#token=(pr_[\w-]+)", message.body)
    assert found is not None, message.body
    return found.group(1)
