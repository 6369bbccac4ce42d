"""Organizations, their billing users and invoices, made by ``billing.organizations``."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

from auth.sessions import SessionScope, create_session
from billing.invoices.rules import NewInvoiceLine
from billing.organizations.rules import (
    NewOrganization,
    create_organization,
    create_organization_invoice,
)
from models.enums import Role
from models.invoices import Invoice
from models.organizations import CollectionsTier, Organization
from models.users import User
from tests.support.factories.auth import password_hash
from tests.support.factories.invoices import Caller

_serial = itertools.count(1)


async def organization(
    name: str | None = None,
    *,
    terms_days: int = 30,
    credit_limit: str = "10000.00",
    tier: CollectionsTier = CollectionsTier.STANDARD,
    requires_purchase_order: bool = False,
) -> Organization:
    return await create_organization(
        NewOrganization(
            name=name or f"Mercy Hospital {next(_serial)}",
            billing_email="ap@mercy.example.org",
            payment_terms_days=terms_days,
            credit_limit=Decimal(credit_limit),
            currency="USD",
            collections_tier=tier,
            requires_purchase_order=requires_purchase_order,
        )
    )


async def organization_invoice(
    organization_id: int,
    location_id: int,
    *,
    prices_minor: tuple[int, ...] = (100_000,),
    purchase_order: str | None = "PO-1",
    today: date | None = None,
) -> Invoice:
    lines = [
        NewInvoiceLine(
            code=f"SUP-{i}", description=f"Gloves, case {i}", quantity=1, unit_price_minor=p
        )
        for i, p in enumerate(prices_minor)
    ]
    return await create_organization_invoice(
        organization_id, location_id, purchase_order, "USD", lines, today=today
    )


async def organization_caller(organization_id: int) -> Caller:
    """An organization's billing user with a full session (its MFA done)."""
    user = await User.create(
        email=f"ap-{next(_serial)}@example.org",
        password_hash=password_hash(),
        roles=[Role.ORGANIZATION_BILLING.value],
        organization_id=organization_id,
        mfa_enabled=True,
    )
    session = await create_session(user.id, scope=SessionScope.FULL, now=datetime.now(UTC))
    return Caller(user.id, session.access_token)
