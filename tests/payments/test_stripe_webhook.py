"""POST /webhooks/stripe: Stripe-signed events, stored once in the inbox and applied in the
same transaction; bad, stale or future signatures and bodies that are not events are 400 and
store nothing; unknown types are stored as IGNORED; nothing of the body is logged."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from api.app import build_app
from config.settings import Settings
from models.audit import AuditEvent
from models.patients import Patient
from models.payments import PaymentMethod as PaymentMethodRow
from models.stripe_events import StripeEvent
from tests.support.factories.invoices import PatientCaller, patient_caller
from tests.support.stripe_fixture import (
    SDK_DATA_WARNING,
    WEBHOOK_SECRET,
    close_shared_gateway,
    free_socket,
    settings_for_simulator,
    url_of,
)
from webhooks.stripe import sign

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

WEBHOOK_PATH = "/webhooks/stripe"


@pytest.fixture
def secret(settings: Settings) -> bytes:
    return settings.stripe_webhook_secret.reveal().encode()


@pytest.fixture
async def ada(db: None) -> PatientCaller:
    caller = await patient_caller("ada@example.org")
    await Patient.filter(id=caller.patient_id).update(stripe_customer_id="cus_ada")
    return caller


def _event(event_type: str = "customer.created", **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": "evt_1TestEvent",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": {"id": "cus_ada", "object": "customer"}},
        "livemode": False,
        "type": event_type,
    }
    return {**event, **changes}


async def _deliver(
    client: httpx.AsyncClient,
    body: bytes | dict[str, Any],
    secret: bytes,
    *,
    signature: str | None = None,
    at: int | None = None,
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    header = signature if signature is not None else sign(raw, secret, at or int(time.time()))
    headers = {"content-type": "application/json"}
    if header:
        headers["stripe-signature"] = header
    return await client.post(WEBHOOK_PATH, content=raw, headers=headers)


async def _card(patient_id: int, stripe_id: str, *, default: bool, age_days: int) -> int:
    row = await PaymentMethodRow.create(
        patient_id=patient_id,
        stripe_payment_method_id=stripe_id,
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
        is_default=default,
    )
    created = datetime.now(UTC) - timedelta(days=age_days)
    await PaymentMethodRow.filter(id=row.id).update(created_at=created)
    return int(row.id)


async def test_an_unknown_event_type_is_stored_as_ignored(
    client: httpx.AsyncClient, secret: bytes
) -> None:
    response = await _deliver(client, _event("customer.created"), secret)

    assert response.status_code == 200
    stored = await StripeEvent.get(event_id="evt_1TestEvent")
    assert (stored.type, stored.outcome) == ("customer.created", "IGNORED")


async def test_a_repeated_event_is_answered_200_and_stored_once(
    client: httpx.AsyncClient, secret: bytes
) -> None:
    first = await _deliver(client, _event(), secret)
    again = await _deliver(client, _event(), secret)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["result"] == "duplicate"
    assert await StripeEvent.all().count() == 1


async def test_any_of_several_v1_signatures_may_match(
    client: httpx.AsyncClient, secret: bytes
) -> None:
    raw = orjson.dumps(_event())
    now = int(time.time())
    good = sign(raw, secret, now).split("v1=")[1]
    header = f"t={now},v1={'0' * 64},v1={good}"

    response = await _deliver(client, raw, secret, signature=header)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("case", "signature"),
    [
        ("missing", ""),
        ("wrong secret", "WRONG"),
        ("no timestamp", "v1=" + "0" * 64),
        ("no v1", "t=1700000000"),
        ("garbage", "t=abc,v1=xyz"),
    ],
)
async def test_a_bad_or_missing_signature_is_400_and_stores_nothing(
    client: httpx.AsyncClient, secret: bytes, case: str, signature: str
) -> None:
    raw = orjson.dumps(_event())
    if signature == "WRONG":
        signature = sign(raw, b"whsec_someone_else", int(time.time()))

    response = await _deliver(client, raw, secret, signature=signature)

    assert response.status_code == 400, case
    assert await StripeEvent.all().count() == 0


async def test_a_signed_body_that_is_not_utf8_is_400(
    client: httpx.AsyncClient, secret: bytes
) -> None:
    raw = orjson.dumps(_event())[:-1] + b', "x": "\xff"}'
    header = sign(raw, secret, int(time.time()))

    response = await _deliver(client, raw, secret, signature=header)

    assert response.status_code == 400
    assert response.json()["result"] == "bad_signature"
    assert await StripeEvent.all().count() == 0


async def test_a_body_changed_after_signing_is_400(
    client: httpx.AsyncClient, secret: bytes
) -> None:
    raw = orjson.dumps(_event())
    header = sign(raw, secret, int(time.time()))

    changed = raw.replace(b"customer", b"customer ")
    response = await _deliver(client, changed, secret, signature=header)

    assert response.status_code == 400
    assert await StripeEvent.all().count() == 0


@pytest.mark.parametrize("offset", [-301, 301, -3600, 3600])
async def test_a_stale_or_future_timestamp_is_400(
    client: httpx.AsyncClient, secret: bytes, offset: int
) -> None:
    response = await _deliver(client, _event(), secret, at=int(time.time()) + offset)

    assert response.status_code == 400
    assert response.json()["result"] == "stale_signature"
    assert await StripeEvent.all().count() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        orjson.dumps(_event(id="ch_1NotAnEvent")),
        orjson.dumps(_event(object="charge")),
        orjson.dumps(_event(type="")),
        orjson.dumps(_event(data={"object": "cus_ada"})),
        orjson.dumps({k: v for k, v in _event().items() if k != "data"}),
    ],
)
async def test_a_signed_body_that_is_not_a_stripe_event_is_400(
    client: httpx.AsyncClient, secret: bytes, body: bytes
) -> None:
    response = await _deliver(client, body, secret)

    assert response.status_code == 400
    assert await StripeEvent.all().count() == 0


async def test_a_setup_intent_of_an_unknown_customer_is_flagged(
    client: httpx.AsyncClient, secret: bytes, ada: PatientCaller
) -> None:
    intent = {"id": "seti_1", "object": "setup_intent", "customer": "cus_nobody"}
    intent["payment_method"] = "pm_1"
    response = await _deliver(
        client, _event("setup_intent.succeeded", data={"object": intent}), secret
    )

    assert response.status_code == 200
    stored = await StripeEvent.get(event_id="evt_1TestEvent")
    assert stored.outcome == "FLAGGED"
    assert await PaymentMethodRow.all().count() == 0


async def test_a_detached_default_card_is_marked_and_the_newest_other_promoted(
    client: httpx.AsyncClient, secret: bytes, ada: PatientCaller
) -> None:
    # given a default card and two others
    default = await _card(ada.patient_id, "pm_default", default=True, age_days=30)
    await _card(ada.patient_id, "pm_old", default=False, age_days=20)
    newest = await _card(ada.patient_id, "pm_new", default=False, age_days=1)
    event = _event(
        "payment_method.detached",
        data={"object": {"id": "pm_default", "object": "payment_method", "customer": None}},
    )

    # when Stripe says the default card was detached
    response = await _deliver(client, event, secret)

    # then it is marked, the newest other card is the default, and the effect is audited
    assert response.status_code == 200
    stored = await StripeEvent.get(event_id="evt_1TestEvent")
    assert stored.outcome == "APPLIED"
    row = await PaymentMethodRow.get(id=default)
    assert row.detached_at is not None
    assert not row.is_default
    defaults = [card.id for card in await PaymentMethodRow.filter(is_default=True)]
    assert defaults == [newest]
    audit = await AuditEvent.get(action="payment_method.detached")
    assert (audit.reference, audit.resource_id, audit.patient_id, audit.actor_role) == (
        "evt_1TestEvent",
        str(default),
        ada.patient_id,
        "stripe",
    )


async def test_a_detached_card_we_never_saved_is_ignored(
    client: httpx.AsyncClient, secret: bytes
) -> None:
    event = _event("payment_method.detached", data={"object": {"id": "pm_unknown"}})

    response = await _deliver(client, event, secret)

    assert response.status_code == 200
    assert (await StripeEvent.get(event_id="evt_1TestEvent")).outcome == "IGNORED"


@pytest.fixture
async def stripe_down_client(settings: Settings, db: None) -> AsyncIterator[httpx.AsyncClient]:
    closed = free_socket()
    down = settings_for_simulator(settings, url_of(closed))
    closed.close()
    transport = httpx.ASGITransport(app=build_app(down))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await close_shared_gateway(down)


async def test_an_event_that_needs_an_unreachable_stripe_is_503_and_not_stored(
    stripe_down_client: httpx.AsyncClient, ada: PatientCaller
) -> None:
    intent = {"id": "seti_1", "object": "setup_intent", "customer": "cus_ada"}
    intent["payment_method"] = "pm_1"
    event = _event("setup_intent.succeeded", data={"object": intent})

    response = await _deliver(stripe_down_client, event, WEBHOOK_SECRET.encode())

    assert response.status_code == 503
    assert await StripeEvent.all().count() == 0
    assert await PaymentMethodRow.all().count() == 0


async def test_nothing_of_the_body_is_logged(
    client: httpx.AsyncClient,
    secret: bytes,
    ada: PatientCaller,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="billing")
    await _card(ada.patient_id, "pm_secretive", default=True, age_days=1)
    event = _event("payment_method.detached", data={"object": {"id": "pm_secretive"}})

    await _deliver(client, event, secret)
    await _deliver(client, orjson.dumps(event), secret, signature="t=1,v1=00")

    logged = " ".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "pm_secretive" not in logged
    assert "evt_1TestEvent" not in logged
