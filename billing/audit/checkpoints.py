"""Checkpoints of the access log: its head at one moment, signed, to be kept outside the
database (``billing audit-checkpoint`` prints one line per run). A database writer who puts
back an older copy of the whole log leaves a self-consistent chain; the checkpoints
exported since then no longer match it (``billing audit-verify --checkpoints``)."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from billing.audit.chain import AuditWriteError, labelled_mac, signed_head
from models.audit import AuditEvent

_LABEL = b"audit-checkpoint-v1"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain's head at one moment, signed, to be kept outside the database."""

    last_event_id: int
    last_hash: str
    event_count: int
    taken_at: str
    mac: str

    def to_line(self) -> str:
        """One JSON line, for a log store."""
        return orjson.dumps(
            {
                "audit_checkpoint": 1,
                "last_event_id": self.last_event_id,
                "last_hash": self.last_hash,
                "event_count": self.event_count,
                "taken_at": self.taken_at,
                "mac": self.mac,
            }
        ).decode()


class CheckpointError(Exception):
    """A checkpoint line that is not one, or not signed by this service's key."""


async def audit_checkpoint(key: bytes, now: datetime | None = None) -> Checkpoint:
    """The current head as a signed checkpoint. Raises ``AuditWriteError`` when the head is
    missing or not signed by ``key``: a checkpoint of a rewritten head proves nothing."""
    head = await signed_head(key)
    if head is None:
        raise AuditWriteError("the chain head is missing or not signed; run `billing audit-verify`")
    taken_at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    fields: list[object] = [head.last_event_id, head.last_hash, head.event_count, taken_at]
    return Checkpoint(
        last_event_id=head.last_event_id,
        last_hash=head.last_hash,
        event_count=head.event_count,
        taken_at=taken_at,
        mac=labelled_mac(key, _LABEL, fields),
    )


def parse_checkpoint(line: str, key: bytes) -> Checkpoint:
    """The checkpoint a line of ``billing audit-checkpoint`` holds, its signature checked."""
    try:
        data = orjson.loads(line)
        checkpoint = Checkpoint(
            last_event_id=int(data["last_event_id"]),
            last_hash=str(data["last_hash"]),
            event_count=int(data["event_count"]),
            taken_at=str(data["taken_at"]),
            mac=str(data["mac"]),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise CheckpointError("not a checkpoint line") from None
    fields: list[object] = [
        checkpoint.last_event_id,
        checkpoint.last_hash,
        checkpoint.event_count,
        checkpoint.taken_at,
    ]
    if not hmac.compare_digest(checkpoint.mac, labelled_mac(key, _LABEL, fields)):
        raise CheckpointError("a checkpoint not signed by this service's key")
    return checkpoint


async def checkpoint_problem(checkpoints: Sequence[Checkpoint]) -> str:
    """What is wrong with the log against ``checkpoints`` (empty when nothing is). Call it
    on a chain ``verify_audit_chain`` found intact: then a row with a checkpoint's hash at
    its id, and as many rows up to it, means every row it vouched for is still there."""
    for checkpoint in checkpoints:
        if checkpoint.last_event_id == 0:
            continue
        row = await AuditEvent.get_or_none(id=checkpoint.last_event_id)
        counted = await AuditEvent.filter(id__lte=checkpoint.last_event_id).count()
        if (
            row is None
            or not hmac.compare_digest(row.row_hash, checkpoint.last_hash)
            or counted != checkpoint.event_count
        ):
            return (
                f"the log is behind the checkpoint taken at {checkpoint.taken_at}: "
                "it was rolled back or cut"
            )
    return ""
