"""The chain's signed head: cutting the log's tail is found however the head is rewritten,
and a missing, unsigned or forged head stops the log from being extended.

Before the fix, deleting the last rows and rewriting the head row to match passed
verification, as did deleting the head, or emptying the log and resetting the head."""

from __future__ import annotations

import pytest

from billing.audit.chain import (
    GENESIS_HASH,
    AuditRecord,
    AuditWriteError,
    HeadInitialization,
    append_audit_records,
    audit_chain_key,
    head_mac,
    initialize_audit_chain,
    verify_audit_chain,
)
from billing.audit.checkpoints import audit_checkpoint, checkpoint_problem
from models.audit import AuditChainHead, AuditEvent
from models.enums import AuditOutcome

KEY = audit_chain_key("test-secret-key")
ATTACKER_KEY = audit_chain_key("a key the attacker made up")


@pytest.fixture(autouse=True)
async def _head_under_test_key(db: None) -> None:
    await AuditChainHead.all().delete()
    await initialize_audit_chain(KEY)


def _record(n: int) -> AuditRecord:
    return AuditRecord(action="invoice.read", outcome=AuditOutcome.SUCCESS, resource_id=str(n))


async def _append(count: int) -> list[AuditEvent]:
    for n in range(count):
        await append_audit_records([_record(n)], key=KEY)
    return await AuditEvent.all().order_by("id")


async def _rewrite_head(last_event_id: int, last_hash: str, event_count: int, mac: str) -> None:
    await AuditChainHead.filter(id=1).update(
        last_event_id=last_event_id, last_hash=last_hash, event_count=event_count, mac=mac
    )


async def test_an_intact_log_verifies_with_its_signed_head(db: None) -> None:
    await _append(3)

    report = await verify_audit_chain(KEY)

    assert report.intact
    head = await AuditChainHead.get(id=1)
    assert len(head.mac) == 64


async def test_a_cut_tail_with_the_head_rewritten_to_match_is_found(db: None) -> None:
    rows = await _append(5)
    kept = rows[2]
    await AuditEvent.filter(id__gt=kept.id).delete()
    # the attacker copies the kept row's id and hash into the head, as before the fix, and
    # signs it with what they can: an empty signature, or one under a key of their own
    for mac in ("", "0" * 64, _forged(kept.id, kept.row_hash, 3)):
        await _rewrite_head(kept.id, kept.row_hash, 3, mac)

        report = await verify_audit_chain(KEY)

        assert not report.intact
        assert "head" in report.problem


async def test_a_deleted_head_is_found(db: None) -> None:
    await _append(2)
    await AuditChainHead.all().delete()

    report = await verify_audit_chain(KEY)

    assert report.problem == "the chain head is missing"


async def test_an_emptied_log_with_its_head_reset_is_found(db: None) -> None:
    await _append(4)
    await AuditEvent.all().delete()
    await _rewrite_head(0, GENESIS_HASH, 0, "")

    assert not (await verify_audit_chain(KEY)).intact

    await AuditChainHead.all().delete()
    assert not (await verify_audit_chain(KEY)).intact


async def test_a_head_behind_the_rows_is_found(db: None) -> None:
    rows = await _append(3)
    # rows written around the head (or a head put back from an older copy)
    await _rewrite_head(rows[0].id, rows[0].row_hash, 1, _signed(rows[0].id, rows[0].row_hash, 1))

    report = await verify_audit_chain(KEY)

    assert report.problem == "the chain head is behind the rows"


async def test_rows_cut_from_the_end_under_a_valid_head_are_found(db: None) -> None:
    rows = await _append(4)
    await AuditEvent.filter(id=rows[-1].id).delete()

    report = await verify_audit_chain(KEY)

    assert report.problem == "rows were deleted from the end"


async def test_a_writer_refuses_to_extend_a_forged_or_missing_head(db: None) -> None:
    rows = await _append(3)
    await AuditEvent.filter(id=rows[-1].id).delete()
    await _rewrite_head(rows[1].id, rows[1].row_hash, 2, _forged(rows[1].id, rows[1].row_hash, 2))

    # extending would sign the rewritten head and so hide the cut: the write fails instead
    with pytest.raises(AuditWriteError):
        await append_audit_records([_record(9)], key=KEY)
    assert await AuditEvent.all().count() == 2

    await AuditChainHead.all().delete()
    with pytest.raises(AuditWriteError):
        await append_audit_records([_record(9)], key=KEY)


async def test_migrate_signs_a_head_from_before_signatures_only_when_the_rows_match(
    db: None,
) -> None:
    rows = await _append(2)
    await AuditChainHead.filter(id=1).update(mac="")

    assert await initialize_audit_chain(KEY) is HeadInitialization.SIGNED
    assert (await verify_audit_chain(KEY)).intact

    await AuditEvent.filter(id=rows[-1].id).delete()
    await AuditChainHead.filter(id=1).update(mac="")
    assert await initialize_audit_chain(KEY) is HeadInitialization.REFUSED
    assert not (await verify_audit_chain(KEY)).intact


async def test_a_missing_head_over_existing_rows_is_not_recreated(db: None) -> None:
    await _append(1)
    await AuditChainHead.all().delete()

    assert await initialize_audit_chain(KEY) is HeadInitialization.REFUSED
    assert not await AuditChainHead.exists()


async def test_a_checkpoint_kept_elsewhere_finds_a_rollback_of_the_whole_log(db: None) -> None:
    # given a log whose checkpoint was exported after three rows
    rows = await _append(3)
    checkpoint = await audit_checkpoint(KEY)
    head = await AuditChainHead.get(id=1)
    # when more is recorded, then the database is put back as it was before the checkpoint
    # (an older copy: rows and a head that once were genuine)
    await _append(2)
    await AuditEvent.filter(id__gt=rows[1].id).delete()
    older = rows[1]
    await _rewrite_head(older.id, older.row_hash, 2, _signed(older.id, older.row_hash, 2))
    assert (await verify_audit_chain(KEY)).intact, "an old copy is self-consistent"

    # then the checkpoint says the log went back
    problem = await checkpoint_problem([checkpoint])

    assert "behind the checkpoint" in problem
    assert head.event_count == checkpoint.event_count == 3


def _signed(last_event_id: int, last_hash: str, event_count: int) -> str:
    """What the head once carried (a genuine head an attacker copied earlier)."""
    return head_mac(KEY, last_event_id, last_hash, event_count)


def _forged(last_event_id: int, last_hash: str, event_count: int) -> str:
    return head_mac(ATTACKER_KEY, last_event_id, last_hash, event_count)
