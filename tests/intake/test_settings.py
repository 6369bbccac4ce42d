"""The intake's settings: defaults, values from the environment, and a bad value refused."""

from __future__ import annotations

import pytest

from config.settings import SettingsError, load_settings


def test_charges_are_held_a_day_and_their_invoices_due_in_30_days_by_default() -> None:
    intake = load_settings({}).intake

    assert (intake.charge_hold_hours, intake.invoice_due_days) == (24, 30)


def test_the_hold_and_the_due_days_are_read_from_the_environment() -> None:
    intake = load_settings({"CHARGE_HOLD_HOURS": "6", "INVOICE_DUE_DAYS": "45"}).intake

    assert (intake.charge_hold_hours, intake.invoice_due_days) == (6, 45)


@pytest.mark.parametrize(
    ("name", "value"),
    [("CHARGE_HOLD_HOURS", "0"), ("CHARGE_HOLD_HOURS", "a day"), ("INVOICE_DUE_DAYS", "-1")],
)
def test_a_bad_value_is_refused_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})
