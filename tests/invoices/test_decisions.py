"""Insurance decisions on many invoices at once (an 835 file's claims) follow the rule of
one decision: the same rows, the same refusals, each request seeing the ones before it."""

from __future__ import annotations

from datetime import date

from billing.errors import DomainError, ErrorCode
from billing.invoices.decisions import (
    DecisionMaker,
    InsuranceDecision,
    record_insurance_decisions,
)
from billing.invoices.rules import NewInsurance, NewInvoiceLine, create_invoice
from billing.ledger.credits import patient_credit_balance
from billing.ledger.figures import InvoiceFigures, summarize
from billing.ledger.postings import Posting, post_entries
from models.enums import InvoiceStatus, LedgerEntryKind
from models.invoices import Invoice
from models.ledger import LedgerEntry
from models.locations import Location
from models.patients import Patient

K = LedgerEntryKind


async def _insured(covered: int, total: int = 20_000) -> Invoice:
    location = await Location.get_or_none(name="Bulk Clinic") or await Location.create(
        name="Bulk Clinic", timezone="America/Chicago"
    )
    patient = await Patient.create(first_name_ct="x", last_name_ct="x", date_of_birth_ct="x")
    return await create_invoice(
        patient.id,
        location.id,
        "Dr. Raman",
        date(2025, 3, 1),
        date(2025, 4, 1),
        "USD",
        [NewInvoiceLine("99214", "Office visit", 1, total)],
        NewInsurance("Payer", covered),
        issued_at=date(2025, 3, 2),
    )


def _fixed(decision: InsuranceDecision) -> DecisionMaker:
    return lambda figures: decision


async def _figures(invoice: Invoice) -> InvoiceFigures:
    return summarize(await LedgerEntry.filter(invoice_id=invoice.id))


async def test_each_decision_books_its_rows_and_the_invoice_summary(db: None) -> None:
    first = await _insured(20_000)
    second = await _insured(15_000)

    answers = await record_insurance_decisions(
        [
            (first.id, _fixed(InsuranceDecision(15_000, 5_000, 5_000, "CO-45", "eob:1"))),
            (second.id, _fixed(InsuranceDecision(10_000, 5_000, 0, "", "eob:2"))),
        ],
        actor_id=None,
    )

    assert [a.balance for a in answers if isinstance(a, InvoiceFigures)] == [0, 10_000]
    stored = await Invoice.get(id=first.id)
    assert (stored.status, stored.balance_minor, stored.total_minor) == (
        InvoiceStatus.PAID,
        0,
        15_000,
    )
    assert await _figures(first) == answers[0]
    reason = await LedgerEntry.get(invoice_id=first.id, kind=K.ADJUSTMENT)
    assert (reason.amount_minor, reason.reason, reason.dedupe_key) == (
        -5_000,
        "CO-45",
        "eob:1:write-off",
    )
    assert (await Invoice.get(id=second.id)).balance_minor == 10_000


async def test_a_refused_request_books_nothing_and_the_others_still_book(db: None) -> None:
    bill = await _insured(20_000)
    other = await _insured(20_000)

    answers = await record_insurance_decisions(
        [
            (bill.id, _fixed(InsuranceDecision(20_001, 0))),
            (other.id, _fixed(InsuranceDecision(20_000, 0))),
            (999_999_999, _fixed(InsuranceDecision(1, 0))),
        ],
        actor_id=None,
    )

    refused, booked, missing = answers
    assert isinstance(refused, DomainError)
    assert refused.code is ErrorCode.INVALID_AMOUNT
    assert isinstance(booked, InvoiceFigures)
    assert isinstance(missing, DomainError)
    assert missing.code is ErrorCode.NOT_FOUND
    assert await LedgerEntry.filter(invoice_id=bill.id, kind=K.INSURANCE_PAID).count() == 0
    assert (await Invoice.get(id=bill.id)).status is InvoiceStatus.PENDING_INSURANCE


async def test_a_later_request_sees_what_the_earlier_one_booked(db: None) -> None:
    bill = await _insured(20_000)
    seen: list[int] = []

    def remaining(figures: InvoiceFigures) -> InsuranceDecision:
        seen.append(figures.insurance_pending)
        return InsuranceDecision(figures.insurance_pending // 2, 0)

    answers = await record_insurance_decisions(
        [(bill.id, remaining), (bill.id, remaining)], actor_id=None
    )

    assert seen == [20_000, 10_000]
    assert isinstance(answers[1], InvoiceFigures)
    assert answers[1].insurance_pending == 5_000
    assert (await _figures(bill)).insurance_pending == 5_000


async def test_a_decision_already_booked_is_not_booked_again(db: None) -> None:
    bill = await _insured(20_000)
    decision = InsuranceDecision(15_000, 5_000, 0, "", "remittance:1:claim:0")

    await record_insurance_decisions([(bill.id, _fixed(decision))], actor_id=None)
    await record_insurance_decisions([(bill.id, _fixed(decision))], actor_id=None)

    assert await LedgerEntry.filter(invoice_id=bill.id, kind=K.INSURANCE_PAID).count() == 1


async def test_a_write_off_below_what_the_patient_paid_becomes_credit(db: None) -> None:
    bill = await _insured(15_000)
    await post_entries(bill, [Posting(K.PAYMENT, 5_000)])

    [answer] = await record_insurance_decisions(
        [(bill.id, _fixed(InsuranceDecision(10_000, 5_000, 10_000, "CO-45")))], actor_id=None
    )

    assert isinstance(answer, InvoiceFigures)
    assert answer.balance == 0
    assert (await Invoice.get(id=bill.id)).balance_minor == 0
    assert bill.patient_id is not None
    assert await patient_credit_balance(bill.patient_id, "USD") == 5_000
