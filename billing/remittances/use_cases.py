"""What billing staff do with remittances: upload an 835, post a claim by hand.

Each use case opens its transaction, applies the rules and appends its access-log records
inside it: one for the remittance, and one per invoice a claim posted to (with its
patient), so the log shows whose bills a file touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.audit.chain import AuditRecord
from billing.errors import DomainError, ErrorCode
from billing.notifications.outbox import queue_notification
from billing.remittances.posting import (
    REMITTANCE_CURRENCY,
    ClaimDoesNotFit,
    ClaimFigures,
    ClaimToPost,
    PostedClaim,
    post_claims,
)
from billing.remittances.x12 import ParsedClaim, ParsedRemittance, parse_835
from models.enums import AuditOutcome
from models.invoices import Invoice
from models.notifications import NotificationKind
from models.remittances import (
    Remittance,
    RemittanceClaim,
    RemittanceClaimStatus,
    RemittanceStatus,
)

RESOURCE_TYPE = "Remittance"
UPLOAD_REMITTANCE = AuditedAction("remittance.upload", RESOURCE_TYPE)
MATCH_REMITTANCE_CLAIM = AuditedAction("remittance.match_claim", "RemittanceClaim")
POST_CLAIM = AuditedAction("remittance.claim_posted", "Invoice")
MAX_FILE_NAME = 255
_LOOKUP_CHUNK = 500
# Claims posted together: bounds memory beyond the parsed file.
_POSTING_CHUNK = 500


@dataclass(frozen=True, slots=True)
class UploadedRemittance:
    """The stored remittance; ``duplicate`` when the same file had been posted before."""

    remittance: Remittance
    duplicate: bool


async def upload_remittance(audit: AuditBuffer, file_name: str, content: str) -> UploadedRemittance:
    """Validate, store and post an 835 file, claim by claim.

    Refuses (``INVALID_REMITTANCE``, ``REMITTANCE_UNBALANCED``), storing nothing, a file that
    does not validate against 005010X221A1 or whose payment (BPR02) is not the paid claims
    less the provider-level adjustments (PLB). The same trace number (TRN02) from the same
    payer (TRN03) again answers the remittance stored the first time and posts nothing.
    """
    name = file_name.strip()
    if not name or len(name) > MAX_FILE_NAME:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"file_name must be 1-{MAX_FILE_NAME} characters.", "file_name"
        )
    # Validating is CPU work of seconds on a large file: off the event loop.
    parsed = await asyncio.to_thread(parse_835, content)
    _check_balanced(parsed)
    payer_key = (parsed.payer_key or parsed.payer_name)[:80]
    try:
        async with in_transaction():
            remittance = await Remittance.create(
                payer_key=payer_key,
                payer_name=parsed.payer_name[:200],
                trace_number=parsed.trace_number[:80],
                file_name=name,
                payment_minor=parsed.payment_minor,
                currency=REMITTANCE_CURRENCY,
                status=RemittanceStatus.POSTED,
                claim_count=len(parsed.claims),
                uploaded_by_id=audit.actor.user_id,
            )
            await _post_claims(audit, remittance, parsed.claims)
            await audit.record_success(UPLOAD_REMITTANCE, resource_id=remittance.id)
    except IntegrityError:
        existing = await Remittance.get_or_none(
            payer_key=payer_key, trace_number=parsed.trace_number[:80]
        )
        if existing is None:
            raise
        async with in_transaction():
            await audit.record_success(
                UPLOAD_REMITTANCE, resource_id=existing.id, reference="duplicate"
            )
        return UploadedRemittance(existing, duplicate=True)
    return UploadedRemittance(remittance, duplicate=False)


async def match_remittance_claim(
    audit: AuditBuffer, claim_id: int, invoice_id: int
) -> RemittanceClaim:
    """Post an ``UNMATCHED`` claim to the invoice staff chose, by the same rules as the
    upload. ``NOT_FOUND`` for no such claim or invoice, ``CLAIM_ALREADY_POSTED`` when it is
    not unmatched, ``CLAIM_DOES_NOT_FIT`` (nothing changed) when its amounts do not fit."""
    async with in_transaction():
        claim = await RemittanceClaim.get_or_none(id=claim_id).select_related("remittance")
        if claim is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such remittance claim.", "claim_id")
        invoice = await Invoice.get_or_none(id=invoice_id)
        if invoice is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such invoice.", "invoice_id")
        # A conditional update: of two staff matching one claim at once, one posts it.
        taken = await RemittanceClaim.filter(
            id=claim.id, status=RemittanceClaimStatus.UNMATCHED
        ).update(status=RemittanceClaimStatus.POSTED, invoice_id=invoice.id)
        if not taken:
            raise DomainError(
                ErrorCode.CLAIM_ALREADY_POSTED,
                "The claim is not waiting to be matched.",
                "claim_id",
            )
        [answer] = await post_claims(
            [
                ClaimToPost(
                    _figures_of_row(claim),
                    invoice,
                    _dedupe_key(claim.remittance_id, claim.position),
                )
            ],
            payer_key=claim.remittance.payer_key,
            actor_id=audit.actor.user_id,
        )
        if isinstance(answer, ClaimDoesNotFit):
            raise DomainError(
                ErrorCode.CLAIM_DOES_NOT_FIT,
                f"The claim does not fit the invoice ({answer.reason}).",
                "invoice_id",
            )
        posted = answer
        await RemittanceClaim.filter(id=claim.id).update(
            unmatched_reason="",
            denied_minor=posted.denied_minor,
            reverses_id=posted.reversed_claim_id,
            posted_at=datetime.now(UTC),
        )
        await Remittance.filter(id=claim.remittance_id).update(
            unmatched_count=await RemittanceClaim.filter(
                remittance_id=claim.remittance_id, status=RemittanceClaimStatus.UNMATCHED
            ).count()
        )
        remittance = await Remittance.get(id=claim.remittance_id)
        if remittance.unmatched_count == 0:
            await Remittance.filter(id=remittance.id).update(status=RemittanceStatus.POSTED)
        await _notify_balances([posted], remittance.id)
        await audit.write_many_now(
            [
                _posted_record(audit, posted),
                audit.make_record(
                    MATCH_REMITTANCE_CLAIM.name,
                    AuditOutcome.SUCCESS,
                    resource_type=MATCH_REMITTANCE_CLAIM.resource_type,
                    resource_id=str(claim.id),
                    patient_id=invoice.patient_id,
                ),
            ]
        )
    return await RemittanceClaim.get(id=claim.id)


def _check_balanced(parsed: ParsedRemittance) -> None:
    expected = sum(claim.paid_minor for claim in parsed.claims) - parsed.provider_adjustments_minor
    if parsed.payment_minor != expected:
        raise DomainError(
            ErrorCode.REMITTANCE_UNBALANCED,
            "The payment (BPR02) is not the sum of the paid claims (CLP04) less the "
            "provider-level adjustments (PLB).",
            "content",
        )


async def _post_claims(
    audit: AuditBuffer, remittance: Remittance, claims: Sequence[ParsedClaim]
) -> None:
    """Post the claims a chunk at a time, so that beyond the parsed claims memory holds one
    chunk's invoices, ledger rows and claim rows, however long the file."""
    unmatched = 0
    for start in range(0, len(claims), _POSTING_CHUNK):
        chunk = claims[start : start + _POSTING_CHUNK]
        unmatched += await _post_chunk(audit, remittance, start, chunk)
    if unmatched:
        await Remittance.filter(id=remittance.id).update(
            unmatched_count=unmatched, status=RemittanceStatus.NEEDS_MATCHING
        )
        remittance.unmatched_count = unmatched
        remittance.status = RemittanceStatus.NEEDS_MATCHING


async def _post_chunk(
    audit: AuditBuffer,
    remittance: Remittance,
    first_position: int,
    claims: Sequence[ParsedClaim],
) -> int:
    """Post ``claims`` (at ``first_position`` in the file) and put each posting on the
    access log; the number left unmatched."""
    records: list[AuditRecord] = []
    invoices = await _invoices_by_number({claim.claim_number for claim in claims})
    positions = range(first_position, first_position + len(claims))
    answers = await post_claims(
        [
            ClaimToPost(
                _figures_of(parsed),
                invoices.get(parsed.claim_number),
                _dedupe_key(remittance.id, position),
            )
            for position, parsed in zip(positions, claims, strict=True)
        ],
        payer_key=remittance.payer_key,
        actor_id=audit.actor.user_id,
    )
    rows: list[RemittanceClaim] = []
    now = datetime.now(UTC)
    for position, parsed, answer in zip(positions, claims, answers, strict=True):
        invoice = invoices.get(parsed.claim_number)
        row = RemittanceClaim(
            remittance_id=remittance.id,
            position=position,
            claim_number=parsed.claim_number[:38],
            status_code=parsed.status_code,
            payer_claim_number=parsed.payer_claim_number[:50],
            charged_minor=parsed.charged_minor,
            paid_minor=parsed.paid_minor,
            patient_responsibility_minor=parsed.patient_responsibility_minor,
            write_off_minor=parsed.write_off_minor,
            adjustments=[
                {"group": a.group, "reason": a.reason, "amount_minor": a.amount_minor}
                for a in parsed.adjustments
            ],
            status=RemittanceClaimStatus.UNMATCHED,
            invoice_id=invoice.id if invoice else None,
        )
        if isinstance(answer, ClaimDoesNotFit):
            row.unmatched_reason = answer.reason
        else:
            row.status = RemittanceClaimStatus.POSTED
            row.denied_minor = answer.denied_minor
            row.reverses_id = answer.reversed_claim_id
            row.posted_at = now
            records.append(_posted_record(audit, answer))
        rows.append(row)
    await RemittanceClaim.bulk_create(rows)
    await audit.write_many_now(records)
    await _notify_balances(
        [answer for answer in answers if isinstance(answer, PostedClaim)], remittance.id
    )
    return sum(1 for row in rows if row.status is RemittanceClaimStatus.UNMATCHED)


async def _invoices_by_number(numbers: set[str]) -> dict[str, Invoice]:
    wanted = sorted(numbers)
    found: dict[str, list[Invoice]] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        for invoice in await Invoice.filter(number__in=wanted[start : start + _LOOKUP_CHUNK]):
            found.setdefault(invoice.number, []).append(invoice)
    # A number two locations share names no one invoice: left for staff to match.
    return {number: rows[0] for number, rows in found.items() if len(rows) == 1}


async def _notify_balances(posted: Sequence[PostedClaim], remittance_id: int) -> None:
    """The usual "you have a balance" message where the patient now owes something, once
    per invoice (its last posting in the file decides)."""
    last = {claim.invoice_id: claim for claim in posted}
    for claim in last.values():
        if claim.balance_minor > 0 and claim.denied_minor > 0 and claim.patient_id is not None:
            await queue_notification(
                claim.patient_id,
                NotificationKind.INVOICE_OVERDUE,
                f"invoice-{claim.invoice_id}-remittance-{remittance_id}",
            )


def _posted_record(audit: AuditBuffer, posted: PostedClaim) -> AuditRecord:
    return audit.make_record(
        POST_CLAIM.name,
        AuditOutcome.SUCCESS,
        resource_type=POST_CLAIM.resource_type,
        resource_id=str(posted.invoice_id),
        patient_id=posted.patient_id,
    )


def _dedupe_key(remittance_id: int, position: int) -> str:
    return f"remittance:{remittance_id}:claim:{position}"


def _figures_of(parsed: ParsedClaim) -> ClaimFigures:
    return ClaimFigures(
        claim_number=parsed.claim_number,
        status_code=parsed.status_code,
        payer_claim_number=parsed.payer_claim_number,
        charged_minor=parsed.charged_minor,
        paid_minor=parsed.paid_minor,
        patient_responsibility_minor=parsed.patient_responsibility_minor,
        write_off_minor=parsed.write_off_minor,
        adjustment_codes=_codes((a.group, a.reason) for a in parsed.adjustments if a.group != "PR"),
    )


def _figures_of_row(row: RemittanceClaim) -> ClaimFigures:
    adjustments = row.adjustments if isinstance(row.adjustments, list) else []
    return ClaimFigures(
        claim_number=row.claim_number,
        status_code=row.status_code,
        payer_claim_number=row.payer_claim_number,
        charged_minor=row.charged_minor,
        paid_minor=row.paid_minor,
        patient_responsibility_minor=row.patient_responsibility_minor,
        write_off_minor=row.write_off_minor,
        adjustment_codes=_codes(
            (str(a["group"]), str(a["reason"])) for a in adjustments if a.get("group") != "PR"
        ),
    )


def _codes(pairs: Iterable[tuple[str, str]]) -> str:
    seen: list[str] = []
    for group, reason in pairs:
        code = f"{group}-{reason}"
        if code not in seen:
            seen.append(code)
    return " ".join(seen)[:400]
