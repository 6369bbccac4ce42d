"""The access log: an append-only, HMAC-chained record of who touched which patient's data.

Each row's ``row_hash`` is an HMAC (keyed from the service's secret key) over its own fields and
the previous row's hash. Someone who can write to the database but does not hold the key can
neither edit a row nor delete one without ``verify_audit_chain`` finding the first broken link.

The chain's head (its last id, hash and row count) carries an HMAC under the same key, so
rows cut from the end cannot be hidden by rewriting the head: the head is created, signed,
by ``billing migrate`` (``initialize_audit_chain``), every writer checks its signature
before extending it and signs the head it moves to, and ``verify_audit_chain`` fails when
the head is missing, unsigned, forged, or does not match the rows. What a database writer
can still do is put back an older copy of the whole log, head included; signed checkpoints
kept outside the database (``billing.audit.checkpoints``, ``billing audit-checkpoint``) find that.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import orjson
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from models.audit import AuditChainHead, AuditEvent
from models.enums import AuditOutcome

GENESIS_HASH = "0" * 64
_HEAD_ID = 1
_MAX_ATTEMPTS = 8
_UNLINKED = "a row before it was changed or deleted"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One thing to put on record. Holds ids and codes only, never PHI."""

    action: str
    outcome: AuditOutcome
    actor_id: int | None = None
    actor_role: str = ""
    resource_type: str = ""
    resource_id: str = ""
    patient_id: int | None = None
    ip_address: str = ""
    request_id: str = ""
    reference: str = ""


class AuditWriteError(Exception):
    """The access log could not be extended; the operation that needed it must fail."""


def audit_chain_key(secret_key: str) -> bytes:
    """The HMAC key of the chain, derived from the service's secret key."""
    return hmac.new(secret_key.encode(), b"audit-chain-v1", hashlib.sha256).digest()


async def append_audit_records(
    records: Sequence[AuditRecord], *, key: bytes, now: datetime | None = None
) -> None:
    """Append ``records`` to the chain, in order, in one transaction.

    Safe under concurrency on SQLite and PostgreSQL: the chain head is moved with a
    conditional update, and a writer that lost the race starts again from the new head.
    Raises ``AuditWriteError`` when the rows cannot be written.
    """
    if not records:
        return
    occurred_at = (now or datetime.now(UTC)).astimezone(UTC)
    # A missing or forged head is not retried: the log must be looked at, not extended.
    for attempt in range(_MAX_ATTEMPTS):
        try:
            await _try_append(records, key, occurred_at)
            return
        except (IntegrityError, OperationalError):
            await asyncio.sleep(0.005 * 2**attempt)
    raise AuditWriteError("the access log could not be extended")


async def _try_append(records: Sequence[AuditRecord], key: bytes, occurred_at: datetime) -> None:
    async with in_transaction():
        # PostgreSQL queues writers on this row lock. SQLite ignores FOR UPDATE, and there
        # the conditional update below and the unique previous_hash keep the chain linear.
        head = await AuditChainHead.select_for_update().get_or_none(id=_HEAD_ID)
        if head is None:
            raise AuditWriteError("the access log has no head; run `billing migrate`")
        if not _head_is_signed(head, key):
            # Extending it would sign whatever it was rewritten to.
            raise AuditWriteError("the access log's head is not signed by this key")
        previous_hash = head.last_hash
        rows = []
        for record in records:
            row = AuditEvent(
                occurred_at=occurred_at,
                actor_id=record.actor_id,
                actor_role=record.actor_role,
                action=record.action,
                resource_type=record.resource_type,
                resource_id=record.resource_id,
                patient_id=record.patient_id,
                outcome=record.outcome.value,
                ip_address=record.ip_address,
                request_id=record.request_id,
                reference=record.reference,
                previous_hash=previous_hash,
            )
            row.row_hash = compute_row_hash(row, key)
            previous_hash = row.row_hash
            rows.append(row)
        for row in rows:
            await row.save()
        event_count = head.event_count + len(rows)
        moved = await AuditChainHead.filter(id=_HEAD_ID, last_hash=head.last_hash).update(
            last_hash=previous_hash,
            last_event_id=rows[-1].id,
            event_count=event_count,
            mac=head_mac(key, rows[-1].id, previous_hash, event_count),
        )
        if moved != 1:
            # Another writer extended the chain first; roll back and start from its head.
            raise IntegrityError("audit chain head moved")


class HeadInitialization(StrEnum):
    CREATED = "created"  # a new, empty log
    SIGNED = "signed"  # a head from before heads were signed, matching its rows
    PRESENT = "present"  # already signed: nothing to do
    REFUSED = "refused"  # missing, or not matching the rows: audit-verify says why


async def initialize_audit_chain(key: bytes) -> HeadInitialization:
    """Give the chain its signed head (``billing migrate`` runs it): a genesis head for an
    empty log, or a signature on an unsigned head whose rows verify up to it. A missing
    head with rows, or a head the rows do not match, is left for ``audit-verify``."""
    head = await AuditChainHead.get_or_none(id=_HEAD_ID)
    if head is None:
        if await AuditEvent.exists():
            return HeadInitialization.REFUSED
        # Another process may create it first. The savepoint keeps that unique violation
        # from aborting a caller's transaction on PostgreSQL.
        with contextlib.suppress(IntegrityError):
            async with in_transaction():
                await AuditChainHead.create(
                    id=_HEAD_ID, last_hash=GENESIS_HASH, mac=head_mac(key, 0, GENESIS_HASH, 0)
                )
        return HeadInitialization.CREATED
    if head.mac:
        return HeadInitialization.PRESENT
    walked = await _walk_rows(key, batch_size=5000)
    if walked.problem or (walked.last_id, walked.last_hash, walked.checked) != (
        head.last_event_id,
        head.last_hash,
        head.event_count,
    ):
        return HeadInitialization.REFUSED
    signed = await AuditChainHead.filter(id=_HEAD_ID, mac="", last_hash=head.last_hash).update(
        mac=head_mac(key, head.last_event_id, head.last_hash, head.event_count)
    )
    return HeadInitialization.SIGNED if signed else HeadInitialization.PRESENT


def head_mac(key: bytes, last_event_id: int, last_hash: str, event_count: int) -> str:
    """The HMAC that signs a chain head."""
    return labelled_mac(key, b"audit-head-v1", [last_event_id, last_hash, event_count])


async def signed_head(key: bytes) -> AuditChainHead | None:
    """The chain's head when it is there and signed by ``key``; None otherwise."""
    head = await AuditChainHead.get_or_none(id=_HEAD_ID)
    return head if head is not None and _head_is_signed(head, key) else None


def labelled_mac(key: bytes, label: bytes, fields: list[object]) -> str:
    """HMAC-SHA256 hex of ``fields`` under ``key``, separated by ``label`` from other uses."""
    return hmac.new(key, label + b"\x00" + orjson.dumps(fields), hashlib.sha256).hexdigest()


def _head_is_signed(head: AuditChainHead, key: bytes) -> bool:
    expected = head_mac(key, head.last_event_id, head.last_hash, head.event_count)
    return bool(head.mac) and hmac.compare_digest(head.mac, expected)


def compute_row_hash(row: AuditEvent, key: bytes) -> str:
    """The HMAC of a row's recorded fields and the hash of the row before it."""
    occurred_at = row.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    canonical = orjson.dumps(
        [
            occurred_at,
            row.actor_id,
            row.actor_role,
            row.action,
            row.resource_type,
            row.resource_id,
            row.patient_id,
            row.outcome,
            row.ip_address,
            row.request_id,
            row.reference,
            row.previous_hash,
        ]
    )
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What ``verify_audit_chain`` found. ``first_broken_id`` names the first row that
    does not link up, when the problem is a row; head and checkpoint problems name none."""

    checked: int
    first_broken_id: int | None
    problem: str

    @property
    def intact(self) -> bool:
        return not self.problem


@dataclass(frozen=True, slots=True)
class _Walk:
    checked: int
    last_id: int
    last_hash: str
    first_broken_id: int | None = None
    problem: str = ""


async def verify_audit_chain(key: bytes, batch_size: int = 5000) -> ChainReport:
    """Walk the chain from its start and report the first row that does not link up, then
    check the signed head against the rows (``billing.audit.checkpoints`` checks them
    against what was exported earlier)."""
    walked = await _walk_rows(key, batch_size)
    if walked.problem:
        return ChainReport(walked.checked, walked.first_broken_id, walked.problem)
    head = await AuditChainHead.get_or_none(id=_HEAD_ID)
    return ChainReport(walked.checked, None, _head_problem(head, key, walked))


async def _walk_rows(key: bytes, batch_size: int) -> _Walk:
    previous_hash = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        batch = await AuditEvent.filter(id__gt=last_id).order_by("id").limit(batch_size)
        if not batch:
            break
        for row in batch:
            if row.previous_hash != previous_hash:
                return _Walk(
                    checked,
                    last_id,
                    previous_hash,
                    row.id,
                    "a row before it was changed or deleted",
                )
            if not hmac.compare_digest(row.row_hash, compute_row_hash(row, key)):
                return _Walk(checked, last_id, previous_hash, row.id, "this row was changed")
            previous_hash = row.row_hash
            checked += 1
            last_id = row.id
    return _Walk(checked, last_id, previous_hash)


def _head_problem(head: AuditChainHead | None, key: bytes, walked: _Walk) -> str:
    if head is None:
        return "the chain head is missing"
    if not head.mac:
        return "the chain head is not signed (run `billing migrate` if the log is trusted)"
    if not _head_is_signed(head, key):
        return "the chain head was changed: its signature does not verify"
    if head.event_count > walked.checked or head.last_event_id > walked.last_id:
        return "rows were deleted from the end"
    if (head.last_event_id, head.last_hash, head.event_count) != (
        walked.last_id,
        walked.last_hash,
        walked.checked,
    ):
        return "the chain head is behind the rows"
    return ""
