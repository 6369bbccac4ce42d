"""The ledger rules by example, and posting rows to a stored invoice."""

from __future__ import annotations

from datetime import date

import pytest

from billing.errors import DomainError, ErrorCode
from billing.invoices.rules import NewInsurance, NewInvoiceLine, create_invoice
from billing.ledger.credits import patient_credit_balance
from billing.ledger.figures import summarize
from billing.ledger.postings import OVERPAYMENT_REASON, Posting, post_entries, recompute_invoice
from models.enums import CreditEntryKind, InvoiceStatus, LedgerEntryKind
from models.invoices import Invoice
from models.ledger import LedgerEntry
from models.locations import Location
from models.patients import CreditEntry, Patient
from tests.support.factories.invoices import billed_patient

K = LedgerEntryKind


def test_figures_of_an_insured_visit() -> None:
    figures = summarize(
        [
            Posting(K.CHARGE, 20_000),
            Posting(K.CHARGE, 5_000),
            Posting(K.INSURANCE_EXPECTED, 18_000),
            Posting(K.ADJUSTMENT, -1_000),
        ]
    )

    assert figures.total == 24_000
    assert figures.insurance_pending == 18_000
    assert figures.patient_responsibility == 6_000
    assert figures.balance == 6_000
    assert figures.status is InvoiceStatus.PENDING_INSURANCE


def test_a_denial_moves_to_the_patient_and_payments_settle_it() -> None:
    entries = [
        Posting(K.CHARGE, 10_000),
        Posting(K.INSURANCE_EXPECTED, 8_000),
        Posting(K.INSURANCE_PAID, 6_000),
        Posting(K.INSURANCE_DENIED, 2_000),
    ]
    decided = summarize(entries)
    assert (decided.insurance_pending, decided.balance, decided.status) == (
        0,
        4_000,
        InvoiceStatus.OPEN,
    )

    partly = summarize([*entries, Posting(K.PAYMENT, 1_500)])
    assert (partly.balance, partly.status) == (2_500, InvoiceStatus.PARTIALLY_PAID)

    settled = summarize([*entries, Posting(K.PAYMENT, 4_000)])
    assert (settled.balance, settled.paid, settled.status) == (0, 4_000, InvoiceStatus.PAID)


def test_a_void_marker_wins_over_every_other_status() -> None:
    figures = summarize([Posting(K.CHARGE, 100), Posting(K.VOID, 0)])

    assert figures.voided
    assert figures.status is InvoiceStatus.VOID


async def _invoice(charge: int = 10_000, covered: int | None = None) -> Invoice:
    location = await Location.create(name="Ledger Clinic", timezone="America/Chicago")
    patient = await Patient.create(first_name_ct="x", last_name_ct="x", date_of_birth_ct="x")
    return await create_invoice(
        patient.id,
        location.id,
        provider_name="Dr. Test",
        service_date=date(2025, 3, 1),
        due_at=date(2025, 4, 1),
        currency="USD",
        lines=[NewInvoiceLine("99213", "Visit", 1, charge)],
        insurance=NewInsurance("Payer", covered) if covered else None,
        issued_at=date(2025, 3, 1),
    )


async def test_posting_refreshes_the_cached_columns(db: None) -> None:
    invoice = await _invoice(10_000)

    figures = await post_entries(invoice, [Posting(K.PAYMENT, 4_000)])

    stored = await Invoice.get(id=invoice.id)
    assert (stored.status, stored.total_minor, stored.balance_minor) == (
        InvoiceStatus.PARTIALLY_PAID,
        10_000,
        6_000,
    )
    assert figures.balance == invoice.balance_minor == 6_000


async def test_a_repeated_posting_with_the_same_key_is_booked_once(db: None) -> None:
    invoice = await _invoice(10_000)
    payment = Posting(K.PAYMENT, 2_500, payment_id=7, dedupe_key="payment:7:invoice")

    await post_entries(invoice, [payment])
    await post_entries(invoice, [payment])

    assert await LedgerEntry.filter(invoice_id=invoice.id, kind=K.PAYMENT).count() == 1
    assert (await Invoice.get(id=invoice.id)).balance_minor == 7_500


async def test_a_key_booked_on_another_invoice_is_a_conflict(db: None) -> None:
    first = await _invoice(10_000)
    second = await create_invoice(
        billed_patient(first),
        first.location_id,
        provider_name="Dr. Test",
        service_date=date(2025, 3, 1),
        due_at=date(2025, 4, 1),
        currency="USD",
        lines=[NewInvoiceLine("99213", "Visit", 1, 5_000)],
        issued_at=date(2025, 3, 1),
    )
    await post_entries(first, [Posting(K.PAYMENT, 100, dedupe_key="shared")])

    with pytest.raises(DomainError) as caught:
        await post_entries(second, [Posting(K.PAYMENT, 100, dedupe_key="shared")])

    assert caught.value.code is ErrorCode.CONFLICT


async def test_an_overpayment_goes_to_the_credit_balance(db: None) -> None:
    invoice = await _invoice(10_000)

    figures = await post_entries(
        invoice, [Posting(K.PAYMENT, 12_500, payment_id=42, dedupe_key="pay:42")]
    )

    assert (figures.balance, figures.paid, figures.status) == (0, 10_000, InvoiceStatus.PAID)
    moved = await LedgerEntry.get(invoice_id=invoice.id, kind=K.REFUND)
    assert (moved.amount_minor, moved.reason, moved.payment_id, moved.refund_id) == (
        2_500,
        OVERPAYMENT_REASON,
        42,
        None,
    )
    assert moved.dedupe_key == "pay:42:to-credit"
    credit = await CreditEntry.get(invoice_id=invoice.id)
    assert (credit.kind, credit.amount_minor, credit.payment_id) == (
        CreditEntryKind.OVERPAYMENT,
        2_500,
        42,
    )
    patient_id = billed_patient(invoice)
    assert await patient_credit_balance(patient_id, "usd") == 2_500
    assert await patient_credit_balance(patient_id, "EUR") == 0


async def test_an_overpayment_can_be_refused_instead(db: None) -> None:
    invoice = await _invoice(10_000)

    with pytest.raises(DomainError) as caught:
        await post_entries(invoice, [Posting(K.PAYMENT, 10_001)], divert_overpayment=False)

    assert caught.value.code is ErrorCode.AMOUNT_EXCEEDS_BALANCE
    assert await LedgerEntry.filter(invoice_id=invoice.id, kind=K.PAYMENT).count() == 0


async def test_a_refused_posting_leaves_nothing_behind(db: None) -> None:
    invoice = await _invoice(10_000)

    with pytest.raises(DomainError) as caught:
        await post_entries(invoice, [Posting(K.PAYMENT, 500), Posting(K.REFUND, 900)])

    assert caught.value.code is ErrorCode.REFUND_EXCEEDS_PAYMENT
    assert await LedgerEntry.filter(invoice_id=invoice.id).count() == 1


@pytest.mark.parametrize(
    ("posting", "code"),
    [
        (Posting(K.CHARGE, 0), ErrorCode.INVALID_AMOUNT),
        (Posting(K.PAYMENT, -5), ErrorCode.INVALID_AMOUNT),
        (Posting(K.ADJUSTMENT, 0), ErrorCode.INVALID_AMOUNT),
        (Posting(K.VOID, 10), ErrorCode.INVALID_AMOUNT),
        (Posting(K.INSURANCE_PAID, 1), ErrorCode.INVALID_AMOUNT),
        (Posting(K.ADJUSTMENT, -10_001), ErrorCode.INVALID_AMOUNT),
    ],
)
async def test_invalid_postings_are_refused(db: None, posting: Posting, code: ErrorCode) -> None:
    invoice = await _invoice(10_000)

    with pytest.raises(DomainError) as caught:
        await post_entries(invoice, [posting])

    assert caught.value.code is code


async def test_nothing_posts_to_a_void_invoice(db: None) -> None:
    invoice = await _invoice(10_000)
    await post_entries(invoice, [Posting(K.VOID, 0)])

    with pytest.raises(DomainError) as caught:
        await post_entries(invoice, [Posting(K.PAYMENT, 100)])

    assert caught.value.code is ErrorCode.INVOICE_NOT_PAYABLE
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.VOID


async def test_recompute_repairs_stale_cached_columns(db: None) -> None:
    invoice = await _invoice(10_000, covered=6_000)
    await Invoice.filter(id=invoice.id).update(balance_minor=1, status=InvoiceStatus.PAID)

    figures = await recompute_invoice(invoice.id)

    stored = await Invoice.get(id=invoice.id)
    assert (stored.balance_minor, stored.insurance_pending_minor, stored.status) == (
        4_000,
        6_000,
        InvoiceStatus.PENDING_INSURANCE,
    )
    assert figures == summarize(await LedgerEntry.filter(invoice_id=invoice.id))
