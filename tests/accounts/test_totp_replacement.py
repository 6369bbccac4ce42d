"""Replacing an enrolled authenticator takes the password and a current code, as the
contract's StartTotpReplacement sends them; a session alone no longer can.

Before the fix, an access token alone was enough: ``startTotpEnrollment`` then
``confirmTotpEnrollment`` put the attacker's authenticator in place of the victim's."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp

from auth.sessions import SessionScope, create_session
from config.settings import Settings
from models.users import User
from tests.support.factories.accounts import (
    PASSWORD,
    audit_rows,
    deliver_account_emails,
    enable_mfa,
    error_codes,
    make_user,
    next_code,
)
from tests.support.factories.auth import guard_state
from tests.support.graphql_client import (
    ACCOUNT_SECURITY_CONTRACT,
    LOGIN,
    VERIFY_MFA,
    contract_operation,
    gql,
)

START_REPLACEMENT = contract_operation("StartTotpReplacement", ACCOUNT_SECURITY_CONTRACT)
START_ENROLLMENT = contract_operation("StartTotpEnrollment")
CONFIRM = contract_operation("ConfirmTotpEnrollment")
ME = "query Me { me { id } }"


async def _token(user: User) -> str:
    session = await create_session(user.id, scope=SessionScope.FULL, now=datetime.now(UTC))
    return session.access_token


def _payload(body: dict[str, Any], field: str) -> dict[str, Any]:
    payload: dict[str, Any] = body["data"][field]
    return payload


async def _replace(
    client: httpx.AsyncClient, token: str, password: str, code: str
) -> dict[str, Any]:
    body = await gql(
        client,
        START_REPLACEMENT,
        {"currentPassword": password, "currentCode": code},
        token=token,
    )
    return _payload(body, "startTotpEnrollment")


async def test_a_session_alone_cannot_replace_an_authenticator(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a patient with an authenticator, and an attacker holding only their session
    user = await make_user("ada@example.org")
    totp = await enable_mfa(user, settings)
    stolen = await _token(user)

    # when the attacker starts an enrollment without the password and a code
    started = _payload(await gql(client, START_ENROLLMENT, token=stolen), "startTotpEnrollment")
    confirmed = await gql(client, CONFIRM, {"code": "123456"}, token=stolen)

    # then nothing is started, nothing can be confirmed, and the owner's authenticator stands
    assert started["secret"] is None
    assert [e["code"] for e in started["errors"]] == ["MFA_REQUIRED"]
    stored = await User.get(id=user.id)
    assert stored.mfa_pending_secret_ct is None
    assert stored.mfa_secret_ct == user.mfa_secret_ct
    assert [e["code"] for e in confirmed["data"]["confirmTotpEnrollment"]["errors"]] == [
        "INVALID_MFA_CODE"
    ]
    ticket = (await gql(client, LOGIN, {"email": "ada@example.org", "password": PASSWORD}))["data"][
        "login"
    ]["mfaTicket"]
    owner = await gql(client, VERIFY_MFA, {"ticket": ticket, "code": next_code(totp)})
    assert owner["data"]["verifyMfa"]["session"] is not None


async def test_the_password_and_a_current_code_replace_it_end_other_sessions_and_tell_the_owner(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a patient with an authenticator, signed in on two devices
    user = await make_user("ada@example.org")
    old = await enable_mfa(user, settings)
    current, other = await _token(user), await _token(user)

    # when they prove both factors and confirm the new authenticator
    started = await _replace(client, current, PASSWORD, next_code(old))
    assert started["errors"] == []
    new = pyotp.TOTP(started["secret"])
    confirmed = await gql(client, CONFIRM, {"code": new.now()}, token=current)

    # then the new one is in force, the other device is signed out, this one is not
    assert len(confirmed["data"]["confirmTotpEnrollment"]["recoveryCodes"]) == 10
    assert error_codes(await gql(client, ME, token=other)) == ["UNAUTHENTICATED"]
    assert (await gql(client, ME, token=current))["data"]["me"] is not None
    ticket = (await gql(client, LOGIN, {"email": "ada@example.org", "password": PASSWORD}))["data"][
        "login"
    ]["mfaTicket"]
    stale = await gql(
        client, VERIFY_MFA, {"ticket": ticket, "code": old.at(time.time() + 2 * old.interval)}
    )
    assert [e["code"] for e in stale["data"]["verifyMfa"]["errors"]] == ["INVALID_MFA_CODE"]
    # and the change is on record as a replacement, and the owner is told by email
    starts = await audit_rows("mfa.enroll.start")
    assert [(r.outcome, r.reference) for r in starts] == [("SUCCESS", "replacement")]
    [done] = await audit_rows("mfa.enroll")
    assert (done.outcome, done.reference, done.actor_id) == ("SUCCESS", "replacement", user.id)
    [(recipient, message)] = await deliver_account_emails(settings)
    assert recipient == "ada@example.org"
    assert message.subject == "Your two-step sign-in was changed"


async def test_a_recovery_code_proves_the_second_factor_too(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a patient who lost their phone but kept the recovery codes
    user = await make_user("ada@example.org")
    recovery_codes = await _recovery_codes(client, settings, user)

    started = await _replace(client, await _token(user), PASSWORD, recovery_codes[0])

    assert started["errors"] == []
    assert started["secret"]


async def test_wrong_proof_is_refused_and_counts_towards_the_lock(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user("ada@example.org")
    totp = await enable_mfa(user, settings)
    token = await _token(user)
    unused = "000000" if next_code(totp) != "000000" else "111111"

    wrong_password = await _replace(client, token, "not the password at all", next_code(totp))
    wrong_code = await _replace(client, token, PASSWORD, unused)

    assert [(e["code"], e["field"]) for e in wrong_password["errors"]] == [
        ("INVALID_CREDENTIALS", "currentPassword")
    ]
    assert [(e["code"], e["field"]) for e in wrong_code["errors"]] == [
        ("INVALID_MFA_CODE", "currentCode")
    ]
    assert (await guard_state("ada@example.org", settings.secret_key.reveal()))[0] == 2
    assert (await User.get(id=user.id)).mfa_pending_secret_ct is None


async def test_a_first_enrollment_needs_neither_and_the_owner_is_told(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user("ada@example.org")
    token = await _token(user)

    started = _payload(await gql(client, START_ENROLLMENT, token=token), "startTotpEnrollment")
    code = pyotp.TOTP(started["secret"]).now()
    confirmed = await gql(client, CONFIRM, {"code": code}, token=token)

    assert confirmed["data"]["confirmTotpEnrollment"]["errors"] == []
    [(_, message)] = await deliver_account_emails(settings)
    assert message.subject == "Your two-step sign-in was changed"


async def _recovery_codes(client: httpx.AsyncClient, settings: Settings, user: User) -> list[str]:
    """Enroll through the API, to get the recovery codes it shows."""
    token = await _token(user)
    started = _payload(await gql(client, START_ENROLLMENT, token=token), "startTotpEnrollment")
    confirmed = await gql(
        client, CONFIRM, {"code": pyotp.TOTP(started["secret"]).now()}, token=token
    )
    codes: list[str] = confirmed["data"]["confirmTotpEnrollment"]["recoveryCodes"]
    return codes
