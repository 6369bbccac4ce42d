"""Demo data: two locations, a catalog, three patients with a realistic mix of invoices,
one login per patient and per staff role, and a few hundred more patients for the billing
office (``billing.demo_office``). For local runs and reviews only."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tortoise.transactions import in_transaction

from billing.demo_office import OFFICE_PATIENTS, seed_office_patients
from billing.invoices.rules import (
    NewInsurance,
    NewInvoiceLine,
    create_invoice,
    record_insurance_decision,
)
from billing.ledger.postings import Posting, post_entries
from billing.locations.rules import create_location
from billing.organizations.rules import (
    NewOrganization,
    create_organization,
    create_organization_invoice,
)
from billing.patients.rules import create_patient
from billing.phi_cipher import PhiCipher
from models.enums import (
    AllocationStatus,
    LedgerEntryKind,
    PaymentChannel,
    PaymentStatus,
    Role,
    ShipmentStatus,
)
from models.intake import IntakeLocation
from models.invoices import CatalogItem, Invoice, InvoiceLine
from models.locations import Location
from models.organizations import CollectionsTier
from models.patients import Patient
from models.payments import Payment, PaymentAllocation
from models.shipments import Shipment, ShipmentEvent, ShipmentItem
from models.users import User

PasswordHasher = Callable[[str], Awaitable[str]]

RIVERSIDE = "Riverside Clinic"
LAKESIDE = "Lakeside Medical Supply"
DEMO_LOCATION_CODES = {RIVERSIDE: "RIVERSIDE", LAKESIDE: "LAKESIDE"}

# Fixed so a reviewer can sign in; they are printed by the CLI and exist only in demo data.
_LOGINS: tuple[tuple[str, Role, str], ...] = (
    ("jane.doe@example.com", Role.PATIENT, "demo-patient-jane-4821"),
    ("marcus.lee@example.com", Role.PATIENT, "demo-patient-marcus-7390"),
    ("ana.silva@example.com", Role.PATIENT, "demo-patient-ana-1564"),
    ("billing@example.com", Role.BILLING_STAFF, "demo-billing-staff-2046"),
    ("accountant@example.com", Role.ACCOUNTANT, "demo-accountant-5183"),
    ("admin@example.com", Role.ADMIN, "demo-admin-console-9927"),
    ("auditor@example.com", Role.AUDITOR, "demo-auditor-trail-3308"),
    # Northside Community Hospital's accounts payable, a business customer.
    ("payables@example.com", Role.ORGANIZATION_BILLING, "demo-organization-ap-6612"),
)
NORTHSIDE = "Northside Community Hospital"

_CATALOG: tuple[tuple[str, str, str, int], ...] = (
    ("CGM-SENSOR-10D", "A4239", "Continuous glucose monitor sensor, 10-day", 7500),
    ("TEST-STRIP-50", "A4253", "Blood glucose test strips, box of 50", 3200),
    ("LANCET-100", "A4259", "Lancets, box of 100", 1200),
    ("CPAP-CUSHION", "A7032", "CPAP nasal cushion, replacement", 4500),
)


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """One demo sign-in, printed by the CLI."""

    email: str
    role: Role
    password: str


@dataclass(frozen=True, slots=True)
class DemoLogins:
    """What ``seed_demo`` did: ``created`` is false when demo data was already there."""

    created: bool
    message: str
    logins: tuple[DemoLogin, ...] = ()


async def seed_demo(
    cipher: PhiCipher, password_hasher: PasswordHasher, *, office_patients: int = OFFICE_PATIENTS
) -> DemoLogins:
    """Create the demo data in one transaction, unless a demo location already exists.

    ``password_hasher`` turns a password into the stored hash (argon2 from ``auth/``).
    ``office_patients`` more patients fill the billing office's lists (0 for none).
    """
    if await _already_seeded():
        return DemoLogins(False, "Demo data already exists; nothing was created.")
    hashes = {email: await password_hasher(password) for email, _, password in _LOGINS}
    today = date.today()
    async with in_transaction():
        riverside = await create_location(
            RIVERSIDE, "America/Chicago", "1200 River Road, Springfield, IL 62701"
        )
        lakeside = await create_location(
            LAKESIDE, "America/New_York", "45 Lakeshore Drive, Burlington, VT 05401"
        )
        # The codes a clinical system names them by (``urn:billing:location``).
        await IntakeLocation.bulk_create(
            [
                IntakeLocation(code=DEMO_LOCATION_CODES[RIVERSIDE], location_id=riverside.id),
                IntakeLocation(code=DEMO_LOCATION_CODES[LAKESIDE], location_id=lakeside.id),
            ]
        )
        await CatalogItem.bulk_create(
            [
                CatalogItem(
                    sku=sku, code=code, description=text, unit_price_minor=price, currency="USD"
                )
                for sku, code, text, price in _CATALOG
            ]
        )
        jane = await create_patient(
            cipher,
            first_name="Jane",
            last_name="Doe",
            date_of_birth=date(1985, 4, 12),
            email="jane.doe@example.com",
            phone="+1 312 555 0142",
            location_id=riverside.id,
            insurance_member_id="BPH-448812",
        )
        marcus = await create_patient(
            cipher,
            first_name="Marcus",
            last_name="Lee",
            date_of_birth=date(1972, 11, 3),
            email="marcus.lee@example.com",
            phone="+1 312 555 0178",
            location_id=riverside.id,
        )
        ana = await create_patient(
            cipher,
            first_name="Ana",
            last_name="Silva",
            date_of_birth=date(1990, 7, 21),
            email="ana.silva@example.com",
            phone="+1 802 555 0133",
            location_id=lakeside.id,
            insurance_member_id="GMH-902214",
        )
        northside = await create_organization(
            NewOrganization(
                name=NORTHSIDE,
                billing_email="payables@example.com",
                payment_terms_days=30,
                credit_limit=Decimal("25000.00"),
                currency="USD",
                collections_tier=CollectionsTier.STANDARD,
                requires_purchase_order=True,
            )
        )
        users = await _create_users(hashes, [jane, marcus, ana], northside.id)
        await _northside_invoices(northside.id, lakeside.id, today)
        await _jane_invoices(jane, riverside.id, today)
        await _marcus_invoices(marcus, riverside.id, today, recorded_by=users[Role.BILLING_STAFF])
        await _ana_supply_order(ana, lakeside.id, today)
        await seed_office_patients(
            cipher, [riverside, lakeside], today, users[Role.BILLING_STAFF].id, office_patients
        )
    logins = tuple(DemoLogin(email, role, password) for email, role, password in _LOGINS)
    return DemoLogins(True, "Demo data created.", logins)


async def _already_seeded() -> bool:
    if await Location.filter(name__in=[RIVERSIDE, LAKESIDE]).exists():
        return True
    return await User.filter(email__in=[email for email, _, _ in _LOGINS]).exists()


async def _create_users(
    hashes: dict[str, str], patients: list[Patient], organization_id: int
) -> dict[Role, User]:
    staff: dict[Role, User] = {}
    patient_of = dict(
        zip([email for email, role, _ in _LOGINS if role is Role.PATIENT], patients, strict=True)
    )
    for email, role, _password in _LOGINS:
        user = await User.create(
            email=email,
            password_hash=hashes[email],
            roles=[role.value],
            patient=patient_of.get(email),
            organization_id=organization_id if role is Role.ORGANIZATION_BILLING else None,
        )
        if role is not Role.PATIENT:
            staff[role] = user
    return staff


async def _northside_invoices(organization_id: int, location_id: int, today: date) -> None:
    # Two supply orders on net 30, against purchase orders, one of them past due.
    for days_ago, purchase_order, lines in (
        (45, "NCH-PO-1187", [NewInvoiceLine("A4253", "Blood glucose test strips, case", 20, 3200)]),
        (5, "NCH-PO-1215", [NewInvoiceLine("A7032", "CPAP nasal cushions, case", 10, 4500)]),
    ):
        await create_organization_invoice(
            organization_id,
            location_id,
            purchase_order,
            "USD",
            lines,
            today=today - timedelta(days=days_ago),
        )


async def _jane_invoices(jane: Patient, location_id: int, today: date) -> None:
    # Just seen: the insurer has not decided yet.
    await create_invoice(
        jane.id,
        location_id,
        provider_name="Dr. Priya Raman",
        service_date=today - timedelta(days=10),
        due_at=today + timedelta(days=20),
        currency="USD",
        lines=[
            NewInvoiceLine("99214", "Office visit, established patient, moderate", 1, 18500),
            NewInvoiceLine("80053", "Comprehensive metabolic panel", 1, 4200),
        ],
        insurance=NewInsurance("Blue Prairie Health", 17000),
        issued_at=today - timedelta(days=9),
    )
    # Decided: part paid, part denied and now owed by the patient.
    decided = await create_invoice(
        jane.id,
        location_id,
        provider_name="Dr. Priya Raman",
        service_date=today - timedelta(days=60),
        due_at=today + timedelta(days=2),
        currency="USD",
        lines=[
            NewInvoiceLine("99213", "Office visit, established patient, low", 1, 14000),
            NewInvoiceLine("87880", "Rapid strep test", 1, 3500),
        ],
        insurance=NewInsurance("Blue Prairie Health", 14000),
        issued_at=today - timedelta(days=58),
    )
    await record_insurance_decision(decided.id, 11000, 3000, dedupe_key="demo:eob:jane-1")


async def _marcus_invoices(
    marcus: Patient, location_id: int, today: date, *, recorded_by: User
) -> None:
    therapy = await create_invoice(
        marcus.id,
        location_id,
        provider_name="Dr. Samuel Okafor",
        service_date=today - timedelta(days=21),
        due_at=today + timedelta(days=9),
        currency="USD",
        lines=[
            NewInvoiceLine("97110", "Therapeutic exercise, 15 minutes", 4, 6500),
            NewInvoiceLine("97140", "Manual therapy, 15 minutes", 2, 5500),
        ],
        issued_at=today - timedelta(days=20),
    )
    await _record_check_payment(therapy, 15000, "Check 1042", recorded_by)
    # Overdue: due forty days ago, nothing paid.
    await create_invoice(
        marcus.id,
        location_id,
        provider_name="Dr. Samuel Okafor",
        service_date=today - timedelta(days=75),
        due_at=today - timedelta(days=40),
        currency="USD",
        lines=[NewInvoiceLine("99203", "Office visit, new patient, low", 1, 16500)],
        issued_at=today - timedelta(days=70),
    )


async def _ana_supply_order(ana: Patient, location_id: int, today: date) -> None:
    catalog = {item.sku: item for item in await CatalogItem.all()}
    lines = [
        NewInvoiceLine(item.code, item.description, quantity, item.unit_price_minor, True, sku)
        for sku, quantity in (("CGM-SENSOR-10D", 3), ("TEST-STRIP-50", 2), ("LANCET-100", 1))
        for item in [catalog[sku]]
    ]
    order = await create_invoice(
        ana.id,
        location_id,
        provider_name=LAKESIDE,
        service_date=today - timedelta(days=4),
        due_at=today + timedelta(days=26),
        currency="USD",
        lines=lines,
        insurance=NewInsurance("Green Mountain Health", 24000),
        issued_at=today - timedelta(days=4),
    )
    await record_insurance_decision(order.id, 24000, 0, dedupe_key="demo:eob:ana-1")
    now = datetime.now(UTC)
    shipment = await Shipment.create(
        invoice=order,
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        status=ShipmentStatus.IN_TRANSIT,
        status_at=now - timedelta(days=2),
        estimated_delivery=today + timedelta(days=1),
    )
    for line in await InvoiceLine.filter(invoice_id=order.id).order_by("position"):
        await ShipmentItem.create(shipment=shipment, line=line, quantity=line.quantity)
    for days_ago, status, text, place in (
        (3, ShipmentStatus.LABEL_CREATED, "Shipping label created", "Burlington, VT"),
        (2, ShipmentStatus.IN_TRANSIT, "Departed facility", "Albany, NY"),
    ):
        await ShipmentEvent.create(
            shipment=shipment,
            occurred_at=now - timedelta(days=days_ago),
            status=status,
            description=text,
            location=place,
            dedupe_key=hashlib.sha256(
                f"demo:{shipment.tracking_number}:{status}".encode()
            ).hexdigest(),
        )


async def _record_check_payment(
    invoice: Invoice, amount_minor: int, reference: str, recorded_by: User
) -> None:
    payment = await Payment.create(
        patient_id=invoice.patient_id,
        channel=PaymentChannel.CHECK,
        status=PaymentStatus.SUCCEEDED,
        amount_minor=amount_minor,
        currency=invoice.currency,
        offline_reference=reference,
        recorded_by=recorded_by,
    )
    await PaymentAllocation.create(
        payment=payment, invoice=invoice, amount_minor=amount_minor, status=AllocationStatus.POSTED
    )
    posting = Posting(
        LedgerEntryKind.PAYMENT,
        amount_minor,
        payment_id=payment.id,
        actor_id=recorded_by.id,
        dedupe_key=f"payment:{payment.id}:invoice:{invoice.id}",
    )
    await post_entries(invoice, [posting])
