"""The access log: an append-only, HMAC-chained record of who touched which patient's data.

Each row's ``row_hash`` is an HMAC (keyed from the service's secret key) over its own fields and
the previous row's hash. Someone who can write to the database but does not hold the key can
neither edit a row nor delete one without ``verify_audit_chain`` finding the first broken link.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from models.audit import AuditChainHead, AuditEvent
from models.enums import AuditOutcome

GENESIS_HASH = "0" * 64
_HEAD_ID = 1
_MAX_ATTEMPTS = 8


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
    for attempt in range(_MAX_ATTEMPTS):
        try:
            await _try_append(records, key, occurred_at)
            return
        except (IntegrityError, OperationalError):
            await asyncio.sleep(0.005 * 2**attempt)
    raise AuditWriteError("the access log could not be extended")


async def _try_append(records: Sequence[AuditRecord], key: bytes, occurred_at: datetime) -> None:
    await _ensure_chain_head()
    async with in_transaction():
        # PostgreSQL queues writers on this row lock. SQLite ignores FOR UPDATE, and there
        # the conditional update below and the unique previous_hash keep the chain linear.
        head = await AuditChainHead.select_for_update().get(id=_HEAD_ID)
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
        moved = await AuditChainHead.filter(id=_HEAD_ID, last_hash=head.last_hash).update(
            last_hash=previous_hash,
            last_event_id=rows[-1].id,
            event_count=head.event_count + len(rows),
        )
        if moved != 1:
            # Another writer extended the chain first; roll back and start from its head.
            raise IntegrityError("audit chain head moved")


async def _ensure_chain_head() -> None:
    if not await AuditChainHead.exists(id=_HEAD_ID):
        # Another writer may create it first. The savepoint keeps that unique violation
        # from aborting a caller's transaction on PostgreSQL.
        with contextlib.suppress(IntegrityError):
            async with in_transaction():
                await AuditChainHead.create(id=_HEAD_ID, last_hash=GENESIS_HASH)


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
    checked: int
    first_broken_id: int | None
    problem: str

    @property
    def intact(self) -> bool:
        return not self.problem


async def verify_audit_chain(key: bytes, batch_size: int = 5000) -> ChainReport:
    """Walk the chain from its start and report the first row that does not link up."""
    previous_hash = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        batch = await AuditEvent.filter(id__gt=last_id).order_by("id").limit(batch_size)
        if not batch:
            break
        for row in batch:
            if row.previous_hash != previous_hash:
                return ChainReport(checked, row.id, "a row before it was changed or deleted")
            if not hmac.compare_digest(row.row_hash, compute_row_hash(row, key)):
                return ChainReport(checked, row.id, "this row was changed")
            previous_hash = row.row_hash
            checked += 1
        last_id = batch[-1].id
    head = await AuditChainHead.get_or_none(id=_HEAD_ID)
    if head is not None and (head.last_hash != previous_hash or head.event_count != checked):
        return ChainReport(checked, head.last_event_id, "rows were deleted from the end")
    return ChainReport(checked, None, "")
