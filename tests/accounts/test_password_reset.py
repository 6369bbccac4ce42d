"""Resetting a forgotten password, as the contract's RequestPasswordReset and ResetPassword
send it: the same answer for every address, an email (through the outbox and
``billing send-reminders``) whose link carries only an opaque single-use token of 30
minutes, a current code for accounts with MFA, every session ended, rate limits per
address and per client."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from auth.password_reset import RESET_EMAILS_PER_ADDRESS, RESET_REQUESTS_PER_CLIENT
from auth.sessions import SessionScope, create_session
from config.settings import Settings
from models.audit import AuditEvent
from models.notifications import Notification, NotificationStatus
from models.users import PasswordReset, User
from tests.support.factories.accounts import (
    PASSWORD,
    audit_rows,
    audit_values,
    deliver_account_emails,
    enable_mfa,
    error_codes,
    make_user,
    next_code,
    reset_token_in,
)
from tests.support.factories.auth import lock_address
from tests.support.graphql_client import ACCOUNT_SECURITY_CONTRACT, LOGIN, contract_operation, gql
from tests.support.mail_server import serving_mail
from tests.support.paths import REPOSITORY

REQUEST_RESET = contract_operation("RequestPasswordReset", ACCOUNT_SECURITY_CONTRACT)
RESET = contract_operation("ResetPassword", ACCOUNT_SECURITY_CONTRACT)
NEW_PASSWORD = "marble otter sings at dawn"
ME = "query Me { me { id } }"


async def _request(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    return await gql(client, REQUEST_RESET, {"email": email})


async def _reset(
    client: httpx.AsyncClient, token: str, mfa_code: str | None = None
) -> dict[str, Any]:
    variables = {"token": token, "newPassword": NEW_PASSWORD, "mfaCode": mfa_code}
    payload: dict[str, Any] = (await gql(client, RESET, variables))["data"]["resetPassword"]
    return payload


async def _emailed_token(client: httpx.AsyncClient, settings: Settings, email: str) -> str:
    await _request(client, email)
    [(recipient, message)] = await deliver_account_emails(settings)
    assert recipient == email
    return reset_token_in(message)


async def test_every_address_gets_the_same_answer_and_only_an_account_an_email(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given one account
    user = await make_user("ada@example.org")

    # when a reset is asked for its address and for one no account has
    known = await _request(client, "Ada@Example.org")
    unknown = await _request(client, "nobody@example.org")

    # then the answers are the same, byte for byte
    assert known == unknown == {"data": {"requestPasswordReset": {"ok": True, "errors": []}}}
    # and one email goes out, to the account, with a link holding an opaque token
    [(recipient, message)] = await deliver_account_emails(settings)
    assert recipient == "ada@example.org"
    assert message.subject == "Reset your password"
    assert "half an hour" in message.body
    token = reset_token_in(message)
    assert f"{settings.public_base_url}/app/reset-password#token={token}" in message.body
    # and only the token's hash is stored: not in the reset, not in the outbox
    reset = await PasswordReset.get(user_id=user.id)
    assert reset.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert reset.expires_at - reset.created_at <= timedelta(minutes=30, seconds=1)
    stored = [*(await PasswordReset.all().values()), *(await Notification.all().values())]
    assert token not in str(stored)
    # and both requests are on record without the addresses
    rows = await audit_rows("account.password_reset_request")
    assert [(r.resource_id, r.reference) for r in rows] == [
        (str(user.id), "email_queued"),
        ("", "no_email"),
    ]
    for row in await AuditEvent.all():
        assert "example.org" not in str(audit_values(row))


async def test_the_link_sets_a_new_password_once_and_ends_every_session(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a patient signed in on two devices, locked out by failed sign-ins
    user = await make_user("ada@example.org")
    now = datetime.now(UTC)
    sessions = [await create_session(user.id, scope=SessionScope.FULL, now=now) for _ in "ab"]
    await lock_address(
        "ada@example.org", settings.secret_key.reveal(), until=now + timedelta(minutes=30)
    )
    token = await _emailed_token(client, settings, "ada@example.org")

    # when they follow the link and choose a new password
    payload = await _reset(client, token)

    # then it is set, both sessions end, the lock is lifted, and the new password signs in
    assert payload == {"ok": True, "errors": []}
    for session in sessions:
        assert error_codes(await gql(client, ME, token=session.access_token)) == ["UNAUTHENTICATED"]
    signed_in = await gql(client, LOGIN, {"email": "ada@example.org", "password": NEW_PASSWORD})
    assert signed_in["data"]["login"]["session"] is not None
    # and the link works once
    again = await _reset(client, token)
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("INVALID_TOKEN", "token")]
    # and the owner is told the password changed
    subjects = [message.subject for _, message in await deliver_account_emails(settings)]
    assert subjects == ["Your password was changed"], subjects
    rows = await audit_rows("account.password_reset")
    assert [(r.outcome, r.resource_id, r.reference) for r in rows] == [
        ("SUCCESS", str(user.id), ""),
        ("FAILURE", "", "INVALID_TOKEN"),
    ]


async def test_a_link_stops_working_after_thirty_minutes_or_when_a_newer_one_is_sent(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user("ada@example.org")
    older = await _emailed_token(client, settings, "ada@example.org")
    newer = await _emailed_token(client, settings, "ada@example.org")

    retired = await _reset(client, older)
    await PasswordReset.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    expired = await _reset(client, newer)
    made_up = await _reset(client, "pr_" + "A" * 43)

    for payload in (retired, expired, made_up):
        assert [e["code"] for e in payload["errors"]] == ["INVALID_TOKEN"]
    assert (await User.get(id=user.id)).password_hash == user.password_hash
    login = await gql(client, LOGIN, {"email": "ada@example.org", "password": PASSWORD})
    assert login["data"]["login"]["session"] is not None


async def test_an_email_queued_after_its_link_expired_is_not_sent(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user("ada@example.org")
    await _request(client, "ada@example.org")
    await PasswordReset.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))

    assert await deliver_account_emails(settings) == []
    [row] = await Notification.all()
    assert (row.status, row.outcome_code) == (NotificationStatus.SKIPPED, "link_expired")


async def test_an_account_with_mfa_also_gives_a_current_code(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a patient with an authenticator
    user = await make_user("ada@example.org")
    totp = await enable_mfa(user, settings)
    token = await _emailed_token(client, settings, "ada@example.org")

    # when the link is used without a code, then with a wrong one
    without = await _reset(client, token)
    wrong = await _reset(client, token, "000000" if next_code(totp) != "000000" else "111111")

    # then both are refused and the link still works with a current code
    assert [(e["code"], e["field"]) for e in without["errors"]] == [("MFA_REQUIRED", "mfaCode")]
    assert [(e["code"], e["field"]) for e in wrong["errors"]] == [("INVALID_MFA_CODE", "mfaCode")]
    right = await _reset(client, token, next_code(totp))
    assert right == {"ok": True, "errors": []}
    assert (await User.get(id=user.id)).mfa_enabled


async def test_asking_is_limited_per_address_and_per_client_with_the_same_answer(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given an account
    await make_user("ada@example.org")
    per_address = RESET_EMAILS_PER_ADDRESS.max_attempts

    # when one client asks for it more often than its address allows, each email sent
    # before the next request
    answers, sent = [], []
    for _ in range(per_address + 1):
        answers.append(await _request(client, "ada@example.org"))
        sent += await deliver_account_emails(settings)

    # then every answer is the same, and only as many emails go out as the limit allows
    assert all(a == answers[0] for a in answers)
    assert len(sent) == per_address
    # and past the client's own limit (any addresses) it is told to wait
    left = RESET_REQUESTS_PER_CLIENT.max_attempts - len(answers)
    for n in range(left):
        assert (await _request(client, f"someone{n}@example.org"))["data"]["requestPasswordReset"][
            "ok"
        ]
    limited = await _request(client, "someone.else@example.org")
    payload = limited["data"]["requestPasswordReset"]
    assert [e["code"] for e in payload["errors"]] == ["RATE_LIMITED"]


@pytest.mark.parametrize("email", ["", "not an address", "a@b"])
async def test_what_is_no_address_is_a_clear_error(client: httpx.AsyncClient, email: str) -> None:
    payload = (await _request(client, email))["data"]["requestPasswordReset"]

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", "email")]
    assert await PasswordReset.all().count() == 0


async def test_send_reminders_mails_the_link_over_smtp_and_the_link_works(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    # given a reset asked for a staff account (no patient record behind it)
    await make_user("clerk@example.org")
    await _request(client, "clerk@example.org")

    # when the scheduled `billing send-reminders` runs with a mail server configured
    async with serving_mail() as (mail, port):
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "SMTP_"))},
            "DATABASE_URL": database_url,
            "SMTP_URL": f"smtp://127.0.0.1:{port}",
            "NOTIFICATION_EMAIL_FROM": "billing@clinic.example.org",
        }
        command = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "api.cli",
            "send-reminders",
            env=environment,
            cwd=REPOSITORY,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await command.communicate()

    # then the email went out once, and its link resets the password
    assert command.returncode == 0, err.decode()
    assert "1 sent" in out.decode()
    [(recipients, email)] = mail.received
    assert recipients == ["clerk@example.org"]
    assert email["Subject"] == "Reset your password"
    body = email.get_payload(decode=True).decode()  # type: ignore[union-attr]
    token = body.split("#token=")[1].split()[0]
    assert (await _reset(client, token)) == {"ok": True, "errors": []}
