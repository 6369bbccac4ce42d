"""TOTP second factor (RFC 6238, 30-second steps, 6 digits) with pyotp.

A code is accepted once: the user row remembers the last accepted time step, and a code
counts only if a conditional update moves that step forward, so one code used twice at the
same moment passes once. The secret is stored encrypted through the caller's cipher."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from tortoise.transactions import in_transaction

from auth.recovery_codes import replace_recovery_codes
from auth.sessions import revoke_other_sessions, widen_scope
from billing.errors import DomainError, ErrorCode
from models.users import User

ISSUER = "Healthcare Billing"
# Accept the previous and the next step too, for clock drift and slow typing.
VALID_WINDOW = 1

Encrypt = Callable[[str], str]
Decrypt = Callable[[str], str]

# The cipher purpose of ``User.mfa_secret_ct`` and ``User.mfa_pending_secret_ct`` (a pending
# secret becomes the enabled one as it is), for encryption and for key rotation.
MFA_SECRET_PURPOSE = "user.mfa_secret"  # noqa: S105 (a purpose, not a secret)
MFA_SECRET_COLUMNS = {
    "mfa_secret_ct": MFA_SECRET_PURPOSE,
    "mfa_pending_secret_ct": MFA_SECRET_PURPOSE,
}


@dataclass(frozen=True)
class TotpEnrollment:
    """What the user needs to add the account to an authenticator app."""

    secret: str
    provisioning_uri: str
    qr_code_svg: str


async def start_totp_enrollment(user: User, *, encrypt: Encrypt) -> TotpEnrollment:
    """A new secret for ``user``, kept pending until ``confirm_totp_enrollment``; an MFA
    already enabled stays in force until then."""
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    await User.filter(id=user.id).update(mfa_pending_secret_ct=encrypt(secret))
    return TotpEnrollment(secret=secret, provisioning_uri=uri, qr_code_svg=_qr_code_svg(uri))


async def confirm_totp_enrollment(
    user: User,
    code: str,
    *,
    decrypt: Decrypt,
    secret_key: str,
    current_session_id: int | None,
    now: datetime,
) -> list[str]:
    """Enable MFA with the pending secret if ``code`` matches it, and return ten new
    recovery codes (shown once). Revokes the user's other sessions; the current one, if
    it could only enroll, gets full scope. ``INVALID_MFA_CODE`` otherwise."""
    pending_ct = (
        await User.filter(id=user.id).first().values_list("mfa_pending_secret_ct", flat=True)
    )
    if not isinstance(pending_ct, str):
        raise DomainError(ErrorCode.INVALID_MFA_CODE, "Start the enrollment again.", "code")
    step = matching_step(decrypt(pending_ct), code, now)
    if step is None:
        raise DomainError(ErrorCode.INVALID_MFA_CODE, "The code does not match.", "code")
    async with in_transaction():
        # Conditional on the pending secret we checked, in case enrollment restarted meanwhile.
        enabled = await User.filter(id=user.id, mfa_pending_secret_ct=pending_ct).update(
            mfa_secret_ct=pending_ct,
            mfa_pending_secret_ct=None,
            mfa_enabled=True,
            # The confirming code (and older ones) cannot sign in afterwards.
            mfa_last_step=step,
        )
        if not enabled:
            raise DomainError(ErrorCode.INVALID_MFA_CODE, "Start the enrollment again.", "code")
        codes = await replace_recovery_codes(user.id, secret_key=secret_key)
        await revoke_other_sessions(user.id, current_session_id, now=now)
        if current_session_id is not None:
            await widen_scope(current_session_id)
    return codes


async def accept_totp_code(user: User, code: str, *, decrypt: Decrypt, now: datetime) -> bool:
    """Whether ``code`` is a valid, not yet used TOTP code of ``user``'s enabled MFA."""
    if not user.mfa_enabled or user.mfa_secret_ct is None:
        return False
    step = matching_step(decrypt(user.mfa_secret_ct), code, now)
    if step is None:
        return False
    accepted: int = await User.filter(id=user.id, mfa_last_step__lt=step).update(mfa_last_step=step)
    return accepted == 1


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step, within the valid window around ``now``, whose code is ``code``."""
    digits = "".join(code.split())
    if len(digits) != 6 or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if pyotp.utils.strings_equal(digits, totp.generate_otp(step)):
            return step
    return None


def _qr_code_svg(uri: str) -> str:
    # A standalone document (with its namespace), which apps can render as an image too.
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", xmldecl=False, scale=4, border=4)
    return buffer.getvalue().decode()
