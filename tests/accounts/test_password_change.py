"""changePassword, as the contract's ChangePassword sends it: the current password first,
the same rules as activation for the new one, every other session ended, on record, and
the owner told by email (with nothing of their health or bills in it)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from auth.lockout import FIRST_DELAY_AT
from auth.sessions import SessionScope, create_session
from config.settings import Settings
from models.notifications import Notification, NotificationKind
from models.users import User
from tests.support.factories.accounts import (
    PASSWORD,
    audit_rows,
    deliver_account_emails,
    error_codes,
    make_user,
)
from tests.support.factories.auth import guard_state
from tests.support.graphql_client import ACCOUNT_SECURITY_CONTRACT, LOGIN, contract_operation, gql

CHANGE_PASSWORD = contract_operation("ChangePassword", ACCOUNT_SECURITY_CONTRACT)
NEW_PASSWORD = "marble otter sings at dawn"
ME = "query Me { me { id } }"


async def _sessions(user: User, count: int) -> list[str]:
    now = datetime.now(UTC)
    return [
        (await create_session(user.id, scope=SessionScope.FULL, now=now)).access_token
        for _ in range(count)
    ]


async def _change(
    client: httpx.AsyncClient, token: str, current: str, new: str = NEW_PASSWORD
) -> dict[str, object]:
    variables = {"currentPassword": current, "newPassword": new}
    body = await gql(client, CHANGE_PASSWORD, variables, token=token)
    payload: dict[str, object] = body["data"]["changePassword"]
    return payload


async def test_a_new_password_ends_every_other_session_and_the_owner_is_told(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a patient signed in on two devices
    user = await make_user("ada@example.org")
    current, other = await _sessions(user, 2)

    # when they change their password on one
    payload = await _change(client, current, PASSWORD)

    # then it worked, the other device is signed out, this one is not
    assert payload == {"ok": True, "errors": []}
    assert error_codes(await gql(client, ME, token=other)) == ["UNAUTHENTICATED"]
    assert (await gql(client, ME, token=current))["data"]["me"] is not None
    # and only the new password signs in
    old = await gql(client, LOGIN, {"email": "ada@example.org", "password": PASSWORD})
    new = await gql(client, LOGIN, {"email": "ada@example.org", "password": NEW_PASSWORD})
    assert [e["code"] for e in old["data"]["login"]["errors"]] == ["INVALID_CREDENTIALS"]
    assert new["data"]["login"]["session"] is not None
    # and it is on record, with the account as the resource and the owner as the actor
    [row] = await audit_rows("account.password_change")
    assert (row.outcome, row.actor_id, row.resource_id) == ("SUCCESS", user.id, str(user.id))
    # and the owner gets an email saying so, at the sign-in address, with a link and no more
    [(recipient, message)] = await deliver_account_emails(settings)
    assert recipient == "ada@example.org"
    assert message.subject == "Your password was changed"
    assert "ada" not in message.body.lower()


async def test_a_wrong_current_password_changes_nothing_and_counts_towards_the_lock(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user("ada@example.org")
    [token] = await _sessions(user, 1)
    stored = user.password_hash

    answers = [await _change(client, token, "not my password at all") for _ in range(4)]

    codes = [e["code"] for a in answers for e in a["errors"]]  # type: ignore[attr-defined]
    assert codes == ["INVALID_CREDENTIALS"] * FIRST_DELAY_AT + ["ACCOUNT_LOCKED"]
    assert answers[0]["errors"][0]["field"] == "currentPassword"  # type: ignore[index]
    assert (await User.get(id=user.id)).password_hash == stored
    # the same guard as sign-in: a stolen session buys no extra guesses
    assert (await guard_state("ada@example.org", settings.secret_key.reveal()))[0] == 3
    assert await Notification.all().count() == 0
    refusals = await audit_rows("account.password_change")
    assert [(r.outcome, r.reference) for r in refusals] == [("FAILURE", "password")] * 3 + [
        ("FAILURE", "locked")
    ]


async def test_the_new_password_follows_the_rules_of_activation(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user("ada@example.org")
    [token] = await _sessions(user, 1)

    for weak in ("short one", "1qaz2wsx3edc4rfv", "ada@example.org", "a" * 20):
        payload = await _change(client, token, PASSWORD, weak)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [  # type: ignore[attr-defined]
            ("WEAK_PASSWORD", "newPassword")
        ], weak

    assert (await User.get(id=user.id)).password_hash == user.password_hash


async def test_without_a_session_there_is_nothing_to_change(client: httpx.AsyncClient) -> None:
    body = await gql(
        client, CHANGE_PASSWORD, {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    )

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await Notification.filter(kind=NotificationKind.PASSWORD_CHANGED).count() == 0
