"""Types built from rows: minor units become Money, enums and IDs survive the trip."""

from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry

from config.settings import Settings
from models.enums import InvoiceStatus, Role
from models.invoices import Invoice as InvoiceRow
from models.invoices import InvoiceLine as InvoiceLineRow
from models.users import User as UserRow
from schema.accounts.types import User
from schema.common.money import Money
from schema.invoices.types import Invoice, InvoiceLine
from schema.root import BillingSchema, schema_extensions


def _invoice_row() -> InvoiceRow:
    return InvoiceRow(
        id=7,
        patient_id=3,
        location_id=2,
        number="A-0007",
        provider_name="Dr. Okafor",
        service_date=datetime.date(2024, 5, 2),
        issued_at=datetime.date(2024, 5, 3),
        due_at=datetime.date(2024, 6, 2),
        currency="USD",
        status=InvoiceStatus.PARTIALLY_PAID,
        total_minor=12540,
        balance_minor=2540,
        insurance_pending_minor=0,
    )


def test_an_invoice_row_becomes_an_invoice(db: None) -> None:
    invoice = Invoice.from_model(_invoice_row())

    assert invoice.id == 7
    assert invoice.status is InvoiceStatus.PARTIALLY_PAID
    assert invoice.total == Money(amount=Decimal("125.40"), currency="USD")
    assert invoice.balance == Money(amount=Decimal("25.40"), currency="USD")
    assert invoice.insurance_pending == Money(amount=Decimal("0.00"), currency="USD")
    assert (invoice.patient_id, invoice.location_id) == (3, 2)


def test_a_line_takes_its_invoice_currency(db: None) -> None:
    row = InvoiceLineRow(
        id=11,
        invoice_id=7,
        position=1,
        code="A4253",
        description="Test strips",
        quantity=2,
        unit_price_minor=1999,
        amount_minor=3998,
        reorderable=True,
        sku="STRIP-50",
    )

    line = InvoiceLine.from_model(row, "USD")

    assert line.unit_price == Money(amount=Decimal("19.99"), currency="USD")
    assert line.amount == Money(amount=Decimal("39.98"), currency="USD")


def test_a_user_row_keeps_its_roles(db: None) -> None:
    row = UserRow(id=5, email="ana@example.org", roles=["billing_staff"], mfa_enabled=True)

    user = User.from_model(row)

    assert user.roles == [Role.BILLING_STAFF]
    assert user.patient_id is None


async def test_money_and_ids_on_the_wire(settings: Settings, db: None) -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def invoice(self) -> Invoice:
            return Invoice.from_model(_invoice_row())

    schema = BillingSchema(query=Query, extensions=schema_extensions(settings))

    result = await schema.execute("{ invoice { id status total { amount currency } } }")

    assert result.errors is None
    assert result.data == {
        "invoice": {
            "id": strawberry.relay.to_base64("Invoice", 7),
            "status": "PARTIALLY_PAID",
            "total": {"amount": "125.40", "currency": "USD"},
        }
    }
