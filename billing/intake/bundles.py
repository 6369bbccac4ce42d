"""Reading a FHIR R4 ``batch`` Bundle of ``ChargeItem``s (R4B models of ``fhir.resources``).

The library decides what is valid FHIR; what it refuses is reported by path and rule only
(the element's place and the broken rule's name), never with the value, which may be PHI.
Then the fields the contract reads (``shared/contract/intake.md``) are checked and taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.chargeitem import ChargeItem
from pydantic import ValidationError

from billing.money import CURRENCY_EXPONENTS

MAX_ENTRIES = 500
PATIENT_ACCOUNT_SYSTEM = "urn:billing:patient-account"
LOCATION_SYSTEM = "urn:billing:location"
BILLABLE = "billable"
ENTERED_IN_ERROR = "entered-in-error"

# Pydantic's error types, told in words; any other is named as it is.
_RULES = {
    "missing": "is required",
    "extra_forbidden": "is not an element of this resource",
    "value_error": "is not a valid value",
    "string_type": "must be a string",
    "list_type": "must be an array",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "decimal_type": "must be a number",
    "int_type": "must be an integer",
    "bool_type": "must be a boolean",
    "date_from_datetime_parsing": "must be a date",
}


class BundleRefused(Exception):
    """The body is not a batch Bundle of ChargeItems; ``reason`` says why (no values)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class EntryIssue:
    """Why one entry cannot be taken: a FHIR issue type (``invalid``, ``required``,
    ``value``, ``not-found``, ``business-rule``), the element's path and what is wrong."""

    code: str
    expression: str
    diagnostics: str


@dataclass(frozen=True, slots=True)
class ChargeIdentifier:
    system: str
    value: str


@dataclass(frozen=True, slots=True)
class ChargeSubmission:
    """A billable charge as the contract reads it: the line, whose it is, where and when."""

    identifier: ChargeIdentifier
    account_number: str
    location_code: str
    encounter: str
    provider_name: str
    code: str
    description: str
    sku: str | None
    quantity: int
    price: Decimal  # the line's total (``priceOverride``), in major units
    currency: str
    service_date: date


@dataclass(frozen=True, slots=True)
class ChargeWithdrawal:
    """``entered-in-error``: the charge sent earlier under this identifier is withdrawn."""

    identifier: ChargeIdentifier


ChargeEntry = ChargeSubmission | ChargeWithdrawal | EntryIssue


def read_charge_bundle(body: bytes) -> list[ChargeEntry]:
    """Each entry of the Bundle in ``body``, in order: what it asks or why it cannot be
    taken. Raises ``BundleRefused`` when the body is not a ``batch`` Bundle of at most
    ``MAX_ENTRIES`` ``POST ChargeItem`` entries."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BundleRefused("the body is not JSON") from None
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        raise BundleRefused("the body is not a FHIR Bundle")
    if document.get("type") != "batch":
        raise BundleRefused("Bundle.type must be batch")
    entries = document.get("entry", [])
    if not isinstance(entries, list) or not entries:
        raise BundleRefused("Bundle.entry must list the charges")
    if len(entries) > MAX_ENTRIES:
        raise BundleRefused(f"Bundle.entry holds at most {MAX_ENTRIES} charges")
    resources = [_charge_item_of(entry, index) for index, entry in enumerate(entries)]
    shell = {**document, "entry": [_without_resource(entry) for entry in entries]}
    try:
        Bundle.model_validate(shell)
    except ValidationError as error:
        raise BundleRefused(_first_problem(error, "Bundle").diagnostics) from None
    return [read_charge_item(resource) for resource in resources]


def read_charge_item(resource: dict[str, Any]) -> ChargeEntry:
    """One ChargeItem validated by ``fhir.resources``, then read as the contract says."""
    try:
        item = ChargeItem.model_validate(resource)
    except ValidationError as error:
        return _first_problem(error, "ChargeItem")
    return _read(item)


def _charge_item_of(entry: object, index: int) -> dict[str, Any]:
    path = f"Bundle.entry[{index}]"
    if not isinstance(entry, dict):
        raise BundleRefused(f"{path} must be an object")
    request = entry.get("request")
    if (
        not isinstance(request, dict)
        or request.get("method") != "POST"
        or request.get("url") != "ChargeItem"
    ):
        raise BundleRefused(f"{path}.request must be POST ChargeItem")
    resource = entry.get("resource")
    if not isinstance(resource, dict) or resource.get("resourceType") != "ChargeItem":
        raise BundleRefused(f"{path}.resource must be a ChargeItem")
    return resource


def _without_resource(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key != "resource"}


def _first_problem(error: ValidationError, root: str) -> EntryIssue:
    problem = error.errors(include_url=False, include_input=False, include_context=False)[0]
    path = root + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in problem["loc"]
    )
    kind = str(problem["type"])
    rule = _RULES.get(kind, "breaks a FHIR rule")
    return EntryIssue(
        "required" if kind == "missing" else "invalid", path, f"{path} {rule} ({kind})"
    )


def _issue(code: str, path: str, what: str) -> EntryIssue:
    return EntryIssue(code, f"ChargeItem.{path}", f"ChargeItem.{path} {what}")


def _read(item: ChargeItem) -> ChargeEntry:
    identifier = _identifier(item)
    if isinstance(identifier, EntryIssue):
        return identifier
    if item.status == ENTERED_IN_ERROR:
        return ChargeWithdrawal(identifier)
    if item.status != BILLABLE:
        return _issue("value", "status", f"must be {BILLABLE} or {ENTERED_IN_ERROR}")
    account = _identified(item.subject, PATIENT_ACCOUNT_SYSTEM)
    if account is None:
        return _issue(
            "required", "subject.identifier", f"must be a {PATIENT_ACCOUNT_SYSTEM} identifier"
        )
    location = _identified(item.performingOrganization, LOCATION_SYSTEM)
    if location is None:
        return _issue(
            "required",
            "performingOrganization.identifier",
            f"must be a {LOCATION_SYSTEM} identifier",
        )
    encounter = _identified(item.context, None)
    if encounter is None:
        return _issue("required", "context.identifier.value", "is required (the encounter)")
    line = _line(item)
    if isinstance(line, EntryIssue):
        return line
    provider, code, description, sku, quantity, price, currency, served = line
    return ChargeSubmission(
        identifier=identifier,
        account_number=account,
        location_code=location,
        encounter=encounter,
        provider_name=provider,
        code=code,
        description=description,
        sku=sku,
        quantity=quantity,
        price=price,
        currency=currency,
        service_date=served,
    )


_Line = tuple[str, str, str, str | None, int, Decimal, str, date]


def _line(item: ChargeItem) -> _Line | EntryIssue:
    performers = item.performer or []
    actor = performers[0].actor if performers else None
    provider = _text(actor.display if actor else None, 200)
    if provider is None:
        return _issue("required", "performer[0].actor.display", "is required (1-200 characters)")
    codings = (item.code.coding or []) if item.code else []
    code = _text(codings[0].code if codings else None, 40)
    if code is None:
        return _issue("required", "code.coding[0].code", "is required (1-40 characters)")
    description = _text(codings[0].display, 500)
    if description is None:
        return _issue("required", "code.coding[0].display", "is required (1-500 characters)")
    product = item.productCodeableConcept
    product_codings = (product.coding or []) if product else []
    sku = _text(product_codings[0].code if product_codings else None, 64)
    quantity = _quantity(item)
    if quantity is None:
        return _issue("value", "quantity.value", "must be a positive whole number")
    price = item.priceOverride
    currency = (price.currency or "").upper() if price else ""
    if price is None or price.value is None:
        return _issue("required", "priceOverride.value", "is required")
    if price.value < 0:
        return _issue("value", "priceOverride.value", "cannot be negative")
    if currency not in CURRENCY_EXPONENTS:
        return _issue(
            "value", "priceOverride.currency", f"must be one of {', '.join(CURRENCY_EXPONENTS)}"
        )
    served = _service_date(item.occurrenceDateTime)
    if served is None:
        return _issue("required", "occurrenceDateTime", "is required (the service date)")
    return provider, code, description, sku, quantity, price.value, currency, served


def _identifier(item: ChargeItem) -> ChargeIdentifier | EntryIssue:
    identifiers = item.identifier or []
    first = identifiers[0] if identifiers else None
    system = _text(first.system if first else None, 255)
    value = _text(first.value if first else None, 128)
    if system is None or value is None:
        return _issue(
            "required", "identifier[0]", "needs a system and a value (the charge's own id)"
        )
    return ChargeIdentifier(system, value)


def _identified(reference: Any, system: str | None) -> str | None:
    identifier = getattr(reference, "identifier", None) if reference is not None else None
    if identifier is None or (system is not None and identifier.system != system):
        return None
    return _text(identifier.value, 128)


def _quantity(item: ChargeItem) -> int | None:
    value = item.quantity.value if item.quantity else None
    if value is None or value <= 0 or value != value.to_integral_value() or value > 10**6:
        return None
    return int(value)


def _service_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()  # the date where the care was given, as the sender wrote it
    return value


def _text(value: object, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.split())
    return cleaned if cleaned and len(cleaned) <= limit else None
