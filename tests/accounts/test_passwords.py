from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from auth.password_policy import check_new_password
from auth.passwords import hash_password, verify_password
from billing.errors import DomainError, ErrorCode


async def test_a_password_hashes_with_argon2id_and_verifies() -> None:
    stored = await hash_password("correct horse battery staple")

    assert stored.startswith("$argon2id$")
    assert (await verify_password(stored, "correct horse battery staple")).matches
    assert not (await verify_password(stored, "correct horse battery stapler")).matches


async def test_the_same_password_typed_in_another_unicode_form_matches() -> None:
    stored = await hash_password("ｃｏｒｒｅｃｔ horse battery staple")  # noqa: RUF001

    assert (await verify_password(stored, "correct horse battery staple")).matches


async def test_a_hash_with_weaker_parameters_is_upgraded_on_login() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("old but gold pass")

    check = await verify_password(weak, "old but gold pass")

    assert check.matches
    assert check.upgraded_hash is not None
    assert "m=65536,t=3,p=1" in check.upgraded_hash


async def test_a_garbage_stored_hash_never_matches() -> None:
    assert not (await verify_password("not-a-hash", "anything at all here")).matches


@pytest.mark.parametrize(
    ("password", "mfa_enforced"),
    [("fourteen chars", False), ("seven c", True), ("a" * 20, False), ("x" * 129, True)],
)
def test_weak_passwords_are_refused(password: str, mfa_enforced: bool) -> None:
    with pytest.raises(DomainError) as raised:
        check_new_password(password, mfa_enforced=mfa_enforced)

    assert raised.value.code is ErrorCode.WEAK_PASSWORD
    assert raised.value.field == "password"


def test_length_is_the_rule_not_composition() -> None:
    assert check_new_password("all lower case words", mfa_enforced=False)
    assert check_new_password("eight ch", mfa_enforced=True)
