"""Signing in: passwords, the second factor, lockout, and what staff may do without MFA."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher

from auth.lockout import AuthFailure, FailureReason
from auth.login import LoginResult, SecondFactor, login, verify_mfa
from auth.sessions import SessionScope, authenticate
from billing.errors import DomainError, ErrorCode
from models.enums import Role
from models.users import User
from tests.support.factories.auth import (
    NOW,
    PASSWORD,
    SECRET_KEY,
    MfaDevice,
    decrypt,
    enable_mfa,
    guard_state,
    lock_address,
    make_user,
)


class FailureLog:
    """An ``on_failure`` hook that remembers what it was told."""

    def __init__(self) -> None:
        self.failures: list[AuthFailure] = []

    async def __call__(self, failure: AuthFailure) -> None:
        self.failures.append(failure)


async def _ticket(email: str = "ada@example.org", now: datetime = NOW) -> str:
    result = await login(email, PASSWORD, secret_key=SECRET_KEY, now=now)
    assert result.mfa_required
    assert result.mfa_ticket is not None
    return result.mfa_ticket


async def _expect(code: ErrorCode, attempt: Awaitable[object]) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await attempt
    assert raised.value.code is code
    return raised.value


async def test_a_patient_without_mfa_gets_a_full_session(db: None) -> None:
    user = await make_user()

    result = await login(" Ada@Example.org ", PASSWORD, secret_key=SECRET_KEY, now=NOW)

    assert not result.mfa_required
    assert result.session is not None
    session = await authenticate(result.session.access_token, now=NOW)
    assert session is not None
    assert (session.user_id, session.scope) == (user.id, SessionScope.FULL)


async def test_an_unknown_email_fails_like_a_wrong_password_and_takes_as_long(db: None) -> None:
    await make_user()
    log = FailureLog()

    started = time.perf_counter()
    wrong_password = await _expect(
        ErrorCode.INVALID_CREDENTIALS,
        login(
            "ada@example.org",
            "not the password at all",
            secret_key=SECRET_KEY,
            now=NOW,
            on_failure=log,
        ),
    )
    wrong_password_took = time.perf_counter() - started
    started = time.perf_counter()
    unknown_email = await _expect(
        ErrorCode.INVALID_CREDENTIALS,
        login("nobody@example.org", PASSWORD, secret_key=SECRET_KEY, now=NOW, on_failure=log),
    )
    unknown_email_took = time.perf_counter() - started

    assert (unknown_email.message, unknown_email.field) == (
        wrong_password.message,
        wrong_password.field,
    )
    # Both ran one argon2id verification; what is left is noise.
    assert unknown_email_took > wrong_password_took / 2
    assert [(f.user_id is None, f.reason) for f in log.failures] == [
        (False, FailureReason.PASSWORD),
        (True, FailureReason.UNKNOWN_EMAIL),
    ]


async def test_a_hash_with_old_parameters_is_upgraded_at_login(db: None) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user = await User.create(email="ada@example.org", password_hash=weak, roles=["patient"])

    await login("ada@example.org", PASSWORD, secret_key=SECRET_KEY, now=NOW)

    stored = (await User.get(id=user.id)).password_hash
    assert stored != weak
    assert "m=65536,t=3,p=1" in stored


async def test_staff_without_mfa_get_a_session_that_can_only_enroll(db: None) -> None:
    await make_user("clerk@example.org", Role.BILLING_STAFF)

    result = await login("clerk@example.org", PASSWORD, secret_key=SECRET_KEY, now=NOW)

    assert result.session is not None
    assert result.session.scope is SessionScope.MFA_ENROLLMENT
    session = await authenticate(result.session.access_token, now=NOW)
    assert session is not None
    assert session.scope is SessionScope.MFA_ENROLLMENT


async def test_a_patient_who_enabled_mfa_always_needs_the_second_factor(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)

    result = await login("ada@example.org", PASSWORD, secret_key=SECRET_KEY, now=NOW)

    assert result == LoginResult(
        user.id,
        mfa_required=True,
        mfa_ticket=result.mfa_ticket,
        mfa_ticket_expires_at=NOW + timedelta(minutes=5),
    )
    assert result.mfa_ticket is not None
    assert result.mfa_ticket.startswith("mt_")
    verified = await verify_mfa(
        result.mfa_ticket, device.totp.at(NOW), decrypt=decrypt, secret_key=SECRET_KEY, now=NOW
    )
    assert verified.factor is SecondFactor.TOTP
    assert verified.session.scope is SessionScope.FULL
    assert await authenticate(verified.session.access_token, now=NOW) is not None


async def test_staff_with_mfa_sign_in_with_both_factors(db: None) -> None:
    staff = await make_user("clerk@example.org", Role.ADMIN)
    device = await enable_mfa(staff)
    ticket = await _ticket("clerk@example.org")

    verified = await verify_mfa(
        ticket, device.totp.at(NOW), decrypt=decrypt, secret_key=SECRET_KEY, now=NOW
    )

    session = await authenticate(verified.session.access_token, now=NOW)
    assert session is not None
    assert (session.roles, session.scope) == (("admin",), SessionScope.FULL)


async def test_a_ticket_is_single_use_and_short_lived(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)
    ticket = await _ticket()
    await verify_mfa(ticket, device.totp.at(NOW), decrypt=decrypt, secret_key=SECRET_KEY, now=NOW)
    later = NOW + timedelta(seconds=30)

    await _expect(
        ErrorCode.INVALID_TOKEN,
        verify_mfa(
            ticket, device.totp.at(later), decrypt=decrypt, secret_key=SECRET_KEY, now=later
        ),
    )
    expired = NOW + timedelta(minutes=5)
    await _expect(
        ErrorCode.INVALID_TOKEN,
        verify_mfa(
            await _ticket(),
            device.totp.at(expired),
            decrypt=decrypt,
            secret_key=SECRET_KEY,
            now=expired,
        ),
    )


async def test_a_replayed_totp_code_is_refused(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)
    first, second = await _ticket(), await _ticket()
    code = device.totp.at(NOW)
    await verify_mfa(first, code, decrypt=decrypt, secret_key=SECRET_KEY, now=NOW)

    await _expect(
        ErrorCode.INVALID_MFA_CODE,
        verify_mfa(second, code, decrypt=decrypt, secret_key=SECRET_KEY, now=NOW),
    )


async def test_one_totp_code_sent_twice_at_once_signs_in_once(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)
    tickets = await asyncio.gather(_ticket(), _ticket())
    code = device.totp.at(NOW)

    results = await asyncio.gather(
        *(
            verify_mfa(ticket, code, decrypt=decrypt, secret_key=SECRET_KEY, now=NOW)
            for ticket in tickets
        ),
        return_exceptions=True,
    )

    errors = [r.code for r in results if isinstance(r, DomainError)]
    assert errors == [ErrorCode.INVALID_MFA_CODE]
    assert len(results) == 2


async def test_a_recovery_code_signs_in_once(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)
    code = device.recovery_codes[3]

    verified = await verify_mfa(
        await _ticket(), code.lower(), decrypt=decrypt, secret_key=SECRET_KEY, now=NOW
    )

    assert verified.factor is SecondFactor.RECOVERY_CODE
    await _expect(
        ErrorCode.INVALID_MFA_CODE,
        verify_mfa(await _ticket(), code, decrypt=decrypt, secret_key=SECRET_KEY, now=NOW),
    )


async def _fail_mfa(ticket: str, device: MfaDevice, now: datetime, log: FailureLog) -> None:
    wrong = device.totp.at(now - timedelta(minutes=3))
    await _expect(
        ErrorCode.INVALID_MFA_CODE,
        verify_mfa(ticket, wrong, decrypt=decrypt, secret_key=SECRET_KEY, now=now, on_failure=log),
    )


async def test_failures_of_any_factor_add_up_to_growing_delays_then_a_lock(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)
    log = FailureLog()
    # One wrong password, one wrong recovery code, then wrong TOTP codes.
    await _expect(
        ErrorCode.INVALID_CREDENTIALS,
        login(
            "ada@example.org",
            "not the password at all",
            secret_key=SECRET_KEY,
            now=NOW,
            on_failure=log,
        ),
    )
    ticket = await _ticket()
    await _expect(
        ErrorCode.INVALID_MFA_CODE,
        verify_mfa(
            ticket, "AAAAA-AAAAA", decrypt=decrypt, secret_key=SECRET_KEY, now=NOW, on_failure=log
        ),
    )
    await _fail_mfa(ticket, device, NOW, log)  # third: 30 s delay

    # During the delay even the right code is refused, unchecked.
    right = device.totp.at(NOW + timedelta(seconds=20))
    await _expect(
        ErrorCode.ACCOUNT_LOCKED,
        verify_mfa(
            ticket, right, decrypt=decrypt, secret_key=SECRET_KEY, now=NOW + timedelta(seconds=20)
        ),
    )
    t4 = NOW + timedelta(seconds=30)
    await _fail_mfa(ticket, device, t4, log)  # fourth: 60 s
    await _expect(
        ErrorCode.ACCOUNT_LOCKED, login("ada@example.org", PASSWORD, secret_key=SECRET_KEY, now=t4)
    )
    t5 = t4 + timedelta(seconds=60)
    ticket = await _ticket(now=t5)
    await _fail_mfa(ticket, device, t5, log)  # fifth: 120 s
    t6 = t5 + timedelta(seconds=120)
    await _fail_mfa(ticket, device, t6, log)  # sixth: locked for 30 minutes

    assert [(f.reason, f.failed_attempts) for f in log.failures] == [
        (FailureReason.PASSWORD, 1),
        (FailureReason.RECOVERY_CODE, 2),
        (FailureReason.TOTP, 3),
        (FailureReason.TOTP, 4),
        (FailureReason.TOTP, 5),
        (FailureReason.TOTP, 6),
    ]
    assert [f.locked_until for f in log.failures] == [
        None,
        None,
        NOW + timedelta(seconds=30),
        t4 + timedelta(seconds=60),
        t5 + timedelta(seconds=120),
        t6 + timedelta(minutes=30),
    ]
    await _expect(
        ErrorCode.ACCOUNT_LOCKED,
        login("ada@example.org", PASSWORD, secret_key=SECRET_KEY, now=t6 + timedelta(minutes=29)),
    )


async def test_a_full_sign_in_resets_the_failures(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)
    ticket = await _ticket()
    log = FailureLog()
    await _fail_mfa(ticket, device, NOW, log)
    await _fail_mfa(ticket, device, NOW, log)

    await verify_mfa(ticket, device.totp.at(NOW), decrypt=decrypt, secret_key=SECRET_KEY, now=NOW)

    assert await guard_state("ada@example.org") == (0, None)


async def test_a_right_password_alone_does_not_reset_the_failures(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)
    log = FailureLog()
    await _fail_mfa(await _ticket(), device, NOW, log)

    await _ticket()

    assert (await guard_state("ada@example.org"))[0] == 1


async def test_a_locked_account_refuses_even_the_right_password(db: None) -> None:
    await make_user()
    await lock_address("ada@example.org", SECRET_KEY, until=NOW + timedelta(minutes=1))
    log = FailureLog()

    await _expect(
        ErrorCode.ACCOUNT_LOCKED,
        login("ada@example.org", PASSWORD, secret_key=SECRET_KEY, now=NOW, on_failure=log),
    )

    assert [f.reason for f in log.failures] == [FailureReason.LOCKED]
    result = await login(
        "ada@example.org", PASSWORD, secret_key=SECRET_KEY, now=NOW + timedelta(minutes=1)
    )
    assert result.session is not None
