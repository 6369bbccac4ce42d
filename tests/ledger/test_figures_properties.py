"""Properties of the ledger rules: for any sequence of postings the figures add up.

Balance, as ``billing.ledger.postings`` defines it, is the patient's debits minus their credits:
``CHARGE + ADJUSTMENT + INSURANCE_DENIED + REFUND - INSURANCE_EXPECTED - PAYMENT``.
"""

from __future__ import annotations

import contextlib
import itertools
import random
from dataclasses import dataclass, field
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.errors import DomainError
from billing.invoices.rules import NewInvoiceLine, create_invoice
from billing.ledger.credits import patient_credit_balance
from billing.ledger.figures import LedgerFact, summarize
from billing.ledger.postings import Posting, plan_postings, post_entries
from models.enums import InvoiceStatus, LedgerEntryKind
from models.invoices import Invoice
from models.ledger import LedgerEntry
from models.locations import Location
from models.patients import Patient
from tests.support.factories.invoices import billed_patient

K = LedgerEntryKind
DEBITS = {K.CHARGE: 1, K.ADJUSTMENT: 1, K.INSURANCE_DENIED: 1, K.REFUND: 1}
CREDITS = {K.INSURANCE_EXPECTED: 1, K.PAYMENT: 1}
# A refund of a real payment carries the refund's id; a move to credit does not.
REAL_REFUND_ID = 1

amounts = st.integers(min_value=1, max_value=50_000)
postings = st.one_of(
    st.builds(
        Posting,
        st.sampled_from([k for k in K if k not in (K.ADJUSTMENT, K.VOID, K.REFUND)]),
        amounts,
    ),
    st.builds(
        Posting,
        st.just(K.ADJUSTMENT),
        st.integers(min_value=-50_000, max_value=50_000).filter(bool),
    ),
    st.builds(Posting, st.just(K.REFUND), amounts, refund_id=st.just(REAL_REFUND_ID)),
)


def debits_minus_credits(entries: list[LedgerFact]) -> int:
    return sum((DEBITS.get(e.kind, 0) - CREDITS.get(e.kind, 0)) * e.amount_minor for e in entries)


@dataclass
class Book:
    """A pure model of one invoice and its patient's credit, driven through the rules."""

    entries: list[Posting] = field(default_factory=list)
    credit: int = 0
    accepted: int = 0

    def attempt(self, posting: Posting) -> None:
        try:
            plan = plan_postings(self.entries, [posting])
        except DomainError:
            return
        self.entries.extend(plan.postings)
        self.credit += plan.credit_minor
        self.accepted += 1


@settings(max_examples=200)
@given(st.lists(postings, max_size=25))
def test_accepted_postings_keep_every_invariant(attempts: list[Posting]) -> None:
    book = Book()
    for posting in attempts:
        book.attempt(posting)
        figures = summarize(book.entries)
        assert figures.balance == debits_minus_credits(list(book.entries))
        assert figures.balance >= 0
        assert figures.insurance_pending >= 0
        assert figures.paid >= 0
        assert figures.patient_responsibility >= 0
        # Money the patient gave is either on the invoice or in their credit balance.
        payments = sum(e.amount_minor for e in book.entries if e.kind is K.PAYMENT)
        refunded = sum(
            e.amount_minor
            for e in book.entries
            if e.kind is K.REFUND and e.refund_id == REAL_REFUND_ID
        )
        assert payments - refunded == figures.paid + book.credit


@settings(max_examples=200)
@given(st.lists(postings, max_size=20), st.randoms(use_true_random=False))
def test_summarize_ignores_the_order_of_rows(entries: list[Posting], rng: random.Random) -> None:
    shuffled = list(entries)
    rng.shuffle(shuffled)
    assert summarize(shuffled) == summarize(entries)
    assert summarize(entries).balance == debits_minus_credits(list(entries))


@settings(max_examples=200)
@given(st.lists(postings, max_size=20))
def test_status_follows_from_the_figures(attempts: list[Posting]) -> None:
    book = Book()
    for posting in attempts:
        book.attempt(posting)
    figures = summarize(book.entries)
    assert (figures.status is InvoiceStatus.PENDING_INSURANCE) == (figures.insurance_pending > 0)
    if figures.status is InvoiceStatus.PAID:
        assert figures.balance == 0
        assert figures.total > 0 or figures.charges > 0
    if figures.status is InvoiceStatus.PARTIALLY_PAID:
        assert figures.paid > 0
        assert figures.balance > 0
    if figures.status is InvoiceStatus.OPEN:
        assert figures.balance > 0 or (figures.total <= 0 and figures.charges == 0)


@settings(max_examples=200)
@given(st.lists(postings, max_size=20), amounts)
def test_without_diversion_an_overpayment_is_refused(attempts: list[Posting], payment: int) -> None:
    book = Book()
    for posting in attempts:
        book.attempt(posting)
    balance = summarize(book.entries).balance
    overpaying = Posting(K.PAYMENT, balance + payment)
    try:
        plan_postings(book.entries, [overpaying], divert_overpayment=False)
    except DomainError:
        return
    raise AssertionError("an overpayment was accepted without diversion")


_location_numbers = itertools.count(1)


async def _fresh_invoice(charge: int) -> Invoice:
    location = await Location.create(
        name=f"Property site {next(_location_numbers)}", timezone="UTC"
    )
    patient = await Patient.create(first_name_ct="x", last_name_ct="x", date_of_birth_ct="x")
    return await create_invoice(
        patient.id,
        location.id,
        provider_name="Dr. Test",
        service_date=date(2025, 1, 2),
        due_at=date(2025, 2, 1),
        currency="USD",
        lines=[NewInvoiceLine("99213", "Visit", 1, charge)],
        issued_at=date(2025, 1, 2),
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(amounts, st.lists(postings, max_size=12))
async def test_posted_rows_match_the_cached_columns(
    db: None, charge: int, attempts: list[Posting]
) -> None:
    invoice = await _fresh_invoice(charge)
    for posting in attempts:
        with contextlib.suppress(DomainError):
            await post_entries(invoice, [posting])
        stored = await Invoice.get(id=invoice.id)
        figures = summarize(await LedgerEntry.filter(invoice_id=invoice.id))
        assert (stored.status, stored.total_minor, stored.balance_minor) == (
            figures.status,
            figures.total,
            figures.balance,
        )
        assert stored.insurance_pending_minor == figures.insurance_pending
        assert stored.balance_minor >= 0
    rows = await LedgerEntry.filter(invoice_id=invoice.id)
    diverted = sum(r.amount_minor for r in rows if r.kind is K.REFUND and r.refund_id is None)
    patient_id = billed_patient(invoice)
    assert await patient_credit_balance(patient_id, "USD") == diverted
