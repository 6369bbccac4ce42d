"""The payment-plan and reminder settings: defaults, and what a bad value is refused with."""

from __future__ import annotations

from decimal import Decimal

import pytest

from config.settings import SettingsError, load_settings


def test_plans_and_reminders_have_the_issue_defaults() -> None:
    settings = load_settings({})

    plans, reminders = settings.plans, settings.reminders
    assert (plans.minimum_monthly, plans.max_months, plans.retry_days) == (
        Decimal("25"),
        24,
        (3, 7, 14),
    )
    assert (reminders.days_before_due, reminders.sms_send_hours) == (3, (8, 21))
    assert reminders.smtp_url is None
    assert reminders.twilio_auth_token is None


def test_plans_and_reminders_are_read_from_the_environment() -> None:
    settings = load_settings(
        {
            "PLAN_MINIMUM_MONTHLY": "30.50",
            "PLAN_MAX_MONTHS": "12",
            "PLAN_RETRY_DAYS": "2,5",
            "REMINDER_DAYS_BEFORE_DUE": "5",
            "SMS_SEND_HOURS": "9-20",
            "SMTP_URL": "smtps://mailer:pw@mail.example.org:465",
            "NOTIFICATION_EMAIL_FROM": "billing@clinic.example.org",
            "TWILIO_ACCOUNT_SID": "AC123",
            "TWILIO_AUTH_TOKEN": "twilio-token",
            "TWILIO_FROM_NUMBER": "+15550001111",
        }
    )

    assert settings.plans.minimum_monthly == Decimal("30.50")
    assert (settings.plans.max_months, settings.plans.retry_days) == (12, (2, 5))
    reminders = settings.reminders
    assert (reminders.days_before_due, reminders.sms_send_hours) == (5, (9, 20))
    assert reminders.smtp_url is not None
    assert reminders.smtp_url.reveal() == "smtps://mailer:pw@mail.example.org:465"
    assert "pw@" not in repr(settings)
    assert "twilio-token" not in repr(settings)
    assert reminders.email_from == "billing@clinic.example.org"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PLAN_MINIMUM_MONTHLY", "-5"),
        ("PLAN_MINIMUM_MONTHLY", "lots"),
        ("PLAN_MAX_MONTHS", "0"),
        ("PLAN_RETRY_DAYS", "7,3"),
        ("PLAN_RETRY_DAYS", "3,,7"),
        ("SMS_SEND_HOURS", "21-8"),
        ("SMS_SEND_HOURS", "8"),
    ],
)
def test_a_bad_value_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})
