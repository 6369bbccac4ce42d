"""Sessions: hashed opaque tokens, refresh rotation, idle and absolute limits, revocation."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from auth.sessions import (
    ABSOLUTE_LIFETIME,
    SessionScope,
    authenticate,
    create_session,
    logout,
    refresh_session,
    revoke_other_sessions,
)
from auth.totp import confirm_totp_enrollment, start_totp_enrollment
from billing.errors import DomainError, ErrorCode
from models.enums import Role
from models.users import AuthSession, User
from tests.support.factories.auth import (
    NOW,
    SECRET_KEY,
    decrypt,
    encrypt,
    make_patient,
    make_user,
    signed_in,
)


async def test_tokens_are_opaque_prefixed_and_stored_only_as_hashes(db: None) -> None:
    patient = await make_patient()
    user = await make_user(patient=patient)

    issued = await signed_in(user)

    assert issued.access_token.startswith("at_")
    assert issued.refresh_token.startswith("rt_")
    row = await AuthSession.get(id=issued.session_id)
    assert issued.access_token not in (row.access_token_hash, row.refresh_token_hash)
    assert issued.refresh_token not in (row.access_token_hash, row.refresh_token_hash)
    session = await authenticate(issued.access_token, now=NOW)
    assert session is not None
    assert (session.user_id, session.roles, session.patient_id, session.scope) == (
        user.id,
        ("patient",),
        patient.id,
        SessionScope.FULL,
    )


async def test_unknown_and_malformed_tokens_do_not_authenticate(db: None) -> None:
    issued = await signed_in(await make_user())

    assert await authenticate("at_not-a-token", now=NOW) is None
    assert await authenticate(issued.refresh_token, now=NOW) is None
    with pytest.raises(DomainError) as raised:
        await refresh_session(issued.access_token, now=NOW)
    assert raised.value.code is ErrorCode.INVALID_TOKEN


async def test_the_access_token_lasts_fifteen_minutes_and_refresh_rotates_it(db: None) -> None:
    issued = await signed_in(await make_user())
    at_expiry = NOW + timedelta(minutes=15)
    await authenticate(issued.access_token, now=NOW + timedelta(minutes=10))

    assert await authenticate(issued.access_token, now=at_expiry) is None
    renewed = await refresh_session(issued.refresh_token, now=at_expiry)

    assert renewed.access_token != issued.access_token
    assert renewed.refresh_token != issued.refresh_token
    assert await authenticate(renewed.access_token, now=at_expiry) is not None


async def test_a_reused_refresh_token_revokes_the_whole_family(db: None) -> None:
    user = await make_user()
    issued = await signed_in(user)
    other_device = await signed_in(user)
    renewed = await refresh_session(issued.refresh_token, now=NOW + timedelta(minutes=1))

    with pytest.raises(DomainError) as raised:
        await refresh_session(issued.refresh_token, now=NOW + timedelta(minutes=2))

    assert raised.value.code is ErrorCode.INVALID_TOKEN
    later = NOW + timedelta(minutes=3)
    assert await authenticate(renewed.access_token, now=later) is None
    with pytest.raises(DomainError):
        await refresh_session(renewed.refresh_token, now=later)
    assert await authenticate(other_device.access_token, now=later) is not None


async def test_a_session_idle_for_fifteen_minutes_ends(db: None) -> None:
    issued = await signed_in(await make_user())
    # Seen at 10 minutes: a refresh at 20 minutes is within the idle limit.
    await authenticate(issued.access_token, now=NOW + timedelta(minutes=10))
    renewed = await refresh_session(issued.refresh_token, now=NOW + timedelta(minutes=20))

    with pytest.raises(DomainError) as raised:
        await refresh_session(renewed.refresh_token, now=NOW + timedelta(minutes=35))

    assert raised.value.code is ErrorCode.INVALID_TOKEN


async def test_the_idle_limit_is_configurable(db: None) -> None:
    issued = await signed_in(await make_user())
    at_ten = NOW + timedelta(minutes=10)

    assert await authenticate(issued.access_token, now=at_ten, idle_minutes=5) is None
    assert await authenticate(issued.access_token, now=at_ten, idle_minutes=15) is not None


async def test_last_seen_is_written_at_most_once_a_minute(db: None) -> None:
    issued = await signed_in(await make_user())

    await authenticate(issued.access_token, now=NOW + timedelta(seconds=30))
    assert (await AuthSession.get(id=issued.session_id)).last_seen_at == NOW

    await authenticate(issued.access_token, now=NOW + timedelta(seconds=61))
    row = await AuthSession.get(id=issued.session_id)
    assert row.last_seen_at == NOW + timedelta(seconds=61)


async def test_a_session_ends_after_twelve_hours_however_active(db: None) -> None:
    issued = await signed_in(await make_user())
    refresh_token = issued.refresh_token
    now = NOW
    while now + timedelta(minutes=14) < NOW + ABSOLUTE_LIFETIME:
        now += timedelta(minutes=14)
        renewed = await refresh_session(refresh_token, now=now)
        refresh_token = renewed.refresh_token
        assert renewed.access_expires_at <= NOW + ABSOLUTE_LIFETIME

    with pytest.raises(DomainError):
        await refresh_session(refresh_token, now=NOW + ABSOLUTE_LIFETIME)
    assert await authenticate(renewed.access_token, now=NOW + ABSOLUTE_LIFETIME) is None


async def test_logout_revokes_the_session_on_the_server(db: None) -> None:
    issued = await signed_in(await make_user())
    renewed = await refresh_session(issued.refresh_token, now=NOW)

    await logout(renewed.session_id, now=NOW)

    assert await authenticate(renewed.access_token, now=NOW) is None
    with pytest.raises(DomainError):
        await refresh_session(renewed.refresh_token, now=NOW)


async def test_a_deactivated_user_is_not_authenticated(db: None) -> None:
    user = await make_user()
    issued = await signed_in(user)

    await User.filter(id=user.id).update(is_active=False)

    assert await authenticate(issued.access_token, now=NOW) is None


async def test_revoking_other_sessions_keeps_the_current_family(db: None) -> None:
    user = await make_user()
    first = await signed_in(user)
    current = await refresh_session(first.refresh_token, now=NOW)
    other = await signed_in(user)

    await revoke_other_sessions(user.id, first.session_id, now=NOW)

    assert await authenticate(current.access_token, now=NOW) is not None
    assert await authenticate(other.access_token, now=NOW) is None


async def test_enabling_mfa_revokes_the_other_sessions(db: None) -> None:
    user = await make_user()
    current = await signed_in(user)
    other = await signed_in(user)
    enrollment = await start_totp_enrollment(user, encrypt=encrypt)

    await confirm_totp_enrollment(
        user,
        pyotp.TOTP(enrollment.secret).at(NOW),
        decrypt=decrypt,
        secret_key=SECRET_KEY,
        current_session_id=current.session_id,
        now=NOW,
    )

    assert await authenticate(current.access_token, now=NOW) is not None
    assert await authenticate(other.access_token, now=NOW) is None


async def test_staff_enrolling_mfa_in_an_enrollment_session_get_full_scope(db: None) -> None:
    staff = await make_user("clerk@example.org", Role.BILLING_STAFF)
    issued = await create_session(staff.id, scope=SessionScope.MFA_ENROLLMENT, now=NOW)
    enrollment = await start_totp_enrollment(staff, encrypt=encrypt)

    await confirm_totp_enrollment(
        staff,
        pyotp.TOTP(enrollment.secret).at(NOW),
        decrypt=decrypt,
        secret_key=SECRET_KEY,
        current_session_id=issued.session_id,
        now=NOW,
    )

    session = await authenticate(issued.access_token, now=NOW)
    assert session is not None
    assert session.scope is SessionScope.FULL
