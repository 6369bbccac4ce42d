"""Password rules after NIST SP 800-63B: length, not composition; a blocklist; no expiry."""

from __future__ import annotations

from auth.breached_passwords import is_breached
from auth.passwords import normalize_password
from billing.errors import DomainError, ErrorCode

SINGLE_FACTOR_MIN_LENGTH = 15
MULTI_FACTOR_MIN_LENGTH = 8
MAX_LENGTH = 128


def check_new_password(
    password: str, *, mfa_enforced: bool, email: str | None = None, field: str = "password"
) -> str:
    """The normalised password, or ``WEAK_PASSWORD`` saying what is wrong with it.

    ``mfa_enforced`` is true for staff (always) and for patients who enabled MFA: the
    password is then one of two factors and may be shorter. ``email`` is the account's
    address; the password may be neither it nor its local part."""
    normalized = normalize_password(password)
    minimum = MULTI_FACTOR_MIN_LENGTH if mfa_enforced else SINGLE_FACTOR_MIN_LENGTH
    if len(normalized) < minimum:
        raise DomainError(ErrorCode.WEAK_PASSWORD, f"Use at least {minimum} characters.", field)
    if len(normalized) > MAX_LENGTH:
        raise DomainError(ErrorCode.WEAK_PASSWORD, f"Use at most {MAX_LENGTH} characters.", field)
    if len(set(normalized)) == 1:
        raise DomainError(ErrorCode.WEAK_PASSWORD, "Do not repeat a single character.", field)
    if email is not None and _is_email_or_local_part(normalized, email):
        raise DomainError(ErrorCode.WEAK_PASSWORD, "Do not use your email address.", field)
    if is_breached(normalized):
        raise DomainError(
            ErrorCode.WEAK_PASSWORD, "This password is common or known from a breach.", field
        )
    return normalized


def _is_email_or_local_part(password: str, email: str) -> bool:
    address = email.strip().casefold()
    local_part = address.partition("@")[0]
    return password.casefold() in {address, local_part}
