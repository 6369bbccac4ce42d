"""Blind indexes of patients: keyed hashes (``PhiCipher.lookup_hash``) of normalised
values, stored beside the ciphertext, so an equality search needs no decryption.

What is normalised away, for names: case, accents (``José`` = ``jose``), apostrophes
(``O'Brien`` = ``OBrien``), hyphens and runs of spaces (``Smith-Jones`` = ``smith jones``).
A name matches only as a whole: ``Ann`` does not find ``Anna``, and a nickname or a former
name does not find the patient. Phone numbers are compared in E.164, emails ignoring case,
dates of birth exactly.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from billing.patients.purposes import DATE_OF_BIRTH, EMAIL, FIRST_NAME, LAST_NAME, PHONE
from billing.phi_cipher import PhiCipher

_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc`")
_SEPARATORS = str.maketrans({"-": " ", "\u2010": " ", "\u2011": " ", ".": " ", ",": " "})


def fold_name(value: str) -> str:
    """A name as it is compared: no case, accents, apostrophes, hyphens or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    folded = bare.casefold().translate(_APOSTROPHES).translate(_SEPARATORS)
    return " ".join(folded.split())


@dataclass(frozen=True, slots=True)
class PatientLookups:
    """The blind-index columns of one patient (``None`` where there is no value)."""

    first_name_lookup: str
    last_name_lookup: str
    date_of_birth_lookup: str
    email_lookup: str | None
    phone_lookup: str | None

    def as_columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def patient_lookups(
    cipher: PhiCipher,
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    email: str | None,
    phone_e164: str | None,
) -> PatientLookups:
    """The blind indexes of these (already checked) values, under the active key."""
    return PatientLookups(
        first_name_lookup=cipher.lookup_hash(fold_name(first_name), FIRST_NAME),
        last_name_lookup=cipher.lookup_hash(fold_name(last_name), LAST_NAME),
        date_of_birth_lookup=cipher.lookup_hash(date_of_birth.isoformat(), DATE_OF_BIRTH),
        email_lookup=cipher.lookup_hash(email, EMAIL) if email else None,
        phone_lookup=cipher.lookup_hash(phone_e164, PHONE) if phone_e164 else None,
    )


def name_candidates(cipher: PhiCipher, name: str, purpose: str) -> list[str]:
    """The lookup hashes of a searched name under every key (rows hashed before a key
    rotation still match)."""
    return cipher.lookup_hash_candidates(fold_name(name), purpose)


def value_candidates(cipher: PhiCipher, value: str, purpose: str) -> list[str]:
    return cipher.lookup_hash_candidates(value, purpose)
