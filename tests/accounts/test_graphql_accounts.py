"""Signing in over GraphQL: passwords, the second factor, sessions and their records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyotp

from config.settings import Settings
from models.enums import Role
from models.users import MfaChallenge
from tests.support.factories.accounts import (
    PASSWORD,
    audit_rows,
    audit_values,
    enable_mfa,
    error_codes,
    make_user,
    next_code,
)
from tests.support.factories.auth import guard_state, lock_address
from tests.support.graphql_client import LOGIN, VERIFY_MFA, gql, sign_in

REFRESH_SESSION = """
mutation RefreshSession($refreshToken: String!) {
  refreshSession(refreshToken: $refreshToken) {
    session { accessToken refreshToken expiresAt }
    errors { code field message }
  }
}
"""

LOGOUT = """
mutation Logout {
  logout { ok errors { code field message } }
}
"""

START_TOTP_ENROLLMENT = """
mutation StartTotpEnrollment {
  startTotpEnrollment {
    secret
    provisioningUri
    qrCodeSvg
    errors { code field message }
  }
}
"""

CONFIRM_TOTP_ENROLLMENT = """
mutation ConfirmTotpEnrollment($code: String!) {
  confirmTotpEnrollment(code: $code) {
    recoveryCodes
    errors { code field message }
  }
}
"""

ME = """
query Me {
  me {
    id
    email
    roles
    mfaEnabled
    patient { id displayName creditBalance { amount currency } }
  }
}
"""

LOCATIONS = "query Locations { locations { id name timezone } }"


async def _login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    body = await gql(client, LOGIN, {"email": email, "password": password})
    payload: dict[str, Any] = body["data"]["login"]
    return payload


async def test_staff_enroll_mfa_in_an_enrollment_only_session_then_sign_in_with_codes(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given billing staff who have not enrolled MFA
    await make_user("clerk@example.org", Role.BILLING_STAFF)

    # when they sign in, they get a session that can only enroll
    first = await _login(client, "clerk@example.org")
    assert first["errors"] == []
    assert first["mfaRequired"] is False
    token = first["session"]["accessToken"]
    denied = await gql(client, LOCATIONS, token=token)
    assert error_codes(denied) == ["MFA_ENROLLMENT_REQUIRED"]
    assert "startTotpEnrollment" in denied["errors"][0]["message"]
    me = await gql(client, ME, token=token)
    assert me["data"]["me"]["mfaEnabled"] is False

    # and they enroll an authenticator with a real code
    started = (await gql(client, START_TOTP_ENROLLMENT, token=token))["data"]["startTotpEnrollment"]
    assert started["errors"] == []
    assert started["provisioningUri"].startswith("otpauth://totp/")
    assert started["qrCodeSvg"].lstrip().startswith("<svg")
    totp = pyotp.TOTP(started["secret"])
    confirmed = await gql(client, CONFIRM_TOTP_ENROLLMENT, {"code": totp.now()}, token=token)
    recovery_codes = confirmed["data"]["confirmTotpEnrollment"]["recoveryCodes"]
    assert confirmed["data"]["confirmTotpEnrollment"]["errors"] == []
    assert len(recovery_codes) == 10
    assert len(set(recovery_codes)) == 10

    # then the enrolling session has full scope, and signing in again asks for a code
    assert (await gql(client, LOCATIONS, token=token))["data"] == {"locations": []}
    second = await _login(client, "clerk@example.org")
    assert second["mfaRequired"] is True
    assert second["session"] is None
    verified = await gql(
        client, VERIFY_MFA, {"ticket": second["mfaTicket"], "code": next_code(totp)}
    )
    session = verified["data"]["verifyMfa"]["session"]
    assert verified["data"]["verifyMfa"]["errors"] == []
    assert (await gql(client, LOCATIONS, token=session["accessToken"]))["data"] == {"locations": []}

    # and a recovery code opens a session too, once
    third = await _login(client, "clerk@example.org")
    by_recovery = await gql(
        client, VERIFY_MFA, {"ticket": third["mfaTicket"], "code": recovery_codes[0]}
    )
    assert by_recovery["data"]["verifyMfa"]["session"] is not None
    fourth = await _login(client, "clerk@example.org")
    reused = await gql(
        client, VERIFY_MFA, {"ticket": fourth["mfaTicket"], "code": recovery_codes[0]}
    )
    assert [e["code"] for e in reused["data"]["verifyMfa"]["errors"]] == ["INVALID_MFA_CODE"]

    # and each step is on record
    actions = [(row.action, row.outcome, row.reference) for row in await audit_rows()]
    assert ("mfa.enroll", "SUCCESS", "first") in actions
    assert ("auth.mfa", "SUCCESS", "totp") in actions
    assert ("auth.mfa", "SUCCESS", "recovery_code") in actions
    assert ("auth.mfa", "FAILURE", "recovery_code") in actions
    assert ("access.denied", "DENIED", "") in actions


async def test_a_totp_code_signs_in_once(client: httpx.AsyncClient, settings: Settings) -> None:
    # given a patient with MFA
    user = await make_user("ada@example.org")
    totp = await enable_mfa(user, settings)
    code = totp.now()

    # when the same code is used in two sign-ins
    first = await _login(client, "ada@example.org")
    accepted = await gql(client, VERIFY_MFA, {"ticket": first["mfaTicket"], "code": code})
    second = await _login(client, "ada@example.org")
    replayed = await gql(client, VERIFY_MFA, {"ticket": second["mfaTicket"], "code": code})

    # then only the first opens a session
    assert accepted["data"]["verifyMfa"]["session"] is not None
    assert replayed["data"]["verifyMfa"]["session"] is None
    assert [e["code"] for e in replayed["data"]["verifyMfa"]["errors"]] == ["INVALID_MFA_CODE"]


async def test_fifty_aliased_code_guesses_are_refused_before_any_is_tried(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a ticket for a patient with MFA
    user = await make_user("ada@example.org")
    totp = await enable_mfa(user, settings)
    ticket = (await _login(client, "ada@example.org"))["mfaTicket"]

    # when one document guesses 50 codes under aliases
    guesses = "\n".join(
        f'g{n}: verifyMfa(ticket: $ticket, code: "{n:06d}") {{ errors {{ code }} }}'
        for n in range(50)
    )
    body = await gql(
        client, f"mutation Guess($ticket: String!) {{ {guesses} }}", {"ticket": ticket}
    )

    # then validation refuses it and no attempt was counted
    assert body.get("data") is None
    assert any("aliases" in error["message"] for error in body["errors"])
    assert (await guard_state("ada@example.org", settings.secret_key.reveal()))[0] == 0
    assert await MfaChallenge.filter(used_at__isnull=False).count() == 0
    # and the ticket still works with a real code
    verified = await gql(client, VERIFY_MFA, {"ticket": ticket, "code": totp.now()})
    assert verified["data"]["verifyMfa"]["session"] is not None


async def test_an_unknown_email_and_a_wrong_password_fail_alike_and_are_on_record(
    client: httpx.AsyncClient,
) -> None:
    # given a patient account
    user = await make_user("ada@example.org")

    # when someone signs in with an unknown email, a wrong password, then the right one
    unknown = await _login(client, "nobody@example.org")
    wrong = await _login(client, "ada@example.org", "not the password at all")
    right = await _login(client, "ada@example.org")

    # then both failures look the same
    assert unknown["errors"] == wrong["errors"]
    assert [e["code"] for e in wrong["errors"]] == ["INVALID_CREDENTIALS"]
    assert unknown["session"] is None
    assert wrong["session"] is None
    assert right["session"]["expiresAt"]

    # and all three attempts are on record, with ids only
    rows = await audit_rows("auth.login")
    assert [(row.outcome, row.actor_id, row.resource_id, row.reference) for row in rows] == [
        ("FAILURE", None, "", "unknown_email"),
        ("FAILURE", None, str(user.id), "password"),
        ("SUCCESS", user.id, str(user.id), "full"),
    ]
    assert rows[2].actor_role == "patient"
    assert all(row.ip_address == "203.0.113.7" for row in rows)
    for row in await audit_rows():
        for value in audit_values(row):
            assert "example.org" not in str(value)
            assert "nobody" not in str(value)
            assert "ada@" not in str(value)


async def test_a_refresh_rotates_and_reusing_an_old_refresh_token_ends_the_family(
    client: httpx.AsyncClient,
) -> None:
    # given a signed-in patient
    await make_user("ada@example.org")
    first = (await _login(client, "ada@example.org"))["session"]

    # when the refresh token is exchanged
    rotated = await gql(client, REFRESH_SESSION, {"refreshToken": first["refreshToken"]})
    second = rotated["data"]["refreshSession"]["session"]

    # then the new tokens work and the old access token does not
    assert second["refreshToken"] != first["refreshToken"]
    assert (await gql(client, ME, token=second["accessToken"]))["data"]["me"] is not None
    assert error_codes(await gql(client, ME, token=first["accessToken"])) == ["UNAUTHENTICATED"]

    # when the old refresh token is used again
    reused = await gql(client, REFRESH_SESSION, {"refreshToken": first["refreshToken"]})

    # then it fails and the whole family ends, new tokens included
    assert [e["code"] for e in reused["data"]["refreshSession"]["errors"]] == ["INVALID_TOKEN"]
    assert error_codes(await gql(client, ME, token=second["accessToken"])) == ["UNAUTHENTICATED"]
    after = await gql(client, REFRESH_SESSION, {"refreshToken": second["refreshToken"]})
    assert after["data"]["refreshSession"]["session"] is None
    outcomes = [row.outcome for row in await audit_rows("auth.refresh")]
    assert outcomes == ["SUCCESS", "FAILURE", "FAILURE"]


async def test_logout_ends_the_session_on_the_server(client: httpx.AsyncClient) -> None:
    # given a signed-in patient
    user = await make_user("ada@example.org")
    token = await sign_in(client, "ada@example.org", PASSWORD)

    # when they sign out
    body = await gql(client, LOGOUT, token=token)

    # then the token stops working, and the sign-out is on record
    assert body["data"]["logout"] == {"ok": True, "errors": []}
    assert error_codes(await gql(client, ME, token=token)) == ["UNAUTHENTICATED"]
    [row] = await audit_rows("auth.logout")
    assert (row.actor_id, row.resource_id, row.outcome) == (user.id, str(user.id), "SUCCESS")


async def test_me_without_a_session_is_unauthenticated_and_on_record(
    client: httpx.AsyncClient,
) -> None:
    body = await gql(client, ME)

    assert body["data"] == {"me": None}
    assert error_codes(body) == ["UNAUTHENTICATED"]
    [row] = await audit_rows("access.denied")
    assert (row.outcome, row.resource_type, row.actor_id) == ("DENIED", "me", None)


async def test_a_locked_account_is_refused_unchecked_and_on_record(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given an account locked by earlier failures
    user = await make_user("ada@example.org")
    locked_until = datetime.now(UTC) + timedelta(minutes=30)
    await lock_address("ada@example.org", settings.secret_key.reveal(), until=locked_until)

    # when the right password is tried
    payload = await _login(client, "ada@example.org")

    # then the account refuses it, and the refusal is on record
    assert [e["code"] for e in payload["errors"]] == ["ACCOUNT_LOCKED"]
    assert payload["session"] is None
    [row] = await audit_rows("auth.login")
    assert (row.outcome, row.resource_id, row.reference) == ("FAILURE", str(user.id), "locked")
