"""Sessions: opaque bearer tokens, stored only as SHA-256 hashes.

A sign-in starts a family. Each row of the family is one access token (15 minutes) and one
refresh token; a refresh retires the row and issues the next one. A retired refresh token
used again means it was stolen (or the client raced itself): the whole family is revoked.
A family ends after 15 idle minutes (configurable) or 12 hours, whichever comes first.

A session id is the id of the family's current row; ``logout`` and
``revoke_other_sessions`` act on whole families."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tortoise.transactions import in_transaction

from auth.tokens import new_token, token_hash
from billing.errors import DomainError, ErrorCode
from models.users import AuthSession, User

ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
ABSOLUTE_LIFETIME = timedelta(hours=12)
DEFAULT_IDLE_MINUTES = 15
# last_seen_at is written at most this often, so reads do not all become writes.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
ACCESS_PREFIX = "at_"
REFRESH_PREFIX = "rt_"


class SessionScope(StrEnum):
    FULL = "full"
    # Staff who have not enrolled MFA yet: the session may only enroll it.
    MFA_ENROLLMENT = "mfa_enrollment"


@dataclass(frozen=True)
class IssuedSession:
    """Tokens to hand to the client once; we keep only their hashes."""

    session_id: int
    user_id: int
    scope: SessionScope
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    absolute_expires_at: datetime


@dataclass(frozen=True)
class AuthenticatedSession:
    """Who is calling, for the request."""

    session_id: int
    user_id: int
    roles: tuple[str, ...]
    patient_id: int | None
    scope: SessionScope
    organization_id: int | None = None


async def create_session(user_id: int, *, scope: SessionScope, now: datetime) -> IssuedSession:
    """Start a session family for ``user_id`` after a successful sign-in."""
    return await _issue(
        user_id,
        family_id=new_token(""),
        scope=scope,
        now=now,
        absolute_expires_at=now + ABSOLUTE_LIFETIME,
    )


@dataclass(frozen=True)
class AccessTokenCheck:
    """What an access token is worth: its session, or none, and then whether it is only
    out of time (``expired``: the client should refresh, or sign in when that fails)."""

    session: AuthenticatedSession | None
    expired: bool = False


async def authenticate(
    access_token: str, *, now: datetime, idle_minutes: int = DEFAULT_IDLE_MINUTES
) -> AuthenticatedSession | None:
    """The session ``access_token`` belongs to, or None if it is unknown, expired, idle,
    retired by a refresh, revoked, or its user is deactivated. Marks the session as seen."""
    checked = await check_access_token(access_token, now=now, idle_minutes=idle_minutes)
    return checked.session


async def check_access_token(
    access_token: str, *, now: datetime, idle_minutes: int = DEFAULT_IDLE_MINUTES
) -> AccessTokenCheck:
    """``authenticate``, telling an expired token from a worthless one. ``expired`` is set
    only for a token of ours that ran out of time (its 15 minutes, the idle timeout or the
    absolute lifetime) without being retired by a refresh or revoked, and whose user is
    still active: a retired token says nothing more than an unknown one, so a client that
    refreshed already is never led to present its old refresh token again."""
    if not access_token.startswith(ACCESS_PREFIX):
        return AccessTokenCheck(None)
    row = await AuthSession.get_or_none(access_token_hash=token_hash(access_token)).select_related(
        "user"
    )
    if row is None or row.rotated_at is not None or row.revoked_at is not None:
        return AccessTokenCheck(None)
    if not row.user.is_active:
        return AccessTokenCheck(None)
    if row.access_expires_at <= now or not _is_alive(row, now, idle_minutes):
        return AccessTokenCheck(None, expired=True)
    if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
        await AuthSession.filter(id=row.id, last_seen_at__lt=now).update(last_seen_at=now)
    user: User = row.user
    return AccessTokenCheck(
        AuthenticatedSession(
            session_id=row.id,
            user_id=user.id,
            roles=tuple(user.roles),
            patient_id=user.patient_id,
            scope=SessionScope(row.scope),
            organization_id=user.organization_id,
        )
    )


async def refresh_session(
    refresh_token: str, *, now: datetime, idle_minutes: int = DEFAULT_IDLE_MINUTES
) -> IssuedSession:
    """New tokens for the family of ``refresh_token``, which is retired. ``INVALID_TOKEN``
    if it is unknown or the family ended; a retired token revokes its family."""
    invalid = DomainError(ErrorCode.INVALID_TOKEN, "Sign in again.")
    if not refresh_token.startswith(REFRESH_PREFIX):
        raise invalid
    row = await AuthSession.get_or_none(
        refresh_token_hash=token_hash(refresh_token)
    ).select_related("user")
    if row is None or row.revoked_at is not None:
        raise invalid
    if row.rotated_at is not None:
        await _revoke_family(row.family_id, now)
        raise invalid
    if not _is_alive(row, now, idle_minutes) or not row.user.is_active:
        raise invalid
    async with in_transaction():
        # Conditional, so of two refreshes racing with one token only one rotates; the
        # other is a reuse. In one transaction with the new row, so a concurrent family
        # revocation also reaches the row issued here.
        retired = await AuthSession.filter(
            id=row.id, rotated_at__isnull=True, revoked_at__isnull=True
        ).update(rotated_at=now)
        if retired:
            return await _issue(
                row.user.id,
                family_id=row.family_id,
                scope=SessionScope(row.scope),
                now=now,
                absolute_expires_at=row.absolute_expires_at,
            )
    await _revoke_family(row.family_id, now)
    raise invalid


async def logout(session_id: int, *, now: datetime) -> None:
    """Revoke the session family of ``session_id`` on the server."""
    family_id = await _family_of(session_id)
    if family_id is not None:
        await _revoke_family(family_id, now)


async def revoke_other_sessions(user_id: int, keep_session_id: int | None, *, now: datetime) -> int:
    """Revoke every session of ``user_id`` but the family of ``keep_session_id`` (all of them
    when None): after a password or MFA change. Returns how many rows were revoked."""
    others = AuthSession.filter(user_id=user_id, revoked_at__isnull=True)
    keep_family = await _family_of(keep_session_id) if keep_session_id is not None else None
    if keep_family is not None:
        others = others.exclude(family_id=keep_family)
    revoked: int = await others.update(revoked_at=now)
    return revoked


async def widen_scope(session_id: int) -> None:
    """Give an enrollment-only session full scope, once the user enrolled MFA in it."""
    family_id = await _family_of(session_id)
    if family_id is not None:
        await AuthSession.filter(family_id=family_id, revoked_at__isnull=True).update(
            scope=SessionScope.FULL.value
        )


async def _issue(
    user_id: int,
    *,
    family_id: str,
    scope: SessionScope,
    now: datetime,
    absolute_expires_at: datetime,
) -> IssuedSession:
    access_token = new_token(ACCESS_PREFIX)
    refresh_token = new_token(REFRESH_PREFIX)
    access_expires_at = min(now + ACCESS_TOKEN_LIFETIME, absolute_expires_at)
    row = await AuthSession.create(
        user_id=user_id,
        family_id=family_id,
        access_token_hash=token_hash(access_token),
        refresh_token_hash=token_hash(refresh_token),
        scope=scope.value,
        last_seen_at=now,
        access_expires_at=access_expires_at,
        absolute_expires_at=absolute_expires_at,
    )
    return IssuedSession(
        session_id=row.id,
        user_id=user_id,
        scope=scope,
        access_token=access_token,
        refresh_token=refresh_token,
        access_expires_at=access_expires_at,
        absolute_expires_at=absolute_expires_at,
    )


def _is_alive(row: AuthSession, now: datetime, idle_minutes: int) -> bool:
    return (
        row.revoked_at is None
        and row.absolute_expires_at > now
        and row.last_seen_at + timedelta(minutes=idle_minutes) > now
    )


async def _family_of(session_id: int) -> str | None:
    family_id = await AuthSession.filter(id=session_id).first().values_list("family_id", flat=True)
    return family_id if isinstance(family_id, str) else None


async def _revoke_family(family_id: str, now: datetime) -> None:
    await AuthSession.filter(family_id=family_id, revoked_at__isnull=True).update(revoked_at=now)
