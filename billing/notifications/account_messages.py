"""Account messages: email to a user's sign-in address about the account itself (a
password-reset link, "your password changed", "your authenticator changed").

They go through the same outbox as reminders and are sent by the same delivery run, but
to a user rather than a patient: staff accounts have no patient record, and a patient's
sign-in address is the one the account is reached at. They ignore reminder opt-outs (they
are not reminders) and go by email only.

A password-reset link's token is never stored, not even encrypted: the outbox row names
the reset, and the token is derived when the email is sent, as an HMAC under a key of the
service's secret over the reset's random nonce. Only the token's SHA-256 is kept, to find
the reset when the link is used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from models.notifications import Notification, NotificationChannel, NotificationKind

PASSWORD_RESET_TOKEN_PREFIX = "pr_"  # noqa: S105 (a prefix, not a token)


def password_reset_link_key(secret_key: str) -> bytes:
    """The key reset-link tokens are derived under, from the service's secret key."""
    return hmac.new(secret_key.encode(), b"password-reset-link-v1", hashlib.sha256).digest()


def new_reset_nonce() -> str:
    """256 random bits, as hex, for one password reset."""
    return secrets.token_hex(32)


def password_reset_token(link_key: bytes, nonce: str) -> str:
    """The opaque token of the reset whose nonce is ``nonce``: ``pr_`` and 43 characters."""
    digest = hmac.new(link_key, nonce.encode(), hashlib.sha256).digest()
    return PASSWORD_RESET_TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def queue_account_message(
    user_id: int, kind: NotificationKind, *, subject_id: int = 0, now: datetime | None = None
) -> None:
    """Queue ``kind`` to the user's sign-in address; ``subject_id`` names the password
    reset of a reset link. Call inside the transaction of the change it tells about."""
    when = now or datetime.now(UTC)
    # Each message is its own: a second password change is a second email.
    key = f"{kind.value}:user-{user_id}:{subject_id}:{secrets.token_hex(8)}"
    await Notification.create(
        user_id=user_id,
        kind=kind,
        channel=NotificationChannel.EMAIL,
        subject_id=subject_id,
        dedupe_key=key,
        send_after=when,
    )
