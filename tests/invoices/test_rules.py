"""Creating invoices, numbering them per location, insurance decisions and adjustments."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

import billing.invoices.rules
from billing.errors import DomainError, ErrorCode
from billing.invoices.rules import (
    NewInsurance,
    NewInvoiceLine,
    adjust_invoice,
    create_invoice,
    record_insurance_decision,
)
from billing.ledger.credits import patient_credit_balance
from billing.ledger.figures import summarize
from billing.ledger.postings import Posting, post_entries
from models.enums import InvoiceStatus, LedgerEntryKind
from models.invoices import Invoice, InvoiceLine
from models.ledger import LedgerEntry
from models.locations import Location
from models.patients import Patient
from tests.support.factories.invoices import billed_patient

K = LedgerEntryKind
VISIT = NewInvoiceLine("99214", "Office visit", 1, 18_500)
STRIPS = NewInvoiceLine("A4253", "Test strips", 3, 3_200, reorderable=True, sku="TEST-STRIP-50")


async def _site() -> tuple[int, int]:
    location = await Location.create(name="Riverside Clinic", timezone="America/Chicago")
    patient = await Patient.create(first_name_ct="x", last_name_ct="x", date_of_birth_ct="x")
    return patient.id, location.id


async def _create(patient_id: int, location_id: int, **overrides: Any) -> Invoice:
    arguments: dict[str, Any] = {
        "provider_name": "Dr. Priya Raman",
        "service_date": date(2025, 3, 1),
        "due_at": date(2025, 4, 1),
        "currency": "usd",
        "lines": [VISIT, STRIPS],
        "insurance": None,
        "issued_at": date(2025, 3, 2),
    }
    arguments.update(overrides)
    return await create_invoice(patient_id, location_id, **arguments)


async def test_an_insured_invoice_gets_lines_charges_and_expected_insurance(db: None) -> None:
    patient_id, location_id = await _site()

    invoice = await _create(
        patient_id, location_id, insurance=NewInsurance("Blue Prairie Health", 20_000)
    )

    assert invoice.number == f"L{location_id}-000001"
    assert invoice.currency == "USD"
    lines = await InvoiceLine.filter(invoice_id=invoice.id).order_by("position")
    assert [(line.position, line.amount_minor, line.sku) for line in lines] == [
        (0, 18_500, None),
        (1, 9_600, "TEST-STRIP-50"),
    ]
    rows = await LedgerEntry.filter(invoice_id=invoice.id)
    assert sorted((row.kind, row.amount_minor) for row in rows) == [
        (K.CHARGE, 9_600),
        (K.CHARGE, 18_500),
        (K.INSURANCE_EXPECTED, 20_000),
    ]
    stored = await Invoice.get(id=invoice.id)
    assert (stored.status, stored.total_minor, stored.balance_minor) == (
        InvoiceStatus.PENDING_INSURANCE,
        28_100,
        8_100,
    )
    assert stored.insurance_pending_minor == 20_000
    assert stored.insurance_payer_name == "Blue Prairie Health"


async def test_issued_at_defaults_to_today_at_the_location(db: None) -> None:
    patient_id, location_id = await _site()

    invoice = await _create(patient_id, location_id, issued_at=None, due_at=date(2999, 1, 1))

    assert abs((invoice.issued_at - date.today()).days) <= 1


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"lines": []}, ErrorCode.INVALID_INPUT, "lines"),
        ({"lines": [VISIT, replace(STRIPS, quantity=0)]}, ErrorCode.INVALID_QUANTITY,
         "lines.1.quantity"),
        ({"lines": [replace(VISIT, quantity=-2)]}, ErrorCode.INVALID_QUANTITY, "lines.0.quantity"),
        ({"lines": [replace(VISIT, unit_price_minor=-1)]}, ErrorCode.INVALID_AMOUNT,
         "lines.0.unit_price_minor"),
        ({"lines": [replace(VISIT, code=" ")]}, ErrorCode.INVALID_INPUT, "lines.0.code"),
        ({"currency": "XYZ"}, ErrorCode.UNKNOWN_CURRENCY, "currency"),
        ({"insurance": NewInsurance("Payer", 28_101)}, ErrorCode.COVERED_AMOUNT_TOO_HIGH,
         "insurance.covered_minor"),
        ({"insurance": NewInsurance("Payer", 0)}, ErrorCode.INVALID_AMOUNT,
         "insurance.covered_minor"),
        ({"insurance": NewInsurance("", 100)}, ErrorCode.INVALID_INPUT, "insurance.payer_name"),
        ({"provider_name": ""}, ErrorCode.INVALID_INPUT, "provider_name"),
        ({"due_at": date(2025, 3, 1)}, ErrorCode.INVALID_INPUT, "due_at"),
    ],
)  # fmt: skip
async def test_invalid_input_names_the_offending_field(
    db: None, overrides: dict[str, Any], code: ErrorCode, field: str
) -> None:
    patient_id, location_id = await _site()

    with pytest.raises(DomainError) as caught:
        await _create(patient_id, location_id, **overrides)

    assert (caught.value.code, caught.value.field) == (code, field)
    assert await Invoice.all().count() == 0
    assert (await Location.get(id=location_id)).last_invoice_number == 0


async def test_unknown_patient_or_location_is_not_found(db: None) -> None:
    patient_id, location_id = await _site()

    with pytest.raises(DomainError) as caught:
        await _create(patient_id + 1000, location_id)
    assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, "patient_id")

    with pytest.raises(DomainError) as caught:
        await _create(patient_id, location_id + 1000)
    assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, "location_id")


async def test_a_failure_after_numbering_leaves_nothing_behind(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient_id, location_id = await _site()
    await _create(patient_id, location_id)

    async def failing_post(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(billing.invoices.rules, "post_entries", failing_post)
    with pytest.raises(RuntimeError):
        await _create(patient_id, location_id)

    assert await Invoice.all().count() == 1
    assert await InvoiceLine.all().count() == 2
    assert (await Location.get(id=location_id)).last_invoice_number == 1


async def test_concurrent_invoices_get_distinct_consecutive_numbers(db: None) -> None:
    patient_id, location_id = await _site()
    other = await Location.create(name="Lakeside Medical Supply", timezone="America/New_York")

    invoices = await asyncio.gather(*(_create(patient_id, location_id) for _ in range(20)))
    elsewhere = await _create(patient_id, other.id)

    assert sorted(invoice.number for invoice in invoices) == [
        f"L{location_id}-{n:06d}" for n in range(1, 21)
    ]
    assert elsewhere.number == f"L{other.id}-000001"
    assert (await Location.get(id=location_id)).last_invoice_number == 20


async def test_an_insurance_decision_moves_the_denied_part_to_the_patient(db: None) -> None:
    patient_id, location_id = await _site()
    invoice = await _create(patient_id, location_id, insurance=NewInsurance("Payer", 20_000))

    decided = await record_insurance_decision(invoice.id, 15_000, 5_000, dedupe_key="eob:1")
    again = await record_insurance_decision(invoice.id, 15_000, 5_000, dedupe_key="eob:1")

    assert (decided.status, decided.balance_minor, decided.insurance_pending_minor) == (
        InvoiceStatus.OPEN,
        13_100,
        0,
    )
    assert again.balance_minor == 13_100
    assert await LedgerEntry.filter(invoice_id=invoice.id, kind=K.INSURANCE_PAID).count() == 1


async def test_a_partial_decision_keeps_the_rest_pending(db: None) -> None:
    patient_id, location_id = await _site()
    invoice = await _create(patient_id, location_id, insurance=NewInsurance("Payer", 20_000))

    decided = await record_insurance_decision(invoice.id, 12_000, 0)

    assert (decided.status, decided.insurance_pending_minor, decided.balance_minor) == (
        InvoiceStatus.PENDING_INSURANCE,
        8_000,
        8_100,
    )


@pytest.mark.parametrize(
    ("paid", "denied", "code"),
    [
        (15_000, 5_001, ErrorCode.INVALID_AMOUNT),
        (-1, 100, ErrorCode.INVALID_AMOUNT),
        (0, 0, ErrorCode.INVALID_AMOUNT),
    ],
)
async def test_an_impossible_decision_is_refused(
    db: None, paid: int, denied: int, code: ErrorCode
) -> None:
    patient_id, location_id = await _site()
    invoice = await _create(patient_id, location_id, insurance=NewInsurance("Payer", 20_000))

    with pytest.raises(DomainError) as caught:
        await record_insurance_decision(invoice.id, paid, denied)

    assert caught.value.code is code


async def test_a_decision_without_pending_insurance_is_refused(db: None) -> None:
    patient_id, location_id = await _site()
    invoice = await _create(patient_id, location_id)

    with pytest.raises(DomainError) as caught:
        await record_insurance_decision(invoice.id, 100, 0)

    assert caught.value.code is ErrorCode.NO_INSURANCE_PENDING


async def test_adjustments_are_signed_ledger_rows(db: None) -> None:
    patient_id, location_id = await _site()
    invoice = await _create(patient_id, location_id)

    fee = await adjust_invoice(invoice.id, 2_500, "Late fee", actor_id=7)
    assert (fee.total_minor, fee.balance_minor) == (30_600, 30_600)

    discount = await adjust_invoice(invoice.id, -600, "Prompt-pay discount", actor_id=7)
    assert (discount.total_minor, discount.balance_minor) == (30_000, 30_000)
    row = await LedgerEntry.get(invoice_id=invoice.id, amount_minor=-600)
    assert (row.kind, row.reason, row.actor_id) == (K.ADJUSTMENT, "Prompt-pay discount", 7)


async def test_a_write_off_after_payment_returns_the_excess_as_credit(db: None) -> None:
    patient_id, location_id = await _site()
    invoice = await _create(patient_id, location_id)
    await post_entries(invoice, [Posting(K.PAYMENT, 28_100)])

    adjusted = await adjust_invoice(invoice.id, -5_000, "Billing error", actor_id=None)

    assert (adjusted.balance_minor, adjusted.status) == (0, InvoiceStatus.PAID)
    assert await patient_credit_balance(billed_patient(invoice), "USD") == 5_000
    rows = await LedgerEntry.filter(invoice_id=invoice.id)
    assert summarize(rows).paid == 23_100


@pytest.mark.parametrize(
    ("amount", "reason", "code", "field"),
    [
        (0, "x", ErrorCode.INVALID_AMOUNT, "amount_minor"),
        (100, "  ", ErrorCode.INVALID_INPUT, "reason"),
        (-28_101, "Too much", ErrorCode.INVALID_AMOUNT, "amount_minor"),
    ],
)
async def test_an_invalid_adjustment_is_refused(
    db: None, amount: int, reason: str, code: ErrorCode, field: str
) -> None:
    patient_id, location_id = await _site()
    invoice = await _create(patient_id, location_id)

    with pytest.raises(DomainError) as caught:
        await adjust_invoice(invoice.id, amount, reason, actor_id=None)

    assert (caught.value.code, caught.value.field) == (code, field)


async def test_an_unknown_invoice_is_not_found(db: None) -> None:
    with pytest.raises(DomainError) as caught:
        await adjust_invoice(123_456, 100, "Fee", actor_id=None)

    assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, "invoice_id")
