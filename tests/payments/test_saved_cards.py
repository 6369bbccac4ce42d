"""Saved cards through the real stripe SDK against the simulator: startSavingCard makes one
Stripe Customer per patient, the phone confirms the SetupIntent, Stripe's signed
setup_intent.succeeded saves the card, and removePaymentMethod detaches it at Stripe."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import build_app
from config.settings import Settings
from models.audit import AuditEvent
from models.patients import Patient
from models.payments import PaymentMethod as PaymentMethodRow
from models.stripe_events import StripeEvent
from tests.support.factories.auth import BIRTH_DATE
from tests.support.factories.invoices import PatientCaller, global_id, patient_caller
from tests.support.graphql_client import contract_operation, gql
from tests.support.stripe_fixture import (
    SDK_DATA_WARNING,
    StripeWorld,
    close_shared_gateway,
    free_socket,
    settings_for_simulator,
    stripe_world,
    url_of,
)

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

START_SAVING_CARD = """
mutation StartSavingCard {
  startSavingCard {
    clientSecret
    customerId
    ephemeralKey
    errors { code field message }
  }
}
"""
CONTRACT_START_SAVING_CARD = contract_operation("StartSavingCard")
MY_PAYMENT_METHODS = contract_operation("MyPaymentMethods")
REMOVE_PAYMENT_METHOD = contract_operation("RemovePaymentMethod")


@pytest.fixture
async def world(settings: Settings, db: None) -> AsyncIterator[StripeWorld]:
    async with stripe_world(settings) as running:
        yield running


@pytest.fixture
async def ada(db: None) -> PatientCaller:
    return await patient_caller("ada@example.org")


@pytest.fixture
async def bob(db: None) -> PatientCaller:
    return await patient_caller("bob@example.org")


async def _start(world: StripeWorld, caller: PatientCaller) -> dict[str, object]:
    result = await gql(world.client, START_SAVING_CARD, token=caller.token)
    payload: dict[str, object] = result["data"]["startSavingCard"]
    assert payload["errors"] == [], payload
    return payload


async def _save_card(world: StripeWorld, caller: PatientCaller, card: str = "pm_card_visa") -> None:
    """What the phone does: start, confirm the SetupIntent with Stripe; then Stripe's event."""
    payload = await _start(world, caller)
    secret = str(payload["clientSecret"])
    intent_id = secret.split("_secret_")[0]
    await world.sdk.v1.setup_intents.confirm_async(intent_id, params={"payment_method": card})
    await world.deliveries_done()


async def _my_cards(world: StripeWorld, caller: PatientCaller) -> list[dict[str, object]]:
    result = await gql(world.client, MY_PAYMENT_METHODS, token=caller.token)
    assert "errors" not in result, result
    cards: list[dict[str, object]] = result["data"]["myPaymentMethods"]
    return cards


async def test_start_saving_card_creates_one_customer_and_answers_what_the_sheet_needs(
    world: StripeWorld, ada: PatientCaller
) -> None:
    # when Ada starts saving a card twice (once with the contract's operation)
    first = await _start(world, ada)
    contract = await gql(world.client, CONTRACT_START_SAVING_CARD, token=ada.token)
    second = await _start(world, ada)

    # then both use one Stripe Customer, stored on her record
    patient = await Patient.get(id=ada.patient_id)
    assert first["customerId"] == second["customerId"] == patient.stripe_customer_id
    assert str(first["clientSecret"]).startswith("seti_")
    assert str(first["ephemeralKey"]).startswith("ek_test_")
    assert contract["data"]["startSavingCard"]["clientSecret"].startswith("seti_")
    customers = [r for r in await world.requests() if r["path"] == "/v1/customers"]
    assert len(customers) == 1
    assert customers[0]["params"]["metadata"] == {"patient_ref": str(ada.patient_id)}
    assert customers[0]["idempotency_key"] == f"patient-{ada.patient_id}-customer"


async def test_two_concurrent_first_calls_keep_one_customer(
    world: StripeWorld, ada: PatientCaller
) -> None:
    first, second = await asyncio.gather(_start(world, ada), _start(world, ada))

    patient = await Patient.get(id=ada.patient_id)
    assert first["customerId"] == second["customerId"] == patient.stripe_customer_id


async def test_a_confirmed_setup_intent_saves_the_card_once(
    world: StripeWorld, ada: PatientCaller
) -> None:
    # given Ada saved a visa card through the phone and Stripe's webhook
    await _save_card(world, ada)

    # then it is her default card
    cards = await _my_cards(world, ada)
    assert [(c["brand"], c["last4"], c["isDefault"]) for c in cards] == [("visa", "4242", True)]
    assert isinstance(cards[0]["expMonth"], int)
    assert isinstance(cards[0]["expYear"], int)
    stored = await StripeEvent.get(type="setup_intent.succeeded")
    assert stored.outcome == "APPLIED"
    saved = await AuditEvent.get(action="payment_method.saved")
    assert saved.reference == stored.event_id
    assert saved.patient_id == ada.patient_id

    # when Stripe delivers the same event again
    response = await world.control.post(f"/_sim/events/{stored.event_id}/redeliver")
    assert response.status_code == 202
    await world.deliveries_done()

    # then nothing changed
    assert await PaymentMethodRow.all().count() == 1
    assert await StripeEvent.filter(event_id=stored.event_id).count() == 1
    assert await AuditEvent.filter(action="payment_method.saved").count() == 1
    events = await world.events("setup_intent.succeeded")
    assert events[0]["delivery_attempts"] == [200, 200]


async def test_a_second_card_is_not_the_default_and_lists_after_it(
    world: StripeWorld, ada: PatientCaller
) -> None:
    await _save_card(world, ada, "pm_card_visa")
    await _save_card(world, ada, "pm_card_mastercard")

    cards = await _my_cards(world, ada)

    assert [(c["brand"], c["isDefault"]) for c in cards] == [("visa", True), ("mastercard", False)]


async def test_removing_the_default_card_detaches_it_at_stripe_and_promotes_the_newest(
    world: StripeWorld, ada: PatientCaller
) -> None:
    # given two saved cards, the visa the default
    await _save_card(world, ada, "pm_card_visa")
    await _save_card(world, ada, "pm_card_mastercard")
    visa = await PaymentMethodRow.get(brand="visa")

    # when Ada removes the visa
    result = await gql(
        world.client,
        REMOVE_PAYMENT_METHOD,
        {"id": global_id("PaymentMethod", visa.id)},
        token=ada.token,
    )
    await world.deliveries_done()

    # then it is detached here and at Stripe, and the mastercard is the default
    assert result["data"]["removePaymentMethod"] == {"ok": True, "errors": []}
    await visa.refresh_from_db()
    assert visa.detached_at is not None
    cards = await _my_cards(world, ada)
    assert [(c["brand"], c["isDefault"]) for c in cards] == [("mastercard", True)]
    detach = [r for r in await world.requests() if r["path"].endswith("/detach")]
    assert [r["path"] for r in detach] == [
        f"/v1/payment_methods/{visa.stripe_payment_method_id}/detach"
    ]
    at_stripe = await world.sdk.v1.payment_methods.retrieve_async(visa.stripe_payment_method_id)
    assert at_stripe.customer is None
    assert await AuditEvent.filter(action="payment_method.removed", outcome="SUCCESS").count() == 1
    # Stripe's payment_method.detached event races the mutation: whichever marks the card
    # first wins, the other changes nothing.
    detached_event = await StripeEvent.get(type="payment_method.detached")
    assert detached_event.outcome in ("APPLIED", "IGNORED")


async def test_another_patients_card_is_not_found_and_stays_saved(
    world: StripeWorld, ada: PatientCaller, bob: PatientCaller
) -> None:
    # given Ada's saved card
    await _save_card(world, ada)
    card = await PaymentMethodRow.get(patient_id=ada.patient_id)

    # when Bob removes it, and when he removes a card that does not exist
    theirs = await gql(
        world.client,
        REMOVE_PAYMENT_METHOD,
        {"id": global_id("PaymentMethod", card.id)},
        token=bob.token,
    )
    missing = await gql(
        world.client,
        REMOVE_PAYMENT_METHOD,
        {"id": global_id("PaymentMethod", card.id + 1000)},
        token=bob.token,
    )

    # then both answer the same NOT_FOUND, and nothing reached Stripe
    assert theirs["data"]["removePaymentMethod"] == missing["data"]["removePaymentMethod"]
    assert theirs["data"]["removePaymentMethod"]["ok"] is False
    assert [e["code"] for e in theirs["data"]["removePaymentMethod"]["errors"]] == ["NOT_FOUND"]
    await card.refresh_from_db()
    assert card.detached_at is None
    assert not [r for r in await world.requests() if r["path"].endswith("/detach")]
    assert await _my_cards(world, bob) == []


async def test_stripe_never_receives_the_patients_name_email_or_birth_date(
    world: StripeWorld, ada: PatientCaller
) -> None:
    await _save_card(world, ada)
    card = await PaymentMethodRow.get(patient_id=ada.patient_id)
    await gql(
        world.client,
        REMOVE_PAYMENT_METHOD,
        {"id": global_id("PaymentMethod", card.id)},
        token=ada.token,
    )

    sent = str(await world.requests())

    assert sent.count("/v1/") >= 4  # customer, setup intent, ephemeral key, detach
    for phi in ("Ada", "Lovelace", "ada@example.org", BIRTH_DATE.isoformat(), "1980"):
        assert phi not in sent


async def test_an_unreachable_stripe_is_provider_unavailable_and_writes_nothing(
    settings: Settings, ada: PatientCaller
) -> None:
    # given an app whose Stripe is a port nobody listens on
    closed = free_socket()
    down = settings_for_simulator(settings, url_of(closed))
    closed.close()
    app = build_app(down)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            # when Ada starts saving a card
            result = await gql(http, START_SAVING_CARD, token=ada.token)
    finally:
        await close_shared_gateway(down)

    # then she is told to try later, and no customer was stored
    payload = result["data"]["startSavingCard"]
    assert [e["code"] for e in payload["errors"]] == ["PAYMENT_PROVIDER_UNAVAILABLE"]
    assert payload["clientSecret"] is None
    patient = await Patient.get(id=ada.patient_id)
    assert patient.stripe_customer_id is None
    assert await PaymentMethodRow.all().count() == 0


async def test_saved_cards_need_a_session(world: StripeWorld) -> None:
    result = await gql(world.client, MY_PAYMENT_METHODS)
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
