"""The attacks on the lockout, replayed as an attacker would: parallel requests to two real
``billing serve`` processes on one database (SQLite file or PostgreSQL, whichever the
suite runs on).

Before the fix, 60 parallel logins with one right password got 59 ``INVALID_CREDENTIALS``
(every guess checked) and the right one alone ``ACCOUNT_LOCKED``; 100 parallel codes on
100 tickets were all checked; and an unknown address never locked while a known one did.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from auth.lockout import FIRST_DELAY_AT, LOCK_AT
from config.settings import Settings
from models.audit import AuditEvent
from models.users import MfaChallenge
from tests.support.app_process import AppProcess, app_process
from tests.support.factories.accounts import PASSWORD, enable_mfa, make_user
from tests.support.factories.auth import guard_state, lock_address
from tests.support.factories.sign_in import evaluations_allowed_within, mfa_tickets
from tests.support.graphql_client import LOGIN, VERIFY_MFA

LOCKED = "ACCOUNT_LOCKED"


@pytest.fixture
async def servers(db: None, database_url: str, tmp_path: Path) -> Any:
    environment = {"DATABASE_URL": database_url, "BILLING_ENV": "development"}
    async with (
        app_process(environment, tmp_path / "one.log") as one,
        app_process(environment, tmp_path / "two.log") as two,
    ):
        yield one, two


async def _post(
    http: httpx.AsyncClient, server: AppProcess, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await http.post(
        f"{server.url}/graphql", json={"query": query, "variables": variables}
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


def _outcome(payload: dict[str, Any]) -> str:
    if payload["errors"]:
        [error] = payload["errors"]
        return str(error["code"])
    return "SIGNED_IN" if payload.get("session") else "MFA_REQUIRED"


async def _logins(
    servers: tuple[AppProcess, AppProcess], email: str, passwords: list[str]
) -> list[dict[str, Any]]:
    """``login`` with each password at once, alternately on the two servers."""
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=200)) as http:
        return await asyncio.gather(
            *(
                _post(http, servers[n % 2], LOGIN, {"email": email, "password": password})
                for n, password in enumerate(passwords)
            )
        )


async def _codes(
    servers: tuple[AppProcess, AppProcess], tickets: list[str], codes: list[str]
) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=200)) as http:
        return await asyncio.gather(
            *(
                _post(http, servers[n % 2], VERIFY_MFA, {"ticket": ticket, "code": code})
                for n, (ticket, code) in enumerate(zip(tickets, codes, strict=True))
            )
        )


def _wrong_passwords(count: int) -> list[str]:
    return [f"not the password, guess {n:03d}" for n in range(count)]


async def test_sixty_parallel_logins_on_two_servers_are_checked_no_more_than_allowed(
    servers: tuple[AppProcess, AppProcess], settings: Settings
) -> None:
    # given a patient account nobody has failed at
    await make_user("ada@example.org")

    # when 60 wrong passwords arrive at once, on two servers
    started = time.monotonic()
    answers = [_outcome(p) for p in await _logins(servers, "ada@example.org", _wrong_passwords(60))]
    elapsed = timedelta(seconds=time.monotonic() - started)

    # then only the attempts the lock allows were checked (three, as the burst is far
    # shorter than the first delay), and the rest were refused unchecked
    checked = answers.count("INVALID_CREDENTIALS")
    assert FIRST_DELAY_AT <= checked <= evaluations_allowed_within(elapsed)
    assert answers.count(LOCKED) == 60 - checked
    assert (await guard_state("ada@example.org", settings.secret_key.reveal()))[0] == checked
    rows = await AuditEvent.filter(action="auth.login").values_list("reference", flat=True)
    reasons = [str(reason) for reason in rows]
    assert sorted(set(reasons)) == ["locked", "password"]
    assert reasons.count("password") == checked

    # and now the right password gets exactly what a wrong one gets
    right, wrong = await _logins(servers, "ada@example.org", [PASSWORD, "one more wrong guess"])
    assert right == wrong
    assert _outcome(right) == LOCKED


async def test_the_right_password_among_sixty_gets_the_answer_of_the_unchecked_guesses(
    servers: tuple[AppProcess, AppProcess], settings: Settings
) -> None:
    # given an account one failure short of its 30-minute lock
    await make_user("ada@example.org")
    secret_key = settings.secret_key.reveal()
    await lock_address("ada@example.org", secret_key, until=datetime.now(UTC), failures=LOCK_AT - 1)
    passwords = _wrong_passwords(59)
    passwords.insert(random.randrange(60), PASSWORD)

    # when 60 logins arrive at once on two servers, one of them with the right password
    payloads = await _logins(servers, "ada@example.org", passwords)

    # then the right password is answered like an unchecked guess: one attempt was checked
    # (its reservation locked the account) and every other got one and the same answer
    _assert_one_checked_and_the_rest_alike(
        [_outcome(p) for p in payloads], payloads, passwords.index(PASSWORD), "INVALID_CREDENTIALS"
    )


def _assert_one_checked_and_the_rest_alike(
    answers: list[str], payloads: list[dict[str, Any]], right: int, wrong_answer: str
) -> None:
    """With one attempt left before the lock, only the first reservation is checked. If that
    was the right secret, it signed in (and its reset lets later attempts be checked, as
    after any sign-in); otherwise it was a wrong guess, and every other attempt, the right
    secret's included, got the same locked answer."""
    if answers[right] == "SIGNED_IN":
        assert set(answers) - {"SIGNED_IN"} <= {wrong_answer, LOCKED}
        assert answers.count("SIGNED_IN") == 1
        return
    checked = [n for n, answer in enumerate(answers) if answer != LOCKED]
    assert len(checked) == 1
    assert answers[checked[0]] == wrong_answer
    refused = [payload for n, payload in enumerate(payloads) if n != checked[0]]
    assert all(payload == refused[0] for payload in refused)
    assert payloads[right] == refused[0]


async def test_a_hundred_parallel_codes_on_a_hundred_tickets_are_checked_no_more_than_allowed(
    servers: tuple[AppProcess, AppProcess], settings: Settings
) -> None:
    # given a patient with MFA and 100 tickets (the password is known to the attacker)
    user = await make_user("ada@example.org")
    totp = await enable_mfa(user, settings)
    tickets = await mfa_tickets(user.id, 100, expires_at=datetime.now(UTC) + timedelta(minutes=5))
    current = {totp.now(), totp.at(time.time() + 30), totp.at(time.time() - 30)}
    wrong = [code for code in (f"{n:06d}" for n in range(120)) if code not in current][:100]

    # when 100 wrong codes arrive at once on two servers
    started = time.monotonic()
    answers = [_outcome(p) for p in await _codes(servers, tickets, wrong)]
    elapsed = timedelta(seconds=time.monotonic() - started)

    # then only what the lock allows was checked
    checked = answers.count("INVALID_MFA_CODE")
    assert FIRST_DELAY_AT <= checked <= evaluations_allowed_within(elapsed)
    assert answers.count(LOCKED) == 100 - checked
    assert await MfaChallenge.filter(used_at__isnull=False).count() == 0

    # and the right code now gets what a wrong one gets
    right, again = await _codes(servers, tickets[:2], [totp.now(), wrong[0]])
    assert right == again
    assert _outcome(right) == LOCKED


async def test_the_right_code_among_a_hundred_gets_the_answer_of_the_unchecked_guesses(
    servers: tuple[AppProcess, AppProcess], settings: Settings
) -> None:
    # given a patient with MFA one failure short of the lock, and 100 tickets
    user = await make_user("ada@example.org")
    totp = await enable_mfa(user, settings)
    await lock_address(
        "ada@example.org",
        settings.secret_key.reveal(),
        until=datetime.now(UTC),
        failures=LOCK_AT - 1,
    )
    tickets = await mfa_tickets(user.id, 100, expires_at=datetime.now(UTC) + timedelta(minutes=5))
    current = {totp.now(), totp.at(time.time() + 30), totp.at(time.time() - 30)}
    codes = [code for code in (f"{n:06d}" for n in range(120)) if code not in current][:99]
    right_at = random.randrange(100)
    codes.insert(right_at, totp.now())

    # when 99 wrong codes and the right one arrive at once on two servers
    payloads = await _codes(servers, tickets, codes)

    # then one was checked, and all the others, the right one too unless it was the one
    # checked, got the same answer
    answers = [_outcome(p) for p in payloads]
    _assert_one_checked_and_the_rest_alike(answers, payloads, right_at, "INVALID_MFA_CODE")
    signed_in = answers.count("SIGNED_IN")
    assert await MfaChallenge.filter(used_at__isnull=False).count() == signed_in


async def test_known_and_unknown_addresses_answer_the_same_on_two_servers(
    servers: tuple[AppProcess, AppProcess], settings: Settings
) -> None:
    secret_key = settings.secret_key.reveal()
    # given one real account
    await make_user("ada@example.org")

    # when the same wrong passwords are tried, one after the other, on the real address and
    # on one no account has
    known, unknown = [], []
    for password in _wrong_passwords(8):
        known.append(_outcome((await _logins(servers, "ada@example.org", [password]))[0]))
        unknown.append(_outcome((await _logins(servers, "nobody@example.org", [password]))[0]))

    # then both answer the same sequence, and both end locked
    assert known == unknown
    assert known[0] == "INVALID_CREDENTIALS"
    assert known[-1] == LOCKED

    # and 30 parallel wrong passwords at each of two addresses one failure short of the
    # lock, one real, one not, are answered alike: one checked, 29 refused
    await make_user("grace@example.org")
    for email in ("grace@example.org", "nobody.else@example.org"):
        await lock_address(email, secret_key, until=datetime.now(UTC), failures=LOCK_AT - 1)
    real, made_up = await asyncio.gather(
        _logins(servers, "grace@example.org", _wrong_passwords(30)),
        _logins(servers, "nobody.else@example.org", _wrong_passwords(30)),
    )
    assert sorted(map(_outcome, real)) == sorted(map(_outcome, made_up))
    assert sorted(map(_outcome, real)) == [LOCKED] * 29 + ["INVALID_CREDENTIALS"]
    real_guard = await guard_state("grace@example.org", secret_key)
    made_up_guard = await guard_state("nobody.else@example.org", secret_key)
    assert real_guard[0] == made_up_guard[0] == LOCK_AT
