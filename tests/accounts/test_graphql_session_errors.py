"""What a client is told when its session cannot be used: an expired access token answers
SESSION_EXPIRED (refresh and go on), a retired or unknown one UNAUTHENTICATED (sign in), and
staff who have not enrolled TOTP MFA_ENROLLMENT_REQUIRED with what to call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from auth.sessions import SessionScope, create_session
from models.enums import Role
from models.users import AuthSession
from tests.support.factories.accounts import error_codes, make_user
from tests.support.factories.invoices import global_id
from tests.support.graphql_client import contract_operation, gql

ME = "query Me { me { id email } }"
NODE = "query Node($id: ID!) { node(id: $id) { id } }"
REFRESH = contract_operation("RefreshSession")
AUDIT_TRAIL = "query { auditTrail(first: 1) { edges { cursor } } }"
LOCATIONS = contract_operation("Locations")


async def _session_whose_access_token_expired() -> tuple[str, str]:
    user = await make_user("ada@example.org", Role.PATIENT)
    issued = await create_session(user.id, scope=SessionScope.FULL, now=datetime.now(UTC))
    await AuthSession.filter(id=issued.session_id).update(
        access_expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    return issued.access_token, issued.refresh_token


async def test_an_expired_access_token_says_so_and_a_refresh_carries_on(
    client: httpx.AsyncClient,
) -> None:
    access_token, refresh_token = await _session_whose_access_token_expired()

    expired = await gql(client, ME, token=access_token)
    assert error_codes(expired) == ["SESSION_EXPIRED"]
    assert "refreshSession" in expired["errors"][0]["message"]
    on_node = await gql(client, NODE, {"id": global_id("Invoice", 1)}, token=access_token)
    assert error_codes(on_node) == ["SESSION_EXPIRED"]

    refreshed = await gql(client, REFRESH, {"refreshToken": refresh_token})
    session = refreshed["data"]["refreshSession"]["session"]
    assert refreshed["data"]["refreshSession"]["errors"] == []
    assert (await gql(client, ME, token=session["accessToken"]))["data"]["me"] is not None

    # the old access token is retired by the refresh: it no longer reads as merely expired
    retired = await gql(client, ME, token=access_token)
    assert error_codes(retired) == ["UNAUTHENTICATED"]


async def test_an_idle_session_says_expired_and_its_refresh_asks_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user("ada@example.org", Role.PATIENT)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    issued = await create_session(user.id, scope=SessionScope.FULL, now=long_ago)

    expired = await gql(client, ME, token=issued.access_token)
    refreshed = await gql(client, REFRESH, {"refreshToken": issued.refresh_token})

    assert error_codes(expired) == ["SESSION_EXPIRED"]
    assert [e["code"] for e in refreshed["data"]["refreshSession"]["errors"]] == ["INVALID_TOKEN"]


async def test_unknown_revoked_and_missing_tokens_are_unauthenticated(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user("ada@example.org", Role.PATIENT)
    issued = await create_session(user.id, scope=SessionScope.FULL, now=datetime.now(UTC))
    await AuthSession.filter(id=issued.session_id).update(revoked_at=datetime.now(UTC))

    for token in ("at_not-a-token-of-ours", issued.access_token, None):
        assert error_codes(await gql(client, ME, token=token)) == ["UNAUTHENTICATED"], token


async def test_staff_without_totp_are_told_to_enroll_and_what_to_call(
    client: httpx.AsyncClient,
) -> None:
    clerk = await make_user("clerk@example.org", Role.BILLING_STAFF)
    issued = await create_session(
        clerk.id, scope=SessionScope.MFA_ENROLLMENT, now=datetime.now(UTC)
    )

    allowed_after_enrollment = await gql(client, LOCATIONS, token=issued.access_token)
    never_allowed = await gql(client, AUDIT_TRAIL, token=issued.access_token)

    assert error_codes(allowed_after_enrollment) == ["MFA_ENROLLMENT_REQUIRED"]
    message = allowed_after_enrollment["errors"][0]["message"]
    assert "startTotpEnrollment" in message
    assert "confirmTotpEnrollment" in message
    # enrolling would not give billing staff the access log: that stays a plain refusal
    assert error_codes(never_allowed) == ["FORBIDDEN"]
