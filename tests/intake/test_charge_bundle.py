"""``POST /intake/fhir/Bundle`` over HTTP, as the clinical system calls it: a batch Bundle
of ChargeItems is answered entry by entry, each charge is held once however often it is
sent, what FHIR or our rules refuse is said by path and rule without echoing the value,
and what is not such a Bundle stores nothing."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle

from config.settings import Settings
from models.intake import HeldCharge, HeldChargeStatus
from models.locations import Location
from models.patients import Patient
from tests.support.factories.intake import (
    api_client_secret,
    bundle,
    charge_item,
    issues,
    post_bundle,
    statuses,
    withdrawal,
)


async def test_a_bundle_of_charges_is_held_and_answered_entry_by_entry(
    client: httpx.AsyncClient, secret: str, ada: Patient, clinic: Location
) -> None:
    # given two charges of one visit
    visit = charge_item(ada.account_number, price="125.40", code="99213")
    supply = charge_item(
        ada.account_number, price="30.00", quantity=3, code="A4550", display="Tray", sku="TRAY-1"
    )

    # when the EHR sends them
    response = await post_bundle(client, secret, bundle(visit, supply))

    # then both are added, and the answer is a FHIR batch-response
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert statuses(response) == ["201", "201"]
    Bundle.model_validate(response.json())
    held = await HeldCharge.all().order_by("id")
    assert [(c.code, c.quantity, c.unit_price_minor, c.sku) for c in held] == [
        ("99213", 1, 12540, None),
        ("A4550", 3, 1000, "TRAY-1"),
    ]
    assert {c.status for c in held} == {HeldChargeStatus.HELD}
    assert {(c.patient_id, c.location_id, c.encounter) for c in held} == {
        (ada.id, clinic.id, "enc-1")
    }


async def test_the_same_charge_sent_twice_is_stored_once_and_the_second_answer_says_so(
    client: httpx.AsyncClient, secret: str, ada: Patient, clinic: Location
) -> None:
    item = charge_item(ada.account_number, identifier="c-1")

    first = await post_bundle(client, secret, bundle(item))
    again = await post_bundle(client, secret, bundle(item, item))

    assert statuses(first) == ["201"]
    assert statuses(again) == ["200", "200"]
    assert issues(again)[0] == {
        "severity": "information",
        "code": "duplicate",
        "diagnostics": "This charge was received before; it is stored once.",
    }
    assert await HeldCharge.all().count() == 1


async def test_concurrent_bundles_with_the_same_charges_store_each_once(
    client: httpx.AsyncClient, secret: str, ada: Patient, clinic: Location
) -> None:
    items = [charge_item(ada.account_number, identifier=f"c-{n}") for n in range(20)]

    responses = await asyncio.gather(
        post_bundle(client, secret, bundle(*items)),
        post_bundle(client, secret, bundle(*reversed(items))),
    )

    assert [r.status_code for r in responses] == [200, 200]
    answers = sorted(statuses(responses[0]) + statuses(responses[1]))
    assert answers == ["200"] * 20 + ["201"] * 20
    assert await HeldCharge.all().count() == 20


async def test_an_unknown_patient_account_or_location_is_refused_with_a_clear_issue(
    client: httpx.AsyncClient, secret: str, ada: Patient, clinic: Location
) -> None:
    good = charge_item(ada.account_number)
    stranger = charge_item("0000-0000-0")
    nowhere = charge_item(ada.account_number, location_code="SOUTH")

    response = await post_bundle(client, secret, bundle(good, stranger, nowhere))

    assert statuses(response) == ["201", "422", "422"]
    found = issues(response)
    assert found[1] == {
        "severity": "error",
        "code": "not-found",
        "diagnostics": "ChargeItem.subject.identifier names no known patient account",
        "expression": ["ChargeItem.subject.identifier"],
    }
    assert found[2]["diagnostics"] == (
        "ChargeItem.performingOrganization.identifier names no known location"
    )
    assert await HeldCharge.all().count() == 1


async def test_what_fhir_refuses_is_told_by_path_and_rule_without_the_value(
    client: httpx.AsyncClient, secret: str, ada: Patient, clinic: Location
) -> None:
    # given a ChargeItem with a provider name in a place FHIR wants a number
    broken = charge_item(ada.account_number)
    broken["quantity"] = {"value": "Dr. Grace Hopper"}
    no_code = charge_item(ada.account_number)
    del no_code["code"]

    response = await post_bundle(client, secret, bundle(broken, no_code))

    assert statuses(response) == ["422", "422"]
    first, second = issues(response)
    assert first["expression"] == ["ChargeItem.quantity.value"]
    assert first["diagnostics"] == "ChargeItem.quantity.value is not a valid value (value_error)"
    assert second["diagnostics"] == "ChargeItem.code is required (missing)"
    assert "Hopper" not in response.text
    assert await HeldCharge.all().count() == 0


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"quantity": {"value": 1.5}}, "quantity.value"),
        ({"quantity": {"value": 0}}, "quantity.value"),
        ({"priceOverride": {"value": 10.001, "currency": "USD"}}, "priceOverride.value"),
        ({"priceOverride": {"value": 10, "currency": "XYZ"}}, "priceOverride.currency"),
        ({"status": "planned"}, "status"),
        ({"performer": []}, "performer[0].actor.display"),
        ({"identifier": []}, "identifier[0]"),
        ({"context": None}, "context.identifier.value"),
        ({"occurrenceDateTime": None}, "occurrenceDateTime"),
    ],
)
async def test_a_charge_our_rules_cannot_bill_is_refused_naming_the_element(
    client: httpx.AsyncClient,
    secret: str,
    ada: Patient,
    clinic: Location,
    change: dict[str, object],
    path: str,
) -> None:
    item = {**charge_item(ada.account_number), **change}
    item = {key: value for key, value in item.items() if value is not None}

    response = await post_bundle(client, secret, bundle(item))

    assert statuses(response) == ["422"]
    issue = issues(response)[0]
    assert issue["expression"] == [f"ChargeItem.{path}"], issue
    assert await HeldCharge.all().count() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        orjson.dumps({"resourceType": "Patient"}),
        orjson.dumps({**bundle(), "type": "transaction"}),
        orjson.dumps(bundle()),
        orjson.dumps(
            {
                "resourceType": "Bundle",
                "type": "batch",
                "entry": [
                    {
                        "resource": {"resourceType": "Patient"},
                        "request": {"method": "POST", "url": "ChargeItem"},
                    }
                ],
            }
        ),
        orjson.dumps({**bundle(charge_item("1")), "total": "many"}),
    ],
)
async def test_a_body_that_is_not_a_charge_bundle_is_400_and_stores_nothing(
    client: httpx.AsyncClient, secret: str, ada: Patient, clinic: Location, body: bytes
) -> None:
    response = await post_bundle(client, secret, body)

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert await HeldCharge.all().count() == 0


async def test_a_bundle_of_more_than_500_charges_is_refused_whole(
    client: httpx.AsyncClient, secret: str, ada: Patient, clinic: Location
) -> None:
    items = [charge_item(ada.account_number, price="1.00") for _ in range(501)]

    response = await post_bundle(client, secret, bundle(*items))

    assert response.status_code == 400
    assert "at most 500" in response.json()["issue"][0]["diagnostics"]
    assert await HeldCharge.all().count() == 0


async def test_a_body_above_the_size_limit_is_413(
    client: httpx.AsyncClient, secret: str, settings: Settings
) -> None:
    body = b" " * (settings.max_request_bytes + 1)

    response = await post_bundle(client, secret, body)

    assert response.status_code == 413


async def test_entered_in_error_withdraws_a_held_charge(
    client: httpx.AsyncClient, secret: str, ada: Patient, clinic: Location
) -> None:
    item = charge_item(ada.account_number, identifier="c-1")
    await post_bundle(client, secret, bundle(item))

    response = await post_bundle(client, secret, bundle(withdrawal(item)))
    again = await post_bundle(client, secret, bundle(withdrawal(item)))

    assert statuses(response) == ["200"]
    assert statuses(again) == ["200"]
    assert (await HeldCharge.get(identifier_value="c-1")).status is HeldChargeStatus.WITHDRAWN


async def test_withdrawing_a_charge_never_sent_is_refused(
    client: httpx.AsyncClient, secret: str, ada: Patient, clinic: Location
) -> None:
    response = await post_bundle(
        client, secret, bundle(withdrawal(charge_item(ada.account_number)))
    )

    assert statuses(response) == ["422"]
    issue = issues(response)[0]
    assert issue["code"] == "not-found"


async def test_only_the_client_that_sent_a_charge_may_withdraw_it(
    client: httpx.AsyncClient, settings: Settings, secret: str, ada: Patient, clinic: Location
) -> None:
    item = charge_item(ada.account_number, identifier="c-1")
    await post_bundle(client, secret, bundle(item))
    other = await api_client_secret(settings)

    response = await post_bundle(client, other, bundle(withdrawal(item)))

    assert statuses(response) == ["422"]
    assert issues(response)[0]["code"] == "not-found"
    assert (await HeldCharge.get(identifier_value="c-1")).status is HeldChargeStatus.HELD
