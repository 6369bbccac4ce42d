"""Demo data for the billing office: a few hundred patients with names, contact details,
addresses, coverages and invoices, so that search, worklists, reports and exports are worth
trying. Deterministic (a seeded random generator), made by the same rules the API uses."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from billing.invoices.rules import (
    NewInsurance,
    NewInvoiceLine,
    create_invoice,
    record_insurance_decision,
)
from billing.ledger.postings import Posting, post_entries
from billing.patients.contact import MailingAddress
from billing.patients.coverages import NewCoverage, replace_coverages
from billing.patients.rules import create_patient, encrypt_mailing_address
from billing.phi_cipher import PhiCipher
from models.enums import AllocationStatus, LedgerEntryKind, PaymentChannel, PaymentStatus
from models.invoices import Invoice
from models.ledger import LedgerEntry
from models.locations import Location
from models.patients import Patient
from models.payments import Payment, PaymentAllocation

OFFICE_PATIENTS = 300

_FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "María",
    "José",
    "Lucía",
    "Wei",
    "Mei",
    "Aisha",
    "Omar",
    "Priya",
    "Arjun",
    "Chloé",
    "Zoë",
    "Siobhán",
    "Seán",
    "Björn",
    "Ingrid",
    "Yuki",
    "Hiroshi",
    "Fatima",
    "Kwame",
    "Amara",
    "Dmitri",
]
_LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodríguez",
    "Martínez",
    "Hernández",
    "López",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Pérez",
    "Thompson",
    "White",
    "Harris",
    "Sánchez",
    "Clark",
    "Ramírez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "O'Brien",
    "Nguyen",
    "Kim",
    "Patel",
    "Müller",
    "Smith-Jones",
    "Okafor",
    "Kowalski",
    "Rossi",
    "Dubois",
]
_STREETS = ("Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Lakeview Rd", "River Rd", "Elm St")
_CITIES = (("Springfield", "IL", "627"), ("Burlington", "VT", "054"), ("Madison", "WI", "537"))
_PAYERS = ("Blue Prairie Health", "Green Mountain Health", "Medicare", "Aetna", "Cigna")
_PROVIDERS = ("Dr. Priya Raman", "Dr. Samuel Okafor", "Dr. Elena Rossi", "Dr. Wei Zhang")
_SERVICES = (
    ("99213", "Office visit, established patient, low", 14000),
    ("99214", "Office visit, established patient, moderate", 18500),
    ("80053", "Comprehensive metabolic panel", 4200),
    ("85025", "Complete blood count", 2800),
    ("87880", "Rapid strep test", 3500),
    ("97110", "Therapeutic exercise, 15 minutes", 6500),
    ("A4253", "Blood glucose test strips, box of 50", 3200),
)


async def seed_office_patients(
    cipher: PhiCipher,
    locations: Sequence[Location],
    today: date,
    recorded_by_id: int,
    count: int = OFFICE_PATIENTS,
) -> int:
    """Create ``count`` patients across ``locations`` with 1 to 3 invoices each
    (open, overdue, waiting on insurance, part paid by check), a few disputed, and one card
    payment Stripe reported with another amount, waiting for review. Call inside the demo's
    transaction. Returns how many patients were made."""
    if count <= 0:
        return 0
    rng = random.Random(20261203)  # noqa: S311 - demo data, not secrets
    made: list[int] = []
    for index in range(count):
        site = locations[index % len(locations)]
        patient = await _patient(cipher, rng, index, site, today)
        made.append(patient.id)
        for number in range(rng.randint(1, 3)):
            await _invoice(rng, patient, site, today, number, recorded_by_id)
    await _flagged_card_payment(locations[0], made)
    return count


async def _patient(
    cipher: PhiCipher, rng: random.Random, index: int, site: Location, today: date
) -> Patient:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    born = today - timedelta(days=rng.randint(18 * 365, 90 * 365))
    city, region, zip_prefix = rng.choice(_CITIES)
    # 555-01XX numbers are reserved for fiction; the area code matches the city.
    area = {"IL": "217", "VT": "802", "WI": "608"}[region]
    patient = await create_patient(
        cipher,
        first,
        last,
        born,
        f"demo.patient{index:03d}@example.com",
        f"+1 {area} 555 01{index % 100:02d}",
        site.id,
    )
    address = MailingAddress(
        line1=f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}",
        line2=None if rng.random() < 0.7 else f"Apt {rng.randint(1, 40)}",
        city=city,
        region=region,
        postal_code=f"{zip_prefix}{rng.randint(0, 99):02d}",
        country="US",
    )
    await Patient.filter(id=patient.id).update(
        mailing_address_ct=encrypt_mailing_address(cipher, address)
    )
    if rng.random() < 0.6:
        payer = rng.choice(_PAYERS)
        member_id = f"{payer[:3].upper()}-{rng.randint(100000, 999999)}"
        await replace_coverages(
            cipher, patient.id, [NewCoverage(payer, member_id, f"G-{rng.randint(10, 99)}", 1)]
        )
    return patient


async def _invoice(
    rng: random.Random,
    patient: Patient,
    site: Location,
    today: date,
    number: int,
    recorded_by_id: int,
) -> None:
    issued = today - timedelta(days=rng.randint(1, 150))
    picked = rng.sample(_SERVICES, rng.randint(1, 3))
    lines = [NewInvoiceLine(code, text, rng.randint(1, 2), price) for code, text, price in picked]
    total = sum(line.quantity * line.unit_price_minor for line in lines)
    insured = rng.random() < 0.4
    invoice = await create_invoice(
        patient.id,
        site.id,
        rng.choice(_PROVIDERS),
        issued - timedelta(days=1),
        issued + timedelta(days=30),
        "USD",
        lines,
        insurance=NewInsurance(rng.choice(_PAYERS), total * 7 // 10) if insured else None,
        issued_at=issued,
    )
    if insured and rng.random() < 0.5:
        covered = total * 7 // 10
        denied = covered // 5 if rng.random() < 0.3 else 0
        await record_insurance_decision(
            invoice.id, covered - denied, denied, dedupe_key=f"demo:eob:{invoice.id}"
        )
    if rng.random() < 0.3:
        await _check_payment(invoice, rng, recorded_by_id)
    if rng.random() < 0.03:
        await Invoice.filter(id=invoice.id).update(disputed=True)
    await _backdate(invoice.id, issued, today)


async def _backdate(invoice_id: int, issued: date, today: date) -> None:
    """The ledger as if it had been kept over time: charges and expected insurance on the
    day of issue, decisions and payments ten days later (never after today), so reports
    by period and "pending with insurance for N days" have something to show."""
    opened = datetime.combine(issued, time(15, 0), UTC)
    later = datetime.combine(min(issued + timedelta(days=10), today), time(16, 0), UTC)
    opening = (LedgerEntryKind.CHARGE, LedgerEntryKind.INSURANCE_EXPECTED)
    await LedgerEntry.filter(invoice_id=invoice_id, kind__in=opening).update(created_at=opened)
    await (
        LedgerEntry.filter(invoice_id=invoice_id).exclude(kind__in=opening).update(created_at=later)
    )


async def _check_payment(invoice: Invoice, rng: random.Random, recorded_by_id: int) -> None:
    row = await Invoice.get(id=invoice.id)
    if row.balance_minor <= 0:
        return
    amount = max(100, row.balance_minor * rng.randint(2, 10) // 10)
    payment = await Payment.create(
        patient_id=row.patient_id,
        channel=PaymentChannel.CHECK,
        status=PaymentStatus.SUCCEEDED,
        amount_minor=amount,
        currency=row.currency,
        offline_reference=f"Check {rng.randint(1000, 9999)}",
        recorded_by_id=recorded_by_id,
    )
    await PaymentAllocation.create(
        payment=payment, invoice=row, amount_minor=amount, status=AllocationStatus.POSTED
    )
    await post_entries(
        row,
        [
            Posting(
                LedgerEntryKind.PAYMENT,
                amount,
                payment_id=payment.id,
                actor_id=recorded_by_id,
                dedupe_key=f"payment:{payment.id}:invoice:{row.id}",
            )
        ],
    )


async def _flagged_card_payment(site: Location, patient_ids: Sequence[int]) -> None:
    """A card payment Stripe reported with less than asked: on staff's review list. It is
    one of the office's patients', so the demo logins' own bills stay free to pay."""
    invoice = (
        await Invoice.filter(
            location_id=site.id,
            patient_id__in=list(patient_ids),
            balance_minor__gt=0,
            reserved_minor=0,
        )
        .order_by("id")
        .first()
    )
    if invoice is None:
        return
    held = invoice.balance_minor
    payment = await Payment.create(
        patient_id=invoice.patient_id,
        channel=PaymentChannel.CARD,
        status=PaymentStatus.PROCESSING,
        amount_minor=held,
        currency=invoice.currency,
        stripe_payment_intent_id=f"pi_demo_review_{invoice.id}",
        review_reason=f"received {held // 200}.00 instead of {held / 100:.2f} USD",
        received_minor=(held // 200) * 100,
        received_currency=invoice.currency,
    )
    await PaymentAllocation.create(payment=payment, invoice=invoice, amount_minor=held)
    await Invoice.filter(id=invoice.id).update(reserved_minor=held)
    await Payment.filter(id=payment.id).update(created_at=datetime.now(UTC) - timedelta(hours=3))
