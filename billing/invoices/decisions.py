"""Insurance decisions: the rule, as a pure plan, and decisions on many invoices at once.

``plan_insurance_decision`` is what ``rules.record_insurance_decision`` checks and posts:
paid and denied may not exceed what insurance has pending, the denied part becomes the
patient's, and a write-off (what the patient does not owe) comes off it. An 835 file
decides thousands of claims; ``record_insurance_decisions`` applies the same plan to each
of them in one transaction, reading and writing the rows in bulk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.invoices.listeners import balances_lowered
from billing.ledger.figures import InvoiceFigures, LedgerFact, summarize
from billing.ledger.postings import Posting, PostingPlan, plan_postings, write_plans
from billing.money import MAX_AMOUNT_MINOR
from models.enums import LedgerEntryKind
from models.invoices import Invoice
from models.ledger import LedgerEntry

_READ_CHUNK = 500


@dataclass(frozen=True, slots=True)
class InsuranceDecision:
    """What the insurer paid and denied of an invoice's pending cover, and what of the
    denied part is written off; ``dedupe_key`` makes it book once."""

    paid_minor: int
    denied_minor: int
    write_off_minor: int = 0
    write_off_reason: str = ""
    dedupe_key: str | None = None


# Decides, from an invoice's figures at its turn, what to book; raises DomainError to refuse.
DecisionMaker = Callable[[InvoiceFigures], InsuranceDecision]


def plan_insurance_decision(
    existing: Sequence[LedgerFact], decision: InsuranceDecision, *, actor_id: int | None
) -> PostingPlan:
    """What ``decision`` writes on an invoice with rows ``existing`` (the ledger's plan of
    ``insurance_decision_postings``); never touches the database."""
    return plan_postings(
        existing, insurance_decision_postings(existing, decision, actor_id=actor_id)
    )


def insurance_decision_postings(
    existing: Sequence[LedgerFact], decision: InsuranceDecision, *, actor_id: int | None
) -> list[Posting]:
    """The rows ``decision`` adds to an invoice with rows ``existing``.
    ``NO_INSURANCE_PENDING`` when nothing is pending, ``INVALID_AMOUNT`` for negative
    amounts, a zero decision, or more than is pending."""
    check_decision_amounts(decision)
    paid, denied, write_off = decision.paid_minor, decision.denied_minor, decision.write_off_minor
    pending = summarize(existing).insurance_pending
    if pending <= 0:
        raise DomainError(ErrorCode.NO_INSURANCE_PENDING, "No insurance amount is pending.")
    if paid + denied > pending:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT, "Paid and denied exceed what is pending.", "paid_minor"
        )
    return decision_postings(
        decision.dedupe_key,
        actor_id,
        (LedgerEntryKind.INSURANCE_PAID, paid, "paid"),
        (LedgerEntryKind.INSURANCE_DENIED, denied, "denied"),
        (LedgerEntryKind.ADJUSTMENT, -write_off, "write-off"),
        reason=decision.write_off_reason,
    )


def check_decision_amounts(decision: InsuranceDecision) -> None:
    """``INVALID_AMOUNT`` for a negative or non-integer amount, or a decision of nothing."""
    paid, denied, write_off = decision.paid_minor, decision.denied_minor, decision.write_off_minor
    for value, field, minimum in (
        (paid, "paid_minor", 0),
        (denied, "denied_minor", 0),
        (write_off, "write_off_minor", -MAX_AMOUNT_MINOR),
    ):
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not minimum <= value <= MAX_AMOUNT_MINOR
        ):
            raise DomainError(ErrorCode.INVALID_AMOUNT, "Not a valid amount.", field)
    if paid + denied == 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "The decision has no amount.", "paid_minor")


def decision_postings(
    dedupe_key: str | None,
    actor_id: int | None,
    *amounts: tuple[LedgerEntryKind, int, str],
    reason: str = "",
) -> list[Posting]:
    """A decision's rows, each keyed ``{dedupe_key}:{suffix}``; zero amounts are left out
    and only the adjustment carries ``reason``."""
    return [
        Posting(
            kind,
            amount,
            actor_id=actor_id,
            reason=reason if kind is LedgerEntryKind.ADJUSTMENT else "",
            dedupe_key=f"{dedupe_key}:{suffix}" if dedupe_key else None,
        )
        for kind, amount, suffix in amounts
        if amount != 0
    ]


async def record_insurance_decisions(
    requests: Sequence[tuple[int, DecisionMaker]], *, actor_id: int | None
) -> list[InvoiceFigures | DomainError]:
    """Decide each ``(invoice_id, maker)`` in order, in one transaction: ``maker`` sees the
    invoice's figures after the requests before it and names the decision, which is
    planned by ``plan_insurance_decision``. The answer per request is the invoice's new
    figures, or the ``DomainError`` that refused it (nothing of it booked; ``NOT_FOUND``
    for no such invoice). The same rule as one decision, with the rows read and written
    in bulk."""
    ids = sorted({invoice_id for invoice_id, _ in requests})
    async with in_transaction():
        invoices: dict[int, Invoice] = {}
        rows: dict[int, list[LedgerFact]] = defaultdict(list)
        for start in range(0, len(ids), _READ_CHUNK):
            chunk = ids[start : start + _READ_CHUNK]
            # Row locks in id order (PostgreSQL); SQLite runs one writer at a time.
            for invoice in await Invoice.select_for_update().filter(id__in=chunk).order_by("id"):
                invoices[invoice.id] = invoice
            for entry in await LedgerEntry.filter(invoice_id__in=chunk):
                rows[entry.invoice_id].append(entry)
        booked = _booked_keys(rows)
        plans: dict[int, PostingPlan] = {}
        answers: list[InvoiceFigures | DomainError] = []
        lowered: list[int] = []
        for invoice_id, maker in requests:
            if invoice_id not in invoices:
                answers.append(DomainError(ErrorCode.NOT_FOUND, "No such invoice.", "invoice_id"))
                continue
            existing = rows[invoice_id]
            try:
                decision = maker(summarize(existing))
                if decision.dedupe_key in booked:
                    answers.append(summarize(existing))  # This decision is already booked.
                    continue
                plan = plan_insurance_decision(existing, decision, actor_id=actor_id)
            except DomainError as refused:
                answers.append(refused)
                continue
            existing.extend(plan.postings)
            earlier = plans.get(invoice_id)
            postings = (*earlier.postings, *plan.postings) if earlier else plan.postings
            plans[invoice_id] = PostingPlan(
                postings,
                plan.figures,
                (earlier.credit_minor if earlier else 0) + plan.credit_minor,
                plan.credit_payment_id,
            )
            if decision.write_off_minor > 0:
                lowered.append(invoice_id)
            answers.append(plan.figures)
        await write_plans([(invoices[invoice_id], plan) for invoice_id, plan in plans.items()])
        if lowered:
            await balances_lowered(sorted(set(lowered)))
    return answers


def _booked_keys(rows: dict[int, list[LedgerFact]]) -> set[str]:
    """Decision keys (``{key}:paid`` and the like, less the suffix) already on the ledger."""
    booked: set[str] = set()
    for facts in rows.values():
        for fact in facts:
            key = getattr(fact, "dedupe_key", None)
            if key:
                booked.add(str(key).rsplit(":", 1)[0])
    return booked
