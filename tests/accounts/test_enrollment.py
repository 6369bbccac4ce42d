"""Patients activate an account with a one-time code from staff and their date of birth."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import date, timedelta

import pytest

from auth.enrollment import ActivatedAccount, activate_patient_account, issue_enrollment_code
from billing.errors import DomainError, ErrorCode
from models.patients import Patient
from models.users import EnrollmentCode, User
from tests.support.factories.auth import (
    BIRTH_DATE,
    NOW,
    SECRET_KEY,
    make_patient,
    make_user,
    read_date_of_birth,
)

NEW_PASSWORD = "violet kettle under the stairs"
CLIENT = "203.0.113.7"


def _activate(
    code: str,
    *,
    email: str = "ada@example.org",
    date_of_birth: date = BIRTH_DATE,
    password: str = NEW_PASSWORD,
    client_key: str = CLIENT,
    days_later: float = 1,
) -> Awaitable[ActivatedAccount]:
    return activate_patient_account(
        code,
        date_of_birth,
        email,
        password,
        read_date_of_birth=read_date_of_birth,
        client_key=client_key,
        secret_key=SECRET_KEY,
        now=NOW + timedelta(days=days_later),
    )


async def _code_for(patient: Patient) -> str:
    return (await issue_enrollment_code(patient.id, secret_key=SECRET_KEY, now=NOW)).code


async def _refused(code: ErrorCode, attempt: Awaitable[object]) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await attempt
    assert raised.value.code is code
    return raised.value


async def test_a_code_and_date_of_birth_create_a_patient_account(db: None) -> None:
    patient = await make_patient()
    issued = await issue_enrollment_code(patient.id, secret_key=SECRET_KEY, now=NOW)

    account = await _activate(issued.code, email="Ada@Example.org")

    assert issued.expires_at == NOW + timedelta(days=7)
    assert len(issued.code) == len("XXXX-XXXX-XXXX")
    user = await User.get(id=account.user_id)
    assert (user.email, user.roles, user.patient_id) == (
        "ada@example.org",
        ["patient"],
        patient.id,
    )
    assert user.password_hash.startswith("$argon2id$")
    stored = await EnrollmentCode.get()
    assert stored.used_at == NOW + timedelta(days=1)
    assert issued.code.replace("-", "") not in stored.code_hash


async def test_a_code_is_forgiving_about_case_dashes_and_look_alikes(db: None) -> None:
    patient = await make_patient()
    code = await _code_for(patient)
    typed = code.replace("-", " ").lower().replace("0", "o").replace("1", "l")

    account = await _activate(typed)

    assert account.patient_id == patient.id


async def test_a_code_expires_after_seven_days(db: None) -> None:
    code = await _code_for(await make_patient())

    await _refused(ErrorCode.INVALID_ENROLLMENT_CODE, _activate(code, days_later=7))


async def test_a_code_works_once(db: None) -> None:
    code = await _code_for(await make_patient())
    await _activate(code)

    await _refused(ErrorCode.INVALID_ENROLLMENT_CODE, _activate(code, email="other@example.org"))


async def test_two_activations_racing_with_one_code_create_one_account(db: None) -> None:
    code = await _code_for(await make_patient())

    results = await asyncio.gather(
        _activate(code, email="one@example.org"),
        _activate(code, email="two@example.org"),
        return_exceptions=True,
    )

    assert sorted(type(r).__name__ for r in results) == ["ActivatedAccount", "DomainError"]
    error = next(r for r in results if isinstance(r, DomainError))
    assert error.code is ErrorCode.INVALID_ENROLLMENT_CODE
    assert await User.all().count() == 1


async def test_a_wrong_date_of_birth_fails_exactly_like_a_wrong_code(db: None) -> None:
    code = await _code_for(await make_patient())

    wrong_birth = await _refused(
        ErrorCode.INVALID_ENROLLMENT_CODE, _activate(code, date_of_birth=date(1980, 2, 4))
    )
    wrong_code = await _refused(ErrorCode.INVALID_ENROLLMENT_CODE, _activate("ABCD-EFGH-JKMN"))

    assert (wrong_birth.message, wrong_birth.field) == (wrong_code.message, wrong_code.field)


async def test_failures_are_rate_limited_per_client(db: None) -> None:
    code = await _code_for(await make_patient())
    for _ in range(5):
        await _refused(ErrorCode.INVALID_ENROLLMENT_CODE, _activate("ABCD-EFGH-JKMN"))

    await _refused(ErrorCode.RATE_LIMITED, _activate(code))

    account = await _activate(code, client_key="198.51.100.20")
    assert account.email == "ada@example.org"


async def test_the_rate_limit_lifts_after_the_window(db: None) -> None:
    code = await _code_for(await make_patient())
    for _ in range(5):
        await _refused(ErrorCode.INVALID_ENROLLMENT_CODE, _activate("ABCD-EFGH-JKMN"))

    account = await _activate(code, days_later=1 + 1 / 96)  # 15 minutes later

    assert account.email == "ada@example.org"


async def test_a_code_dies_after_five_wrong_dates_of_birth_from_any_client(db: None) -> None:
    code = await _code_for(await make_patient())
    for day in range(1, 6):
        await _refused(
            ErrorCode.INVALID_ENROLLMENT_CODE,
            _activate(code, date_of_birth=date(1980, 3, day), client_key=f"198.51.100.{day}"),
        )

    await _refused(ErrorCode.INVALID_ENROLLMENT_CODE, _activate(code, client_key="198.51.100.99"))


async def test_a_taken_email_is_refused_and_leaves_the_code_usable(db: None) -> None:
    await make_user("taken@example.org")
    code = await _code_for(await make_patient())

    await _refused(ErrorCode.EMAIL_TAKEN, _activate(code, email="taken@example.org"))

    assert (await _activate(code)).email == "ada@example.org"


async def test_a_blocklisted_password_is_refused_before_the_code_is_used(db: None) -> None:
    code = await _code_for(await make_patient())

    await _refused(ErrorCode.WEAK_PASSWORD, _activate(code, password="1qaz2wsx3edc4rfv"))
    await _refused(ErrorCode.WEAK_PASSWORD, _activate(code, password="correct horse"))

    assert (await EnrollmentCode.get()).used_at is None


async def test_a_new_code_replaces_the_old_one(db: None) -> None:
    patient = await make_patient()
    old = await _code_for(patient)
    new = await _code_for(patient)

    await _refused(ErrorCode.INVALID_ENROLLMENT_CODE, _activate(old))
    assert (await _activate(new)).patient_id == patient.id


async def test_no_code_for_a_patient_who_has_an_account(db: None) -> None:
    patient = await make_patient()
    await make_user(patient=patient)

    await _refused(
        ErrorCode.CONFLICT, issue_enrollment_code(patient.id, secret_key=SECRET_KEY, now=NOW)
    )


async def test_parallel_guesses_from_many_addresses_check_no_more_than_five_birth_dates(
    db: None,
) -> None:
    # given a code, and 30 guesses at the date of birth from 30 addresses at once
    code = await _code_for(await make_patient())
    guesses = [
        _activate(code, date_of_birth=date(1950, 1, day), client_key=f"198.51.100.{day}")
        for day in range(1, 31)
    ]

    results = await asyncio.gather(*guesses, return_exceptions=True)

    # then all failed alike, and the code was tried exactly five times, then died
    assert {r.code for r in results if isinstance(r, DomainError)} == {
        ErrorCode.INVALID_ENROLLMENT_CODE
    }
    assert len(results) == 30
    assert (await EnrollmentCode.get()).failed_attempts == 5
    await _refused(ErrorCode.INVALID_ENROLLMENT_CODE, _activate(code, client_key="192.0.2.1"))


async def test_parallel_guesses_from_one_address_are_evaluated_five_times(db: None) -> None:
    codes = [await _code_for(await make_patient()) for _ in range(3)]

    results = await asyncio.gather(
        *(_activate(codes[n % 3], date_of_birth=date(1950, 1, 1 + n)) for n in range(20)),
        return_exceptions=True,
    )

    refused = [r.code for r in results if isinstance(r, DomainError)]
    assert sorted(refused) == sorted(
        [ErrorCode.INVALID_ENROLLMENT_CODE] * 5 + [ErrorCode.RATE_LIMITED] * 15
    )
    assert sum(row.failed_attempts for row in await EnrollmentCode.all()) == 5


async def test_a_successful_activation_gives_its_reservations_back(db: None) -> None:
    first = await _code_for(await make_patient())
    second = await _code_for(await make_patient())
    for day in range(1, 5):
        await _refused(
            ErrorCode.INVALID_ENROLLMENT_CODE, _activate(first, date_of_birth=date(1950, 1, day))
        )

    await _activate(second, email="grace@example.org")

    # four failures counted, the success not: one attempt is left to this address
    await _refused(
        ErrorCode.INVALID_ENROLLMENT_CODE, _activate(first, date_of_birth=date(1950, 2, 1))
    )
    await _refused(ErrorCode.RATE_LIMITED, _activate(first))
