"""The audit trail over GraphQL: auditors read it, newest first, a page at a time, and
every read of it is itself on record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from strawberry.relay import GlobalID
from tortoise.exceptions import OperationalError

import billing.audit.chain
import schema.audit.loaders
from auth.sessions import SessionScope, create_session
from billing.audit.chain import AuditRecord, append_audit_records, audit_chain_key
from config.settings import Settings
from models.audit import AuditEvent
from models.enums import AuditOutcome, Role
from models.users import User
from tests.support.factories.auth import make_user
from tests.support.graphql_client import gql

AUDIT_TRAIL = """
query AuditTrail($first: Int, $after: String, $filter: AuditFilter) {
  auditTrail(first: $first, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        occurredAt
        actor { id email }
        actorRole
        action
        resourceType
        resourceId
        patientId
        outcome
        ipAddress
        requestId
      }
    }
  }
}
"""

DAY_ONE = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


async def _token(user: User) -> str:
    issued = await create_session(user.id, scope=SessionScope.FULL, now=datetime.now(UTC))
    return issued.access_token


async def _auditor() -> tuple[User, str]:
    user = await make_user("audrey@example.org", Role.AUDITOR)
    return user, await _token(user)


def _record(
    action: str, actor: User | None, *, patient_id: int | None = None, resource_id: str = "1"
) -> AuditRecord:
    return AuditRecord(
        action=action,
        outcome=AuditOutcome.SUCCESS,
        actor_id=actor.id if actor else None,
        actor_role=actor.roles[0] if actor else "",
        resource_type="Invoice",
        resource_id=resource_id,
        patient_id=patient_id,
        ip_address="198.51.100.4",
        request_id=f"req-{action}-{resource_id}",
    )


async def _seed(settings: Settings, records: Sequence[tuple[AuditRecord, datetime]]) -> None:
    key = audit_chain_key(settings.secret_key.reveal())
    for record, occurred_at in records:
        await append_audit_records([record], key=key, now=occurred_at)


async def _trail(client: httpx.AsyncClient, token: str | None, **variables: Any) -> dict[str, Any]:
    return await gql(client, AUDIT_TRAIL, variables, token=token)


def _nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in body, body["errors"]
    return [edge["node"] for edge in body["data"]["auditTrail"]["edges"]]


def _error_code(body: dict[str, Any]) -> str:
    [error] = body["errors"]
    code: str = error["extensions"]["code"]
    return code


async def test_an_auditor_reads_events_newest_first_with_their_actors(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, token = await _auditor()
    staff = await make_user("bill@example.org", Role.BILLING_STAFF)
    await _seed(
        settings,
        [
            (_record("invoice.create", staff, patient_id=41), DAY_ONE),
            (_record("payment.record", staff), DAY_ONE + timedelta(hours=1)),
            (_record("system.sweep", None), DAY_ONE + timedelta(hours=2)),
        ],
    )

    nodes = _nodes(await _trail(client, token))

    assert [node["action"] for node in nodes] == [
        "system.sweep",
        "payment.record",
        "invoice.create",
    ]
    oldest = nodes[2]
    assert oldest["actor"] == {"id": str(GlobalID("User", str(staff.id))), "email": staff.email}
    assert oldest["actorRole"] == "BILLING_STAFF"
    assert oldest["patientId"] == str(GlobalID("Patient", "41"))
    assert oldest["outcome"] == "SUCCESS"
    assert oldest["resourceType"] == "Invoice"
    assert oldest["resourceId"] == "1"
    assert oldest["ipAddress"] == "198.51.100.4"
    assert oldest["requestId"] == "req-invoice.create-1"
    assert datetime.fromisoformat(oldest["occurredAt"]) == DAY_ONE
    assert nodes[0]["actor"] is None
    assert nodes[0]["actorRole"] is None
    assert nodes[1]["patientId"] is None


async def test_the_actors_of_a_page_are_loaded_in_one_batch(
    client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = await _auditor()
    actors = [await make_user(f"staff{n}@example.org", Role.BILLING_STAFF) for n in range(3)]
    await _seed(settings, [(_record("invoice.read", actor), DAY_ONE) for actor in actors * 2])
    batches: list[list[int]] = []
    load_users = schema.audit.loaders._load_users

    async def counting_load(ids: list[int]) -> Sequence[User | None]:
        batches.append(ids)
        return await load_users(ids)

    monkeypatch.setattr(schema.audit.loaders, "_load_users", counting_load)

    nodes = _nodes(await _trail(client, token))

    assert {node["actor"]["email"] for node in nodes} == {actor.email for actor in actors}
    assert len(batches) == 1
    assert sorted(batches[0]) == sorted(actor.id for actor in actors)


async def test_pages_follow_one_another_without_gaps_or_repeats(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, token = await _auditor()
    await _seed(
        settings,
        [(_record("invoice.read", None, resource_id=str(n)), DAY_ONE) for n in range(1, 6)],
    )

    seen: list[str] = []
    after = None
    pages = 0
    while True:
        body = await _trail(client, token, first=2, after=after)
        seen += [node["resourceId"] for node in _nodes(body)]
        pages += 1
        page_info = body["data"]["auditTrail"]["pageInfo"]
        if not page_info["hasNextPage"]:
            break
        after = page_info["endCursor"]

    # The auditor's own reads are appended meanwhile; keyset pages are not shifted by them.
    assert seen == ["5", "4", "3", "2", "1"]
    assert pages == 3


@pytest.mark.parametrize("cursor", ["bm90LWEtY3Vyc29y", "b2Zmc2V0OjA=", "!!"])
async def test_a_cursor_that_is_not_ours_is_bad_user_input(
    client: httpx.AsyncClient, cursor: str
) -> None:
    _, token = await _auditor()

    body = await _trail(client, token, after=cursor)

    assert body["data"] is None
    assert _error_code(body) == "BAD_USER_INPUT"


async def test_filters_by_actor_patient_action_and_time(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, token = await _auditor()
    alice = await make_user("alice@example.org", Role.BILLING_STAFF)
    bob = await make_user("bob@example.org", Role.ACCOUNTANT)
    await _seed(
        settings,
        [
            (_record("invoice.read", alice, patient_id=7, resource_id="a1"), DAY_ONE),
            (_record("invoice.create", alice, patient_id=8, resource_id="a2"), DAY_ONE),
            (_record("invoice.read", bob, patient_id=7, resource_id="b1"), DAY_ONE),
            (_record("invoice.read", bob, resource_id="b2"), DAY_ONE + timedelta(days=2)),
        ],
    )

    async def matching(**conditions: Any) -> list[str]:
        return [n["resourceId"] for n in _nodes(await _trail(client, token, filter=conditions))]

    assert await matching(actorId=str(GlobalID("User", str(alice.id)))) == ["a2", "a1"]
    assert await matching(action="invoice.create") == ["a2"]
    assert await matching(
        actorId=str(GlobalID("User", str(bob.id))), patientId=str(GlobalID("Patient", "7"))
    ) == ["b1"]
    assert await matching(
        **{"from": (DAY_ONE + timedelta(days=1)).isoformat(), "to": "2025-04-01T00:00:00Z"}
    ) == ["b2"]
    # ``to`` is exclusive and an offset-less time is UTC.
    assert await matching(action="invoice.read", to="2025-03-01T09:00:00") == []


@pytest.mark.parametrize(
    "conditions",
    [
        {"patientId": str(GlobalID("User", "7"))},
        {"actorId": str(GlobalID("Patient", "7"))},
        {"actorId": str(GlobalID("User", "seven"))},
    ],
)
async def test_an_id_of_the_wrong_type_is_bad_user_input(
    client: httpx.AsyncClient, conditions: dict[str, str]
) -> None:
    _, token = await _auditor()

    body = await _trail(client, token, filter=conditions)

    assert body["data"] is None
    assert _error_code(body) == "BAD_USER_INPUT"


async def test_reading_the_trail_is_on_record(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    auditor, token = await _auditor()
    await _seed(settings, [(_record("invoice.read", None, patient_id=7), DAY_ONE)])
    [seeded] = await AuditEvent.all()

    await _trail(client, token, filter={"patientId": str(GlobalID("Patient", "7"))})

    read = await AuditEvent.get(action="audit.read")
    assert read.actor_id == auditor.id
    assert read.actor_role == "auditor"
    assert read.outcome == "SUCCESS"
    assert read.resource_type == "AuditEvent"
    assert read.resource_id == str(seeded.id)
    # Looking into one patient's access history is itself about that patient.
    assert read.patient_id == 7


@pytest.mark.parametrize("role", [Role.BILLING_STAFF, Role.PATIENT, Role.ADMIN])
async def test_other_roles_are_forbidden(client: httpx.AsyncClient, role: Role) -> None:
    user = await make_user("someone@example.org", role)

    body = await _trail(client, await _token(user))

    assert body["data"] is None
    assert _error_code(body) == "FORBIDDEN"
    denial = await AuditEvent.get(outcome="DENIED")
    assert (denial.action, denial.resource_type, denial.actor_id) == (
        "access.denied",
        "auditTrail",
        user.id,
    )


async def test_an_anonymous_caller_must_sign_in(client: httpx.AsyncClient) -> None:
    body = await _trail(client, None)

    assert body["data"] is None
    assert _error_code(body) == "UNAUTHENTICATED"
    assert await AuditEvent.filter(outcome="DENIED", actor_id=None).count() == 1


async def test_a_failed_audit_write_withholds_the_data(
    client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What is under test is the reaction to a failed write, so the write is made to fail.
    _, token = await _auditor()
    await _seed(settings, [(_record("invoice.read", None), DAY_ONE)])

    async def failing_save(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("disk full")

    monkeypatch.setattr(AuditEvent, "save", failing_save)
    monkeypatch.setattr(billing.audit.chain, "_MAX_ATTEMPTS", 1)

    body = await _trail(client, token)

    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "invoice.read" not in str(body)
    monkeypatch.undo()
    assert await AuditEvent.filter(action="audit.read").count() == 0
