"""Posting remittance claims to their invoices, through the invoice's insurance rules.

A claim that is not a reversal is an insurance decision
(``billing.invoices.decisions``, the rule ``recordInsuranceDecision`` posts by): ``CLP04``
is paid, and whatever else the insurer had pending moves to the patient, less the
adjustments the patient does not owe (CAS groups CO, PI, OA and CR), which are written off
in the same posting. So what the patient owes ends as ``PR`` plus any part of the invoice
that was never billed to the insurer. A reversal (``CLP02`` = 22) undoes an earlier posted
claim of the same invoice and payer claim number (``reverse_insurance_decision``: payment,
patient share and write-off put back).

Claims are posted in the file's order; runs of decisions are booked together, in bulk. A
claim that does not fit is answered with ``ClaimDoesNotFit`` and a reason code, nothing of
it posted; the caller keeps it ``UNMATCHED`` for staff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.invoices.decisions import (
    DecisionMaker,
    InsuranceDecision,
    record_insurance_decisions,
)
from billing.invoices.rules import reverse_insurance_decision
from billing.ledger.figures import InvoiceFigures
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

    @property
    def balanced(self) -> bool:
        """Charged less paid is what the adjustments account for, as the guide requires."""
        adjusted = self.patient_responsibility_minor + self.write_off_minor
        return self.charged_minor - self.paid_minor == adjusted


@dataclass(frozen=True, slots=True)
class ClaimToPost:
    """A claim, the invoice its number names (if any) and its posting's key."""

    claim: ClaimFigures
    invoice: Invoice | None
    dedupe_key: str


@dataclass(frozen=True, slots=True)
class PostedClaim:
    """What posting did: the invoice and its balance after, what moved to the patient,
    any claim reversed."""

    invoice_id: int
    # None for an organization's invoice (which no payer's claim normally pays).
    patient_id: int | None
    balance_minor: int
    denied_minor: int
    reversed_claim_id: int | None = None


async def post_claims(
    claims: Sequence[ClaimToPost], *, payer_key: str, actor_id: int | None
) -> list[PostedClaim | ClaimDoesNotFit]:
    """Post ``claims`` in order inside the caller's transaction; the answer per claim is
    what was posted, or why nothing was."""
    answers: list[PostedClaim | ClaimDoesNotFit] = []
    run: list[ClaimToPost] = []
    for item in claims:
        if not item.claim.is_reversal:
            run.append(item)
            continue
        answers += await _decide(run, actor_id)
        run = []
        answers.append(await _reverse_one(item, payer_key, actor_id))
    answers += await _decide(run, actor_id)
    return answers


async def _decide(
    claims: Sequence[ClaimToPost], actor_id: int | None
) -> list[PostedClaim | ClaimDoesNotFit]:
    answers: list[PostedClaim | ClaimDoesNotFit | None] = []
    requests: list[tuple[int, DecisionMaker]] = []
    made: list[tuple[int, ClaimToPost, list[InsuranceDecision]]] = []
    for item in claims:
        invoice = item.invoice
        refused = _unfit(item)
        if refused is not None or invoice is None:
            answers.append(refused or ClaimDoesNotFit(UNKNOWN_INVOICE))
            continue
        decided: list[InsuranceDecision] = []
        requests.append((invoice.id, _maker(item, decided)))
        made.append((len(answers), item, decided))
        answers.append(None)
    results = await record_insurance_decisions(requests, actor_id=actor_id) if requests else []
    for (index, item, decided), result in zip(made, results, strict=True):
        assert item.invoice is not None
        answers[index] = _answer(item.invoice, decided, result)
    return [answer for answer in answers if answer is not None]


def _unfit(item: ClaimToPost) -> ClaimDoesNotFit | None:
    invoice = item.invoice
    if invoice is None:
        return ClaimDoesNotFit(UNKNOWN_INVOICE)
    if invoice.currency != REMITTANCE_CURRENCY or invoice.status is InvoiceStatus.VOID:
        return ClaimDoesNotFit(AMOUNTS_DO_NOT_FIT)
    return None


def _maker(item: ClaimToPost, decided: list[InsuranceDecision]) -> DecisionMaker:
    claim = item.claim

    def decide(figures: InvoiceFigures) -> InsuranceDecision:
        pending = figures.insurance_pending
        if pending <= 0:
            raise DomainError(ErrorCode.NO_INSURANCE_PENDING, NO_INSURANCE_PENDING)
        paid = claim.paid_minor
        if not claim.balanced or not 0 <= paid <= pending or claim.charged_minor > figures.total:
            raise DomainError(ErrorCode.CLAIM_DOES_NOT_FIT, AMOUNTS_DO_NOT_FIT)
        decision = InsuranceDecision(
            paid_minor=paid,
            denied_minor=pending - paid,
            write_off_minor=claim.write_off_minor,
            write_off_reason=f"Insurance adjustment {claim.adjustment_codes}".strip(),
            dedupe_key=item.dedupe_key,
        )
        decided.append(decision)
        return decision

    return decide


def _answer(
    invoice: Invoice, decided: list[InsuranceDecision], result: InvoiceFigures | DomainError
) -> PostedClaim | ClaimDoesNotFit:
    if isinstance(result, DomainError):
        if result.code is ErrorCode.NO_INSURANCE_PENDING:
            return ClaimDoesNotFit(NO_INSURANCE_PENDING)
        return ClaimDoesNotFit(AMOUNTS_DO_NOT_FIT)
    denied = decided[-1].denied_minor if decided else 0
    return PostedClaim(invoice.id, invoice.patient_id, result.balance, denied)


async def _reverse_one(
    item: ClaimToPost, payer_key: str, actor_id: int | None
) -> PostedClaim | ClaimDoesNotFit:
    refused = _unfit(item)
    if refused is not None or item.invoice is None:
        return refused or ClaimDoesNotFit(UNKNOWN_INVOICE)
    try:
        # A savepoint: the earlier claim is marked reversed only if the reversal books.
        async with in_transaction():
            return await _reverse(item.claim, item.invoice, payer_key, item.dedupe_key, actor_id)
    except ClaimDoesNotFit as refusal:
        return refusal
    except DomainError:
        return ClaimDoesNotFit(AMOUNTS_DO_NOT_FIT)


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
    return PostedClaim(
        posted.id, posted.patient_id, posted.balance_minor, 0, reversed_claim_id=earlier.id
    )
