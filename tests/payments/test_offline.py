"""Recording offline payments in ``billing``: the ledger row and allocation they write, the
excess that goes to credit, and the input refused before anything is written."""

from __future__ import annotations

from datetime import date

import pytest

from billing.errors import DomainError, ErrorCode
from billing.invoices.rules import NewInvoiceLine, create_invoice
from billing.ledger.credits import patient_credit_balance
from billing.ledger.postings import Posting, post_entries
from billing.money import MAX_AMOUNT_MINOR
from billing.payments.offline import record_offline_payment
from models.enums import AllocationStatus, LedgerEntryKind, PaymentChannel, PaymentStatus
from models.invoices import Invoice
from models.ledger import LedgerEntry
from models.locations import Location
from models.patients import Patient
from models.payments import Payment, PaymentAllocation
from tests.support.factories.invoices import billed_patient

K = LedgerEntryKind
CHECK = PaymentChannel.CHECK


async def _invoice(price_minor: int = 10_000) -> Invoice:
    location = await Location.create(name="Riverside Clinic", timezone="America/Chicago")
    patient = await Patient.create(first_name_ct="x", last_name_ct="x", date_of_birth_ct="x")
    return await create_invoice(
        patient.id,
        location.id,
        "Dr. Priya Raman",
        date(2025, 3, 1),
        date(2025, 4, 1),
        "USD",
        [NewInvoiceLine("99214", "Office visit", 1, price_minor)],
        issued_at=date(2025, 3, 2),
    )


async def test_a_check_writes_a_payment_a_posted_allocation_and_a_ledger_row(db: None) -> None:
    invoice = await _invoice()

    payment = await record_offline_payment(invoice.id, 4_000, CHECK, " 1042 ", actor_id=None)

    assert (payment.status, payment.channel, payment.amount_minor, payment.currency) == (
        PaymentStatus.SUCCEEDED,
        CHECK,
        4_000,
        "USD",
    )
    assert (payment.patient_id, payment.offline_reference) == (invoice.patient_id, "1042")
    [allocation] = await PaymentAllocation.filter(payment_id=payment.id)
    assert (allocation.invoice_id, allocation.amount_minor, allocation.status) == (
        invoice.id,
        4_000,
        AllocationStatus.POSTED,
    )
    [row] = await LedgerEntry.filter(invoice_id=invoice.id, kind=K.PAYMENT)
    assert (row.amount_minor, row.payment_id) == (4_000, payment.id)
    assert row.dedupe_key == f"payment:{payment.id}:invoice:{invoice.id}"
    assert (await Invoice.get(id=invoice.id)).balance_minor == 6_000


async def test_the_excess_goes_to_credit_and_the_allocation_keeps_what_reached_the_invoice(
    db: None,
) -> None:
    invoice = await _invoice()
    await record_offline_payment(invoice.id, 9_000, PaymentChannel.CASH, None, actor_id=None)

    payment = await record_offline_payment(invoice.id, 2_500, CHECK, "1043", actor_id=None)

    [allocation] = await PaymentAllocation.filter(payment_id=payment.id)
    assert allocation.amount_minor == 1_000
    assert await patient_credit_balance(billed_patient(invoice), "USD") == 1_500
    assert (await Invoice.get(id=invoice.id)).balance_minor == 0


async def test_a_payment_on_a_paid_invoice_goes_wholly_to_credit(db: None) -> None:
    invoice = await _invoice()
    await record_offline_payment(invoice.id, 10_000, CHECK, "1", actor_id=None)

    payment = await record_offline_payment(invoice.id, 700, CHECK, "2", actor_id=None)

    [allocation] = await PaymentAllocation.filter(payment_id=payment.id)
    assert allocation.amount_minor == 0
    assert await patient_credit_balance(billed_patient(invoice), "USD") == 700


@pytest.mark.parametrize("amount", [0, -1, MAX_AMOUNT_MINOR + 1, True])
async def test_an_amount_that_is_not_positive_is_refused(db: None, amount: int) -> None:
    invoice = await _invoice()

    with pytest.raises(DomainError) as refused:
        await record_offline_payment(invoice.id, amount, CHECK, "1042", actor_id=None)

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_AMOUNT, "amount_minor")
    assert not await Payment.exists()


async def test_card_and_credit_channels_are_not_offline(db: None) -> None:
    invoice = await _invoice()

    for channel in (PaymentChannel.CARD, PaymentChannel.CREDIT_BALANCE):
        with pytest.raises(DomainError) as refused:
            await record_offline_payment(invoice.id, 100, channel, "x", actor_id=None)
        assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "method")


async def test_a_void_invoice_is_refused_and_nothing_is_written(db: None) -> None:
    invoice = await _invoice()
    await post_entries(invoice, [Posting(K.VOID, 0)])

    with pytest.raises(DomainError) as refused:
        await record_offline_payment(invoice.id, 100, CHECK, "1042", actor_id=None)

    assert refused.value.code is ErrorCode.INVOICE_NOT_PAYABLE
    assert not await Payment.exists()
    assert not await LedgerEntry.filter(invoice_id=invoice.id, kind=K.PAYMENT).exists()


async def test_a_missing_invoice_is_not_found(db: None) -> None:
    with pytest.raises(DomainError) as refused:
        await record_offline_payment(1, 100, CHECK, "1042", actor_id=None)

    assert (refused.value.code, refused.value.field) == (ErrorCode.NOT_FOUND, "invoice_id")
