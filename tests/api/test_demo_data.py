"""The demo data: seeded once, and every invoice's cached figures match its ledger."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from billing.demo import LAKESIDE, RIVERSIDE, seed_demo
from billing.ledger.figures import summarize
from billing.patients.rules import display_name, read_patient_profile
from billing.phi_cipher import PhiCipher
from models.enums import AllocationStatus, InvoiceStatus, PaymentChannel, Role
from models.invoices import CatalogItem, Invoice
from models.ledger import LedgerEntry
from models.locations import Location
from models.patients import Patient
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
    payment = await Payment.get(channel=PaymentChannel.CHECK)
    allocation = await PaymentAllocation.get(payment_id=payment.id)
    assert allocation.status is AllocationStatus.POSTED
    assert await LedgerEntry.filter(payment_id=payment.id).count() == 1
    shipment = await Shipment.first()
    assert shipment is not None
    assert await ShipmentEvent.filter(shipment_id=shipment.id).count() == 2
    names = sorted(display_name(read_patient_profile(cipher, p)) for p in await Patient.all())
    assert names == ["Ana S.", "Jane D.", "Marcus L."]
