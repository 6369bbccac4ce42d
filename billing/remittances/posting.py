"""Posting one remittance claim to its invoice, through the invoice's insurance rules.

A claim that is not a reversal is an insurance decision (``record_insurance_decision``):
``CLP04`` is paid, and whatever else the insurer had pending moves to the patient. The
adjustments the patient does not owe (CAS groups CO, PI, OA and CR) are written off in the
same posting, so what the patient owes ends as ``PR`` plus any part of the invoice that was
never billed to the insurer. A reversal (``CLP02`` = 22) undoes an earlier posted claim of
the same invoice and payer claim number (``reverse_insurance_decision``: payment, patient
share and write-off put back).

A claim that does not fit raises ``ClaimDoesNotFit`` with a reason code and changes
nothing; the caller keeps it ``UNMATCHED`` for staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from billing.errors import DomainError
from billing.invoices.rules import record_insurance_decision, reverse_insurance_decision
from models.enums import InvoiceStatus
from models.invoices import Invoice
from models.remittances import RemittanceClaim, RemittanceClaimStatus

REMITTANCE_CURRENCY = "USD"

UNKNOWN_INVOICE = "UNKNOWN_INVOICE"
NO_INSURANCE_PENDING = "NO_INSURANCE_PENDING"
AMOUNTS_DO_NOT_FIT = "AMOUNTS_DO_NOT_FIT"
NO_EARLIER_POSTING = "NO_EARLIER_POSTING"


class ClaimDoesNotFit(Exception):
    """The claim cannot be posted to the invoice; ``reason`` is one of the codes above."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class ClaimFigures:
    """A claim as read from the file, in cents."""

    claim_number: str
    status_code: str
    payer_claim_number: str
    charged_minor: int
    paid_minor: int
    patient_responsibility_minor: int
    write_off_minor: int
    adjustment_codes: str

    @property
    def is_reversal(self) -> bool:
        return self.status_code == "22"


@dataclass(frozen=True, slots=True)
class PostedClaim:
    """What posting did: the invoice, what moved to the patient, any claim reversed."""

    invoice: Invoice
    denied_minor: int
    reversed_claim_id: int | None = None


async def post_claim(
    claim: ClaimFigures,
    invoice: Invoice | None,
    *,
    payer_key: str,
    dedupe_key: str,
    actor_id: int | None,
) -> PostedClaim:
    """Post ``claim`` to ``invoice`` in a savepoint of the caller's transaction; raises
    ``ClaimDoesNotFit`` (nothing posted) when it cannot be."""
    if invoice is None:
        raise ClaimDoesNotFit(UNKNOWN_INVOICE)
    if invoice.currency != REMITTANCE_CURRENCY or invoice.status is InvoiceStatus.VOID:
        raise ClaimDoesNotFit(AMOUNTS_DO_NOT_FIT)
    try:
        if not claim.is_reversal:
            # The rule checks everything before it writes: a refusal leaves nothing behind.
            return await _decide(claim, invoice, dedupe_key, actor_id)
        async with in_transaction():
            return await _reverse(claim, invoice, payer_key, dedupe_key, actor_id)
    except DomainError as error:
        raise ClaimDoesNotFit(AMOUNTS_DO_NOT_FIT) from error


async def _decide(
    claim: ClaimFigures, invoice: Invoice, dedupe_key: str, actor_id: int | None
) -> PostedClaim:
    # The invoice's summary columns are recomputed with every posting (billing.ledger).
    pending = invoice.insurance_pending_minor
    if pending <= 0:
        raise ClaimDoesNotFit(NO_INSURANCE_PENDING)
    paid = claim.paid_minor
    balanced = claim.charged_minor - paid == claim.patient_responsibility_minor + (
        claim.write_off_minor
    )
    if not balanced or not 0 <= paid <= pending or claim.charged_minor > invoice.total_minor:
        raise ClaimDoesNotFit(AMOUNTS_DO_NOT_FIT)
    denied = pending - paid
    posted = await record_insurance_decision(
        invoice.id,
        paid,
        denied,
        actor_id=actor_id,
        dedupe_key=dedupe_key,
        write_off_minor=claim.write_off_minor,
        write_off_reason=f"Insurance adjustment {claim.adjustment_codes}".strip(),
    )
    return PostedClaim(posted, denied)


async def _reverse(
    claim: ClaimFigures, invoice: Invoice, payer_key: str, dedupe_key: str, actor_id: int | None
) -> PostedClaim:
    earlier = (
        await RemittanceClaim.filter(
            invoice_id=invoice.id,
            status=RemittanceClaimStatus.POSTED,
            reverses_id=None,
            remittance__payer_key=payer_key,
            paid_minor=-claim.paid_minor,
            charged_minor=-claim.charged_minor,
            **(
                {"payer_claim_number": claim.payer_claim_number} if claim.payer_claim_number else {}
            ),
        )
        .order_by("-id")
        .first()
    )
    if earlier is None:
        raise ClaimDoesNotFit(NO_EARLIER_POSTING)
    # A conditional update: of two reversals of one claim, one wins.
    taken = await RemittanceClaim.filter(id=earlier.id, status=RemittanceClaimStatus.POSTED).update(
        status=RemittanceClaimStatus.REVERSED
    )
    if not taken:
        raise ClaimDoesNotFit(NO_EARLIER_POSTING)
    posted = await reverse_insurance_decision(
        invoice.id,
        earlier.paid_minor,
        earlier.denied_minor,
        actor_id=actor_id,
        dedupe_key=dedupe_key,
        write_off_minor=earlier.write_off_minor,
    )
    return PostedClaim(posted, 0, reversed_claim_id=earlier.id)
