"""Data shared by the ``test_plans_*``, ``test_notifications_*`` and ``test_graphql_plans``
modules (no tests here): saved-card rows, plans made by ``billing.plans.rules``, patients whose
contact details are encrypted with the API's cipher, and the state of a plan at a glance."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from billing.patients.rules import create_patient
from billing.plans.quotes import PlanRules
from billing.plans.rules import create_payment_plan
from config.settings import Settings
from models.enums import InstallmentStatus
from models.locations import Location
from models.patients import Patient
from models.payments import PaymentMethod
from models.plans import Installment, PaymentPlan
from tests.support.factories.accounts import api_cipher

RULES = PlanRules()
_serial = itertools.count(1)


async def card_row(patient_id: int, *, stripe_id: str | None = None) -> PaymentMethod:
    """A saved card as ``billing.payments.saved_cards.save_card`` keeps it, for tests that never
    charge it (the scheduler's tests save real cards at the Stripe simulator)."""
    return await PaymentMethod.create(
        patient_id=patient_id,
        stripe_payment_method_id=stripe_id or f"pm_row_{next(_serial)}",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2099,
        is_default=not await PaymentMethod.exists(patient_id=patient_id, is_default=True),
    )


async def plan(
    patient_id: int,
    invoice_ids: list[int],
    monthly: str,
    *,
    card_id: int | None = None,
    start_on: date | None = None,
    rules: PlanRules = RULES,
) -> PaymentPlan:
    """A plan set up as ``createPaymentPlan`` sets it up."""
    if card_id is None:
        card_id = (await card_row(patient_id)).id
    return await create_payment_plan(
        patient_id, invoice_ids, Decimal(monthly), card_id, start_on, rules
    )


async def contactable_patient(
    settings: Settings,
    location: Location,
    *,
    first_name: str = "Rosalind",
    last_name: str = "Franklin",
    email: str | None = "rosalind@example.org",
    phone: str | None = "+1 312 555 0199",
    sms_consent: bool = True,
) -> Patient:
    """A patient made by ``billing.patients.rules.create_patient`` with the API's cipher, so the
    outbox can decrypt their address; the time zone is the location's."""
    patient = await create_patient(
        api_cipher(settings),
        first_name,
        last_name,
        date(1980, 7, 25),
        email,
        phone,
        location.id,
    )
    if sms_consent:
        await Patient.filter(id=patient.id).update(sms_consent=True)
        patient.sms_consent = True
    return patient


async def installment_rows(plan_id: int) -> list[Installment]:
    return await Installment.filter(plan_id=plan_id).order_by("sequence")


async def unpaid_amounts(plan_id: int) -> list[int]:
    """The amounts the plan still means to collect, in order."""
    return [
        row.amount_minor
        for row in await installment_rows(plan_id)
        if row.status in (InstallmentStatus.SCHEDULED, InstallmentStatus.FAILED)
    ]
