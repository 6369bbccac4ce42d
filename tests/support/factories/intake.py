"""Data for the intake's tests (no tests here): ChargeItems and Bundles as an EHR sends
them, API clients, a location known by its code, and posting a Bundle over HTTP."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import orjson

from billing.intake.clients import CHARGES_WRITE, client_secret_key, create_api_client
from billing.intake.use_cases import set_location_code
from config.settings import Settings
from models.locations import Location
from tests.support.factories.invoices import location

BUNDLE_PATH = "/intake/fhir/Bundle"
FHIR_JSON = "application/fhir+json"
LOCATION_CODE = "NORTH"
_serial = itertools.count(1)


def charge_item(
    account_number: str,
    *,
    identifier: str | None = None,
    status: str = "billable",
    encounter: str = "enc-1",
    location_code: str = LOCATION_CODE,
    code: str = "99213",
    display: str = "Office visit, established patient",
    price: str | float = "125.40",
    currency: str = "USD",
    quantity: int | float = 1,
    service_date: str = "2025-01-10",
    provider: str = "Dr. Adams",
    sku: str | None = None,
) -> dict[str, Any]:
    """A ChargeItem as the contract (``intake.md``) describes it."""
    item: dict[str, Any] = {
        "resourceType": "ChargeItem",
        "identifier": [{"system": "urn:ehr:charges", "value": identifier or _new_identifier()}],
        "status": status,
        "subject": {
            "identifier": {"system": "urn:billing:patient-account", "value": account_number}
        },
        "context": {"identifier": {"value": encounter}},
        "performingOrganization": {
            "identifier": {"system": "urn:billing:location", "value": location_code}
        },
        "performer": [{"actor": {"display": provider}}],
        "code": {
            "coding": [
                {"system": "http://www.ama-assn.org/go/cpt", "code": code, "display": display}
            ]
        },
        "quantity": {"value": quantity},
        "priceOverride": {
            "value": price if isinstance(price, float) else _number(price),
            "currency": currency,
        },
        "occurrenceDateTime": service_date,
    }
    if sku is not None:
        item["productCodeableConcept"] = {"coding": [{"code": sku}]}
    return item


def withdrawal(item: dict[str, Any]) -> dict[str, Any]:
    """The same charge, ``entered-in-error``."""
    return {**item, "status": "entered-in-error"}


def bundle(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"resource": item, "request": {"method": "POST", "url": "ChargeItem"}} for item in items
        ],
    }


async def api_client_secret(settings: Settings, scopes: tuple[str, ...] = (CHARGES_WRITE,)) -> str:
    key = client_secret_key(settings.secret_key.reveal())
    issued = await create_api_client(key, f"ehr-{next(_serial)}", list(scopes))
    return issued.secret


async def coded_location(name: str = "North Clinic", code: str = LOCATION_CODE) -> Location:
    """A location the clinical system names by ``code``."""
    row = await location(name)
    await set_location_code(code, name)
    return row


async def post_bundle(
    client: httpx.AsyncClient, secret: str | None, body: dict[str, Any] | bytes
) -> httpx.Response:
    headers = {"content-type": FHIR_JSON}
    if secret is not None:
        headers["authorization"] = f"Bearer {secret}"
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return await client.post(BUNDLE_PATH, content=content, headers=headers)


def statuses(response: httpx.Response) -> list[str]:
    """Each entry's ``response.status`` of a ``batch-response``."""
    body = response.json()
    assert (body["resourceType"], body["type"]) == ("Bundle", "batch-response"), body
    return [entry["response"]["status"] for entry in body["entry"]]


def issues(response: httpx.Response) -> list[dict[str, Any]]:
    """Each entry's first OperationOutcome issue, or ``{}``."""
    return [
        entry["response"]["outcome"]["issue"][0] if "outcome" in entry["response"] else {}
        for entry in response.json()["entry"]
    ]


def _new_identifier() -> str:
    return f"charge-{next(_serial)}"


def _number(text: str) -> Any:
    # JSON numbers as the EHR writes them, decimals exact (orjson would go through float).
    return orjson.Fragment(text.encode())
