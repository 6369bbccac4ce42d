"""Paper statements: a patient asks for their bills by mail, staff work the queue.

Asking again for the same invoices on the same (UTC) day returns the request already made,
even when two requests race: the day's dedupe key is unique.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.invoices.reads import Audience, invoices_by_id
from models.patients import Patient
from models.statements import (
    PaperStatementInvoice,
    PaperStatementRequest,
    PaperStatementStatus,
)

MAX_PAPER_STATEMENT_INVOICES = 50


@dataclass(frozen=True, slots=True)
class PaperStatementRecord:
    id: int
    patient_id: int
    status: PaperStatementStatus
    created_at: datetime
    mailed_at: datetime | None
    invoice_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PaperStatementOutcome:
    request: PaperStatementRecord
    created: bool


def paper_statement_key(patient_id: int, invoice_ids: Iterable[int], day: date) -> str:
    """The same for the same patient, set of invoices (in any order) and UTC day."""
    ids = ",".join(str(invoice_id) for invoice_id in sorted(set(invoice_ids)))
    return hashlib.sha256(f"paper-statement:v1:{patient_id}:{ids}:{day}".encode()).hexdigest()


async def request_paper_statement(
    patient_id: int, invoice_ids: Sequence[int | None], *, now: datetime
) -> PaperStatementOutcome:
    """Ask for the patient's invoices to be mailed, or find today's identical request.

    Raises ``DomainError``: ``INVALID_INPUT`` for no invoices or too many, ``NOT_FOUND``
    when any id is missing or another patient's (then nothing is recorded). Safe under
    concurrency: the unique ``dedupe_key`` lets one insert win, the others read it.
    """
    if not invoice_ids:
        raise DomainError(ErrorCode.INVALID_INPUT, "Name at least one invoice.", "invoice_ids")
    if len(invoice_ids) > MAX_PAPER_STATEMENT_INVOICES:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"At most {MAX_PAPER_STATEMENT_INVOICES} invoices per statement.",
            "invoice_ids",
        )
    wanted = {invoice_id for invoice_id in invoice_ids if invoice_id}
    found = await invoices_by_id(Audience.patient(patient_id), wanted)
    if None in invoice_ids or len(found) != len(wanted):
        raise DomainError(ErrorCode.NOT_FOUND, "No such invoice.", "invoice_ids")
    key = paper_statement_key(patient_id, wanted, now.astimezone(UTC).date())
    try:
        # A savepoint when the caller has a transaction open, so a lost race leaves it usable.
        async with in_transaction():
            row = await PaperStatementRequest.create(patient_id=patient_id, dedupe_key=key)
            await PaperStatementInvoice.bulk_create(
                [
                    PaperStatementInvoice(request_id=row.id, invoice_id=invoice_id)
                    for invoice_id in sorted(wanted)
                ]
            )
    except IntegrityError:
        existing = await PaperStatementRequest.get_or_none(dedupe_key=key)
        if existing is None:
            raise
        return PaperStatementOutcome(await _paper_record(existing), created=False)
    return PaperStatementOutcome(_record(row, tuple(sorted(wanted))), created=True)


async def paper_statement_queue(
    status: PaperStatementStatus | None, *, after_id: int | None, limit: int
) -> list[PaperStatementRecord]:
    """Up to ``limit`` requests after ``after_id``, oldest first (ids grow with time)."""
    query = PaperStatementRequest.all()
    if status is not None:
        query = query.filter(status=status)
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    rows = await query.order_by("id").limit(limit)
    return await _paper_records(rows)


async def paper_statements_by_id(
    ids: Iterable[int], *, patient_id: int | None
) -> dict[int, PaperStatementRecord]:
    """The requests among ``ids``, by id: only ``patient_id``'s when it is given, anyone's
    otherwise (staff); others are left out."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = PaperStatementRequest.filter(id__in=wanted)
    if patient_id is not None:
        query = query.filter(patient_id=patient_id)
    return {record.id: record for record in await _paper_records(await query)}


async def patients_by_id(ids: Iterable[int]) -> dict[int, Patient]:
    """The patients of a page of requests, in one query."""
    wanted = sorted(set(ids))
    return {row.id: row for row in await Patient.filter(id__in=wanted)} if wanted else {}


async def mark_paper_statement_mailed(
    request_id: int | None, mailed_by: int, *, now: datetime
) -> PaperStatementRecord:
    """Record that a request's statement went out. Marking it again changes nothing.

    Raises ``DomainError`` ``NOT_FOUND`` for an unknown request.
    """
    row = await PaperStatementRequest.get_or_none(id=request_id) if request_id else None
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such paper statement request.", "id")
    await PaperStatementRequest.filter(id=row.id, status=PaperStatementStatus.REQUESTED).update(
        status=PaperStatementStatus.MAILED, mailed_at=now, mailed_by_id=mailed_by
    )
    await row.refresh_from_db()
    return await _paper_record(row)


async def _paper_record(row: PaperStatementRequest) -> PaperStatementRecord:
    return (await _paper_records([row]))[0]


async def _paper_records(rows: Sequence[PaperStatementRequest]) -> list[PaperStatementRecord]:
    if not rows:
        return []
    pairs = await (
        PaperStatementInvoice.filter(request_id__in=[row.id for row in rows])
        .order_by("request_id", "invoice_id")
        .values_list("request_id", "invoice_id")
    )
    by_request: dict[int, list[int]] = {row.id: [] for row in rows}
    for request_id, invoice_id in pairs:
        by_request[int(request_id)].append(int(invoice_id))
    return [_record(row, tuple(by_request[row.id])) for row in rows]


def _record(row: PaperStatementRequest, invoice_ids: tuple[int, ...]) -> PaperStatementRecord:
    return PaperStatementRecord(
        id=row.id,
        patient_id=row.patient_id,
        status=PaperStatementStatus(row.status),
        created_at=row.created_at,
        mailed_at=row.mailed_at,
        invoice_ids=invoice_ids,
    )
