"""The access log's chain: every edit or deletion is found, concurrent writers stay linear."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.connection import get_connection

from billing.audit.chain import (
    GENESIS_HASH,
    AuditRecord,
    append_audit_records,
    audit_chain_key,
    initialize_audit_chain,
    verify_audit_chain,
)
from models.audit import AuditChainHead, AuditEvent
from models.enums import AuditOutcome

KEY = audit_chain_key("test-secret-key")


@pytest.fixture(autouse=True)
async def _head_under_test_key(db: None) -> None:
    """The chain of these tests is signed with ``KEY``, not the service's key."""
    await AuditChainHead.all().delete()
    await initialize_audit_chain(KEY)


def _read(patient_id: int, invoice_id: int) -> AuditRecord:
    return AuditRecord(
        action="invoice.read",
        outcome=AuditOutcome.SUCCESS,
        actor_id=7,
        actor_role="patient",
        resource_type="Invoice",
        resource_id=str(invoice_id),
        patient_id=patient_id,
        ip_address="203.0.113.9",
        request_id="req-1",
    )


async def _append_five() -> list[AuditEvent]:
    for invoice_id in range(1, 6):
        await append_audit_records([_read(1, invoice_id)], key=KEY)
    return await AuditEvent.all().order_by("id")


async def test_rows_link_to_the_one_before(db: None) -> None:
    rows = await _append_five()

    assert rows[0].previous_hash == GENESIS_HASH
    assert all(rows[i].previous_hash == rows[i - 1].row_hash for i in range(1, 5))
    report = await verify_audit_chain(KEY)
    assert report.intact
    assert report.checked == 5


async def test_an_edited_row_is_found(db: None) -> None:
    rows = await _append_five()
    await AuditEvent.filter(id=rows[2].id).update(outcome="DENIED")

    report = await verify_audit_chain(KEY)

    assert not report.intact
    assert report.first_broken_id == rows[2].id
    assert report.checked == 2


async def test_an_edit_with_a_recomputed_plain_hash_is_still_found(db: None) -> None:
    rows = await _append_five()
    forged_key = audit_chain_key("an attacker does not know the real key")
    victim = rows[1]
    victim.actor_id = 99
    from billing.audit.chain import compute_row_hash

    await AuditEvent.filter(id=victim.id).update(
        actor_id=99, row_hash=compute_row_hash(victim, forged_key)
    )

    report = await verify_audit_chain(KEY)

    assert report.first_broken_id == victim.id


async def test_a_deleted_row_is_found(db: None) -> None:
    rows = await _append_five()
    await get_connection("default").execute_query(
        "DELETE FROM audit_event WHERE id = $1"
        if _is_postgres()
        else "DELETE FROM audit_event WHERE id = ?",
        [rows[1].id],
    )

    report = await verify_audit_chain(KEY)

    assert report.first_broken_id == rows[2].id


async def test_rows_deleted_from_the_end_are_found(db: None) -> None:
    rows = await _append_five()
    await AuditEvent.filter(id__gte=rows[3].id).delete()

    report = await verify_audit_chain(KEY)

    assert not report.intact
    assert "end" in report.problem


async def test_a_different_key_does_not_verify(db: None) -> None:
    await _append_five()

    report = await verify_audit_chain(audit_chain_key("another key"))

    assert not report.intact


async def test_concurrent_writers_keep_one_linear_chain(db: None) -> None:
    await asyncio.gather(
        *(append_audit_records([_read(2, i), _read(2, i + 100)], key=KEY) for i in range(12))
    )

    report = await verify_audit_chain(KEY)

    assert report.intact
    assert report.checked == 24


def _is_postgres() -> bool:
    return get_connection("default").capabilities.dialect == "postgres"
