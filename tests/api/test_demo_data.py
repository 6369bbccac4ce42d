"""The demo data: seeded once, and every invoice's cached figures match its ledger."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from billing.demo import LAKESIDE, RIVERSIDE, seed_demo
from billing.demo_office import OFFICE_PATIENTS
from billing.ledger.figures import summarize
from billing.patients.rules import display_name, read_patient_profile
from billing.phi_cipher import PhiCipher
from models.enums import AllocationStatus, InvoiceStatus, PaymentChannel, Role
from models.intake import IntakeLocation
from models.invoices import CatalogItem, Invoice
from models.ledger import LedgerEntry
from models.locations import Location
from models.patients import Coverage, Patient
from models.payments import Payment, PaymentAllocation
from models.shipments import Shipment, ShipmentEvent
from models.users import User

MODELS = (Location, CatalogItem, Patient, User, Invoice, LedgerEntry, Payment, Shipment)


@pytest.fixture
def cipher() -> PhiCipher:
    return PhiCipher.from_setting(f"demo:{base64.b64encode(b'd' * 32).decode()}")


async def fake_hasher(password: str) -> str:
    return f"fake-hash:{len(password)}"


async def _counts() -> dict[str, int]:
    return {model.__name__: await model.all().count() for model in MODELS}


async def test_seeding_twice_creates_nothing_the_second_time(db: None, cipher: PhiCipher) -> None:
    first = await seed_demo(cipher, fake_hasher)
    counts = await _counts()

    second = await seed_demo(cipher, fake_hasher)

    assert first.created
    assert not second.created
    assert "already" in second.message
    assert second.logins == ()
    assert await _counts() == counts


async def test_demo_logins_cover_every_role(db: None, cipher: PhiCipher) -> None:
    result = await seed_demo(cipher, fake_hasher)

    assert {login.role for login in result.logins} == set(Role)
    assert all(len(login.password) >= 16 for login in result.logins)
    for login in result.logins:
        user = await User.get(email=login.email)
        assert user.roles == [login.role.value]
        assert user.password_hash == f"fake-hash:{len(login.password)}"
        linked = await Patient.filter(user__id=user.id).exists()
        assert linked == (login.role is Role.PATIENT)


async def test_demo_invoice_figures_match_their_ledger(db: None, cipher: PhiCipher) -> None:
    await seed_demo(cipher, fake_hasher)

    invoices = await Invoice.all()
    assert len(invoices) >= 5
    for invoice in invoices:
        figures = summarize(await LedgerEntry.filter(invoice_id=invoice.id))
        assert (invoice.status, invoice.total_minor, invoice.balance_minor) == (
            figures.status,
            figures.total,
            figures.balance,
        )
        assert invoice.insurance_pending_minor == figures.insurance_pending
    statuses = {invoice.status for invoice in invoices}
    assert {InvoiceStatus.PENDING_INSURANCE, InvoiceStatus.PARTIALLY_PAID} <= statuses
    assert any(i.due_at < date.today() and i.balance_minor > 0 for i in invoices)


async def test_demo_has_locations_a_check_payment_and_a_tracked_shipment(
    db: None, cipher: PhiCipher
) -> None:
    await seed_demo(cipher, fake_hasher)

    zones = dict(await Location.all().values_list("name", "timezone"))
    assert zones == {RIVERSIDE: "America/Chicago", LAKESIDE: "America/New_York"}
    codes = dict(await IntakeLocation.all().values_list("code", "location__name"))
    assert codes == {"RIVERSIDE": RIVERSIDE, "LAKESIDE": LAKESIDE}
    payment = await Payment.get(channel=PaymentChannel.CHECK, offline_reference="Check 1042")
    allocation = await PaymentAllocation.get(payment_id=payment.id)
    assert allocation.status is AllocationStatus.POSTED
    assert await LedgerEntry.filter(payment_id=payment.id).count() == 1
    shipment = await Shipment.first()
    assert shipment is not None
    assert await ShipmentEvent.filter(shipment_id=shipment.id).count() == 2
    with_logins = await Patient.filter(user__id__isnull=False)
    names = sorted(display_name(read_patient_profile(cipher, p)) for p in with_logins)
    assert names == ["Ana S.", "Jane D.", "Marcus L."]


async def test_demo_has_a_few_hundred_patients_worth_searching(db: None, cipher: PhiCipher) -> None:
    await seed_demo(cipher, fake_hasher)

    patients = await Patient.all()
    assert len(patients) == OFFICE_PATIENTS + 3
    assert len({patient.account_number for patient in patients}) == len(patients)
    assert all(patient.last_name_lookup and patient.phone_lookup for patient in patients)
    profiles = [read_patient_profile(cipher, patient) for patient in patients]
    assert sum(profile.mailing_address is not None for profile in profiles) == OFFICE_PATIENTS
    last_names = {profile.last_name for profile in profiles}
    assert len(last_names) > 20
    # Several patients share a last name, so a search by name alone finds more than one.
    smiths = [profile for profile in profiles if profile.last_name == "Smith"]
    assert len(smiths) > 1
    assert await Coverage.all().count() > OFFICE_PATIENTS // 3
    assert await Invoice.filter(patient_id__in=[p.id for p in patients[3:]]).count() >= 300
    flagged = await Payment.filter(review_reason__isnull=False)
    assert len(flagged) == 1
    assert await Invoice.filter(disputed=True).exists()
