"""Password rules (NIST SP 800-63B): length by factor count, a breach blocklist, no email."""

from __future__ import annotations

import pytest

from auth.password_policy import MAX_LENGTH, check_new_password
from billing.errors import DomainError, ErrorCode


@pytest.mark.parametrize(
    ("password", "mfa_enforced"),
    [
        ("qazwsxedcrfvtgb", False),  # keyboard walk from breach lists, 15 characters
        ("1QAZ2WSX3EDC4RFV", False),  # the list is compared case-insensitively
        ("Password1", True),
        ("trustno1", True),
    ],
)
def test_a_common_or_breached_password_is_refused(password: str, mfa_enforced: bool) -> None:
    with pytest.raises(DomainError) as raised:
        check_new_password(password, mfa_enforced=mfa_enforced)

    assert raised.value.code is ErrorCode.WEAK_PASSWORD
    assert "breach" in raised.value.message


@pytest.mark.parametrize("password", ["ada.lovelace@example.org", "Ada.Lovelace"])
def test_the_email_or_its_local_part_is_refused(password: str) -> None:
    with pytest.raises(DomainError) as raised:
        check_new_password(password, mfa_enforced=True, email="ada.lovelace@example.org")

    assert raised.value.code is ErrorCode.WEAK_PASSWORD


def test_long_passphrases_up_to_the_maximum_are_accepted() -> None:
    phrase = "the plum ladder orbits quietly " * 5

    assert len(check_new_password(phrase[:64], mfa_enforced=False)) == 64
    assert len(check_new_password(phrase[:MAX_LENGTH], mfa_enforced=False)) == MAX_LENGTH


def test_eight_characters_suffice_only_with_mfa() -> None:
    assert check_new_password("plum lad", mfa_enforced=True) == "plum lad"
    with pytest.raises(DomainError):
        check_new_password("plum lad", mfa_enforced=False)
