"""Reminder texts carry no PHI: checked against everything the demo's seeded patients have on
file (names, birth dates, contact details, member ids, providers, services, codes, invoice
numbers, amounts), on every kind of message and both channels, as actually sent."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from billing.demo import seed_demo
from billing.invoices.reads import patient_today
from billing.money import to_decimal
from billing.notifications.account_messages import (
    new_reset_nonce,
    password_reset_link_key,
    password_reset_token,
)
from billing.notifications.delivery import DeliveryRules, send_due_notifications
from billing.notifications.outbox import queue_notification
from billing.notifications.reminders import queue_reminders
from billing.notifications.senders import RecordingSender
from billing.notifications.texts import LINK_TOKEN_KINDS, OutgoingMessage, render_message
from billing.patients.rules import read_patient_profile
from billing.plans.rules import create_payment_plan
from config.settings import Settings
from models.invoices import Invoice, InvoiceLine
from models.locations import Location
from models.notifications import NotificationChannel, NotificationKind
from models.patients import Patient
from models.plans import Installment
from tests.support.factories.accounts import api_cipher
from tests.support.factories.plans import RULES, card_row

BASE_URL = "https://pay.example.org"
LINK = re.compile(
    re.escape(BASE_URL) + r"/app/(plans|invoices|reset-password|sign-in)(#token=pr_[\w-]{43})?"
)

RESET_LINK_KEY = password_reset_link_key("test-secret-key")


async def _unsafe_hash(password: str) -> str:
    return f"demo-hash-{len(password)}"


async def _phi_on_file(settings: Settings) -> set[str]:
    """Every piece of patient data the database holds, as text that must never appear."""
    cipher = api_cipher(settings)
    found: set[str] = set()
    for patient in await Patient.all():
        profile = read_patient_profile(cipher, patient)
        born = profile.date_of_birth
        found |= {
            profile.first_name,
            profile.last_name,
            born.isoformat(),
            born.strftime("%m/%d/%Y"),
            *(value for value in (profile.email, profile.phone) if value),
            *(value for value in (profile.insurance_member_id,) if value),
        }
        if profile.phone:
            found.add(re.sub(r"\D", "", profile.phone)[-7:])
    for invoice in await Invoice.all():
        found |= {invoice.number, invoice.provider_name}
        if invoice.insurance_payer_name:
            found.add(invoice.insurance_payer_name)
    for line in await InvoiceLine.all():
        found |= {line.code, line.description}
    for location in await Location.all():
        found |= {location.name, location.address}
    return {text for text in found if text}


def _assert_no_phi(message: OutgoingMessage, phi: set[str]) -> None:
    text = f"{message.subject}\n{message.body}"
    for secret in phi:
        assert secret.lower() not in text.lower(), f"{secret!r} leaked into {text!r}"
    # No amount in any form: once the link is taken out, not a digit or currency sign is left.
    assert LINK.search(message.body), message.body
    without_link = LINK.sub("", text)
    assert not re.search(r"[\d$€£¥]", without_link), without_link


async def test_every_reminder_sent_about_seeded_patients_is_free_of_phi(
    db: None, settings: Settings
) -> None:
    # given the demo data: Jane has a denied-insurance balance, Marcus an overdue invoice
    # (without the office's few hundred more patients, so every message can be counted)
    await seed_demo(api_cipher(settings), _unsafe_hash, office_patients=0)
    await Patient.all().update(sms_consent=True)
    jane = await _patient_named(settings, "Jane")
    owed = await Invoice.filter(patient_id=jane.id, balance_minor__gt=0).first()
    assert owed is not None
    # Jane's plan: its first installment due in two days
    start = await patient_today(jane.id) + timedelta(days=2)
    card = await card_row(jane.id)
    plan = await create_payment_plan(jane.id, [owed.id], Decimal("25"), card.id, start, RULES)
    first = await Installment.filter(plan_id=plan.id).order_by("sequence").first()
    assert first is not None
    # midday in Chicago, where Jane and Marcus live
    now = datetime.combine(date.today(), datetime.min.time(), tzinfo=UTC) + timedelta(hours=18)
    await queue_notification(
        jane.id, NotificationKind.INSTALLMENT_FAILED, f"installment-{first.id}-failure-1", now=now
    )

    # when the reminders scheduler queues what is due and everything is sent
    queued = await queue_reminders(now, days_before_due=3)
    email, sms = RecordingSender(), RecordingSender()
    await send_due_notifications(
        {NotificationChannel.EMAIL: email, NotificationChannel.SMS: sms},
        api_cipher(settings),
        DeliveryRules(public_base_url=BASE_URL, reset_link_key=RESET_LINK_KEY),
        now=now,
    )

    # then every kind went out on both channels, and none says more than "open the app"
    assert (queued.due_soon, queued.overdue) == (1, 1)
    sent = email.sent + sms.sent
    assert len(email.sent) == len(sms.sent) == 3
    phi = await _phi_on_file(settings)
    amounts = await _amounts_on_file()
    for _recipient, message in sent:
        _assert_no_phi(message, phi | amounts)
    assert {m.body for _, m in sms.sent} >= {
        f"You have a balance. Open the app: {BASE_URL}/app/invoices Reply STOP to opt out."
    }


def test_each_kind_says_only_what_kind_of_thing_happened_and_links_into_the_app() -> None:
    token = password_reset_token(RESET_LINK_KEY, new_reset_nonce())
    for kind in NotificationKind:
        for channel in NotificationChannel:
            link_token = token if kind in LINK_TOKEN_KINDS else None
            message = render_message(kind, channel, f"{BASE_URL}/", link_token=link_token)
            _assert_no_phi(message, set())
            assert message.body.count(BASE_URL) == 1
            # a reset link's token rides in the fragment, which no server ever receives
            assert (f"#token={token}" in message.body) == (kind in LINK_TOKEN_KINDS)


async def _patient_named(settings: Settings, first_name: str) -> Patient:
    cipher = api_cipher(settings)
    for patient in await Patient.all():
        if read_patient_profile(cipher, patient).first_name == first_name:
            return patient
    raise LookupError(first_name)


async def _amounts_on_file() -> set[str]:
    """Every amount of every invoice, line and installment, in the ways one is written."""
    minors: set[int] = set()
    for invoice in await Invoice.all():
        minors |= {invoice.total_minor, invoice.balance_minor}
    for line in await InvoiceLine.all():
        minors |= {line.amount_minor, line.unit_price_minor}
    for installment in await Installment.all():
        minors.add(installment.amount_minor)
    return {str(to_decimal(minor, "USD")) for minor in minors if minor}
