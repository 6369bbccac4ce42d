"""The sign-in guard: an attempt is reserved before its secret is checked, so parallel
guesses are evaluated no more often than the lock allows, the right secret sent while the
address refuses is answered like a wrong one, and unknown addresses lock like known ones.
(The same attacks through real server processes: ``test_lockout_over_http``.)"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from auth.lockout import (
    FIRST_DELAY_AT,
    LOCK_AT,
    claim_attempt,
    clear_lockout,
    guard_key,
    passed,
    purge_idle_guards,
)
from auth.login import login, verify_mfa
from billing.errors import DomainError, ErrorCode
from models.users import MfaChallenge, SignInGuard
from tests.support.factories.auth import (
    NOW,
    PASSWORD,
    SECRET_KEY,
    decrypt,
    enable_mfa,
    guard_state,
    lock_address,
    make_user,
)
from tests.support.factories.sign_in import evaluations_allowed_within, mfa_tickets

KEY = guard_key(SECRET_KEY, "ada@example.org")


async def _answer(email: str, password: str, *, minutes: float = 0) -> str:
    """The code login answers, or "SESSION"/"MFA_REQUIRED" when it lets the caller on."""
    try:
        result = await login(
            email, password, secret_key=SECRET_KEY, now=NOW + timedelta(minutes=minutes)
        )
    except DomainError as error:
        return error.code.value
    return "MFA_REQUIRED" if result.mfa_required else "SESSION"


async def test_parallel_wrong_passwords_are_checked_no_more_often_than_the_lock_allows(
    db: None,
) -> None:
    await make_user()
    guesses = [f"wrong guess number {n:02d} here" for n in range(30)]

    started = time.monotonic()
    answers = await asyncio.gather(*(_answer("ada@example.org", guess) for guess in guesses))
    elapsed = timedelta(seconds=time.monotonic() - started)

    # the first delay starts with the third reservation: three were checked (more only if
    # the burst outlasted a delay); every other one was refused unchecked
    checked = answers.count("INVALID_CREDENTIALS")
    assert FIRST_DELAY_AT <= checked <= evaluations_allowed_within(elapsed)
    assert answers.count("ACCOUNT_LOCKED") == len(guesses) - checked
    assert (await guard_state("ada@example.org"))[0] == checked


async def test_the_right_password_while_locked_is_answered_like_a_wrong_one(
    db: None,
) -> None:
    await make_user()
    await lock_address("ada@example.org", until=NOW + timedelta(minutes=10))

    with pytest.raises(DomainError) as right:
        await login("ada@example.org", PASSWORD, secret_key=SECRET_KEY, now=NOW)
    with pytest.raises(DomainError) as wrong:
        await login("ada@example.org", "a wrong guess entirely", secret_key=SECRET_KEY, now=NOW)

    assert (right.value.code, right.value.message, right.value.field) == (
        wrong.value.code,
        wrong.value.message,
        wrong.value.field,
    )
    assert right.value.code is ErrorCode.ACCOUNT_LOCKED
    # neither attempt was counted: nothing was checked
    assert await guard_state("ada@example.org") == (LOCK_AT, NOW + timedelta(minutes=10))


async def test_an_unknown_address_answers_the_same_sequence_as_a_known_one(db: None) -> None:
    await make_user()

    known = [await _answer("ada@example.org", "wrong password here!") for _ in range(7)]
    unknown = [await _answer("nobody@example.org", "wrong password here!") for _ in range(7)]

    assert known == unknown
    assert known == ["INVALID_CREDENTIALS"] * FIRST_DELAY_AT + ["ACCOUNT_LOCKED"] * 4
    assert await guard_state("ada@example.org") == await guard_state("nobody@example.org")


async def test_parallel_codes_on_many_tickets_are_checked_once_when_one_more_locks(
    db: None,
) -> None:
    # given an account one failure short of its lock, and forty tickets
    user = await make_user()
    device = await enable_mfa(user)
    await lock_address("ada@example.org", until=NOW, failures=LOCK_AT - 1)
    tickets = await mfa_tickets(user.id, 40, expires_at=NOW + timedelta(minutes=5))
    right = device.totp.at(NOW)
    wrong = [code for code in (f"{n:06d}" for n in range(40)) if code != right][:39]
    codes = [*wrong, right]

    async def answer(ticket: str, code: str) -> str:
        try:
            await verify_mfa(ticket, code, decrypt=decrypt, secret_key=SECRET_KEY, now=NOW)
        except DomainError as error:
            return error.code.value
        return "SESSION"

    answers = await asyncio.gather(*(answer(t, c) for t, c in zip(tickets, codes, strict=True)))

    # then exactly one code was checked (its reservation locked the account), and the
    # right code, unless it was that one, got the answer every unchecked guess got
    checked = [a for a in answers if a in ("INVALID_MFA_CODE", "SESSION")]
    assert len(checked) == 1
    assert answers.count("ACCOUNT_LOCKED") == len(codes) - 1
    assert answers[-1] in ("SESSION", "ACCOUNT_LOCKED")
    used = await MfaChallenge.filter(used_at__isnull=False).count()
    assert used == answers.count("SESSION")


async def test_a_right_password_awaiting_its_second_factor_gives_its_attempt_back(
    db: None,
) -> None:
    user = await make_user()
    await enable_mfa(user)
    for _ in range(FIRST_DELAY_AT - 1):
        assert await _answer("ada@example.org", "wrong password here!") == "INVALID_CREDENTIALS"

    # the third attempt reserved a delay, but the password was right
    assert await _answer("ada@example.org", PASSWORD) == "MFA_REQUIRED"

    # so the count and the lock are as they were: the code can be tried at once
    assert await guard_state("ada@example.org") == (FIRST_DELAY_AT - 1, None)


async def test_a_reservation_given_back_after_other_attempts_only_uncounts_itself(
    db: None,
) -> None:
    first = await claim_attempt(KEY, NOW)
    await claim_attempt(KEY, NOW)

    await passed(first)

    row = await SignInGuard.get(key_hash=KEY)
    assert (row.failures, row.locked_until) == (1, None)


async def test_staff_can_clear_a_lock(db: None) -> None:
    await make_user()
    await lock_address("ada@example.org", until=NOW + timedelta(minutes=30))

    assert await clear_lockout(KEY)

    assert await _answer("ada@example.org", PASSWORD) == "SESSION"
    assert not await clear_lockout(KEY)


async def test_idle_guards_are_purged_and_locked_ones_kept(db: None) -> None:
    await claim_attempt(guard_key(SECRET_KEY, "old@example.org"), NOW - timedelta(days=2))
    await lock_address("locked@example.org", until=NOW + timedelta(minutes=5))
    await claim_attempt(KEY, NOW)

    assert await purge_idle_guards(NOW - timedelta(days=1)) == 1

    assert await SignInGuard.all().count() == 2


async def test_the_guard_table_holds_no_addresses(db: None) -> None:
    await _answer("ada@example.org", "wrong password here!")

    rows = [str(row) for row in await SignInGuard.all().values_list("key_hash", flat=True)]
    assert rows == [KEY]
    assert all("ada" not in str(row) for row in rows)
