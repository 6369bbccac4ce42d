"""Finding patients through their blind indexes (``billing.patients.search_keys``).

Every given criterion must match; each is an equality on a keyed hash, compared with the
hashes of the value under every configured key, so no patient's PHI is decrypted to search.
Results come in id order, a keyset page at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tortoise.expressions import Q

from billing.errors import DomainError, ErrorCode
from billing.patients.contact import clean_email, e164_phone
from billing.patients.purposes import DATE_OF_BIRTH, EMAIL, FIRST_NAME, LAST_NAME, PHONE
from billing.patients.search_keys import fold_name, name_candidates, value_candidates
from billing.phi_cipher import PhiCipher
from models.patients import Patient, luhn_check_digit

# On the access log with the names of the criteria only (``PatientSearch.given_fields``).
SEARCH_ACTION = "patient.search"
_ACCOUNT_NUMBER = re.compile(r"[0-9]{9}")


@dataclass(frozen=True, slots=True)
class PatientSearch:
    """What staff search by; ``None`` for a criterion not given. Holds PHI."""

    last_name: str | None = None
    first_name: str | None = None
    date_of_birth: date | None = None
    email: str | None = None
    phone: str | None = None
    account_number: str | None = None

    def given_fields(self) -> tuple[str, ...]:
        """The names of the criteria given (what the access log may say of a search)."""
        return tuple(name for name in self.__slots__ if getattr(self, name) is not None)


@dataclass(frozen=True, slots=True)
class PatientPage:
    patients: list[Patient]
    has_next_page: bool


def search_condition(cipher: PhiCipher, search: PatientSearch) -> Q:
    """The SQL condition of ``search``. ``INVALID_INPUT`` when nothing is given, or a given
    value could never match (an empty name, a phone number that is not one, an account
    number of the wrong shape)."""
    if not search.given_fields():
        raise DomainError(ErrorCode.INVALID_INPUT, "Give at least one search criterion.")
    condition = Q()
    if search.last_name is not None:
        condition &= Q(last_name_lookup__in=_name_hashes(cipher, search.last_name, LAST_NAME))
    if search.first_name is not None:
        condition &= Q(first_name_lookup__in=_name_hashes(cipher, search.first_name, FIRST_NAME))
    if search.date_of_birth is not None:
        hashes = value_candidates(cipher, search.date_of_birth.isoformat(), DATE_OF_BIRTH)
        condition &= Q(date_of_birth_lookup__in=hashes)
    if search.email is not None:
        email = clean_email(search.email, "search.email")
        if email is None:
            raise DomainError(ErrorCode.INVALID_INPUT, "email is empty.", "search.email")
        condition &= Q(email_lookup__in=value_candidates(cipher, email, EMAIL))
    if search.phone is not None:
        phone = e164_phone(search.phone, "search.phone")
        if phone is None:
            raise DomainError(ErrorCode.INVALID_INPUT, "phone is empty.", "search.phone")
        condition &= Q(phone_lookup__in=value_candidates(cipher, phone, PHONE))
    if search.account_number is not None:
        condition &= Q(account_number=normal_account_number(search.account_number))
    return condition


def normal_account_number(value: str) -> str:
    """``"123456789"``, ``"1234 5678 9"`` or ``"1234-5678-9"`` as stored: ``1234-5678-9``.
    ``INVALID_INPUT`` for anything else, or a number whose check digit is wrong."""
    digits = "".join(char for char in value if char not in " -")
    if not _ACCOUNT_NUMBER.fullmatch(digits) or luhn_check_digit(digits[:8]) != digits[8]:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "accountNumber is nine digits, as printed: 1234-5678-9.",
            "search.account_number",
        )
    return f"{digits[:4]}-{digits[4:8]}-{digits[8]}"


async def search_page(condition: Q, after_id: int | None, limit: int) -> PatientPage:
    """Up to ``limit`` matching patients after ``after_id``, in id order."""
    query = Patient.filter(condition)
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    rows = await query.order_by("id").limit(limit + 1)
    return PatientPage(patients=rows[:limit], has_next_page=len(rows) > limit)


async def count_matches(condition: Q) -> int:
    return await Patient.filter(condition).count()


def _name_hashes(cipher: PhiCipher, name: str, purpose: str) -> list[str]:
    if not fold_name(name):
        field = "search.last_name" if purpose == LAST_NAME else "search.first_name"
        raise DomainError(ErrorCode.INVALID_INPUT, "A name to search for is empty.", field)
    return name_candidates(cipher, name, purpose)
