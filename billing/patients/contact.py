"""Checking and normalising what staff type in as a patient's contact details: email,
phone numbers (to E.164 with Google's libphonenumber), mailing addresses (ISO 3166
countries). Errors name the field and never echo the value."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
import pycountry

from billing.errors import DomainError, ErrorCode

# Numbers typed without a country code are read as numbers of this country.
DEFAULT_PHONE_REGION = "US"
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
_EMAIL_MAX = 254
_ADDRESS_LINE_MAX = 200
_CITY_MAX = 100
_REGION_MAX = 100
_POSTAL_CODE_MAX = 20


@dataclass(frozen=True, slots=True)
class MailingAddress:
    """Where statements are mailed. ``country`` is an ISO 3166-1 alpha-2 code. PHI."""

    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str


def clean_email(value: str | None, field: str = "email") -> str | None:
    """The address trimmed, or ``None`` for nothing; ``INVALID_INPUT`` when it is not one."""
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    if len(cleaned) > _EMAIL_MAX or not _EMAIL.fullmatch(cleaned):
        raise DomainError(ErrorCode.INVALID_INPUT, "email is not a valid address.", field)
    return cleaned


def e164_phone(value: str | None, field: str = "phone") -> str | None:
    """The number in E.164 (``+13125550142``), or ``None`` for nothing.

    A number without a country code is read as a ``DEFAULT_PHONE_REGION`` number.
    ``INVALID_INPUT`` when libphonenumber does not know it as a valid number.
    """
    if value is None or not value.strip():
        return None
    try:
        parsed = phonenumbers.parse(value.strip(), DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise DomainError(ErrorCode.INVALID_INPUT, "phone is not a valid phone number.", field)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def iso_country(value: str, field: str = "mailing_address.country") -> str:
    """The ISO 3166-1 alpha-2 code of ``value`` (``"us"`` or ``"USA"`` give ``"US"``)."""
    code = value.strip().upper()
    found = None
    if len(code) == 2:
        found = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.countries.get(alpha_3=code)
    if found is None:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "country must be an ISO 3166 country code.", field
        )
    return str(found.alpha_2)


def clean_address(
    line1: str,
    line2: str | None,
    city: str,
    region: str | None,
    postal_code: str,
    country: str,
) -> MailingAddress:
    """A checked mailing address: line 1, city, postal code and country are required."""
    prefix = "mailing_address"
    return MailingAddress(
        line1=_required(line1, _ADDRESS_LINE_MAX, f"{prefix}.line1"),
        line2=_optional(line2, _ADDRESS_LINE_MAX, f"{prefix}.line2"),
        city=_required(city, _CITY_MAX, f"{prefix}.city"),
        region=_optional(region, _REGION_MAX, f"{prefix}.region"),
        postal_code=_required(postal_code, _POSTAL_CODE_MAX, f"{prefix}.postal_code"),
        country=iso_country(country, f"{prefix}.country"),
    )


def _required(value: str, limit: int, field: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > limit:
        name = field.rpartition(".")[2]
        raise DomainError(ErrorCode.INVALID_INPUT, f"{name} must be 1-{limit} characters.", field)
    return cleaned


def _optional(value: str | None, limit: int, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    return _required(value, limit, field)
