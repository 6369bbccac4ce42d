"""Fault: Stripe stops answering. A call that needs it ends, after the gateway's own timeout
and retry, with ``PAYMENT_PROVIDER_UNAVAILABLE``, and nothing is half-done: no success on
record, no money held, nothing stored that a retry would not reuse; and when an answer is
lost on the way back, the retry reuses what Stripe made the first time.

Stripe here is the simulator behind ``tests.support.stripe_stall``'s proxy, over real loopback HTTP.
The gateway is the real one (the official SDK), with a short timeout and few retries from the
app's own settings (``STRIPE_TIMEOUT_MS``, ``STRIPE_MAX_ATTEMPTS``).

``PROVIDER_OPERATIONS`` lists the operations that call Stripe, each with what "half-done"
would look like for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import build_app
from billing.payments import use_cases as payments
from config.settings import Settings
from models.audit import AuditEvent
from models.enums import PaymentStatus
from models.invoices import Invoice
from models.patients import Patient
from models.payments import Payment, PaymentMethod
from stripe_simulator import SimulatorConfig, build_simulator_app
from stripe_simulator.store import SimulatorState
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
)
from tests.support.graphql_client import gql
from tests.support.stripe_fixture import (
    API_KEY,
    SDK_DATA_WARNING,
    close_shared_gateway,
    free_socket,
    serving,
    settings_for_simulator,
)
from tests.support.stripe_stall import StallingProxy, stalling_proxy

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

TIMEOUT_SECONDS = 0.5
NETWORK_RETRIES = 1


@dataclass(frozen=True)
class ProviderOperation:
    """A GraphQL operation that calls Stripe, and how to tell what it left behind."""

    name: str
    document: str
    payload: str
    prepare: Callable[[PatientCaller], Awaitable[dict[str, Any]]]
    # What Stripe holds of the kind this operation makes.
    objects_at_stripe: Callable[[SimulatorState], int]
    # Whether anything of a success, or a hold, is left here.
    half_done: Callable[[PatientCaller], Awaitable[bool]]


async def _no_variables(_caller: PatientCaller) -> dict[str, Any]:
    return {}


async def _card_setup_half_done(caller: PatientCaller) -> bool:
    patient = await Patient.get(id=caller.patient_id)
    return (
        bool(patient.stripe_customer_id)
        or await PaymentMethod.exists(patient_id=caller.patient_id)
        or await AuditEvent.exists(action=payments.START_SAVING_CARD.name, outcome="SUCCESS")
    )


async def _an_invoice_to_pay(caller: PatientCaller) -> dict[str, Any]:
    bill = await invoice(caller.patient_id, (await location()).id, prices_minor=(12000,))
    allocation = {"invoiceId": global_id("Invoice", bill.id), "amount": "120.00"}
    return {"input": {"allocations": [allocation], "idempotencyKey": "pay-attempt-1"}}


async def _payment_half_done(caller: PatientCaller) -> bool:
    closed = (PaymentStatus.CANCELED, PaymentStatus.FAILED)
    open_payments = Payment.filter(patient_id=caller.patient_id).exclude(status__in=closed)
    return await open_payments.exists() or await Invoice.filter(reserved_minor__gt=0).exists()


START_SAVING_CARD = ProviderOperation(
    name="startSavingCard",
    document="""
mutation StartSavingCard {
  startSavingCard { clientSecret customerId ephemeralKey errors { code field message } }
}
""",
    payload="startSavingCard",
    prepare=_no_variables,
    objects_at_stripe=lambda state: len(state.customers),
    half_done=_card_setup_half_done,
)
PAY_INVOICES = ProviderOperation(
    name="payInvoices",
    document="""
mutation PayInvoices($input: PayInvoicesInput!) {
  payInvoices(input: $input) { payment { id status clientSecret } errors { code field message } }
}
""",
    payload="payInvoices",
    prepare=_an_invoice_to_pay,
    objects_at_stripe=lambda state: len(state.payment_intents),
    half_done=_payment_half_done,
)

PROVIDER_OPERATIONS = [START_SAVING_CARD, PAY_INVOICES]


@dataclass
class SlowStripe:
    proxy: StallingProxy
    simulator: SimulatorState
    client: httpx.AsyncClient


@pytest.fixture
async def slow_stripe(settings: Settings, db: None) -> AsyncIterator[SlowStripe]:
    simulator_app = build_simulator_app(SimulatorConfig(api_key=API_KEY))
    async with (
        serving(simulator_app, free_socket()) as simulator_url,
        stalling_proxy(simulator_url) as (proxy, proxy_url),
    ):
        app_settings = dataclasses.replace(
            settings_for_simulator(settings, proxy_url),
            stripe_timeout_ms=int(TIMEOUT_SECONDS * 1000),
            stripe_network_retries=NETWORK_RETRIES,
        )
        app: Starlette = build_app(app_settings)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield SlowStripe(proxy, simulator_app.state.simulator.state, c)
        finally:
            await close_shared_gateway(app_settings)


async def _call(
    stripe: SlowStripe, operation: ProviderOperation, caller: PatientCaller
) -> dict[str, Any]:
    variables = await operation.prepare(caller)
    result = await gql(stripe.client, operation.document, variables, token=caller.token)
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"][operation.payload]
    return payload


def _only_error_code(payload: dict[str, Any]) -> list[str]:
    data = {key: value for key, value in payload.items() if key != "errors"}
    assert all(value is None for value in data.values()), payload
    return [error["code"] for error in payload["errors"]]


@pytest.mark.parametrize("operation", PROVIDER_OPERATIONS, ids=lambda op: op.name)
async def test_a_silent_stripe_is_provider_unavailable_and_nothing_is_half_done(
    slow_stripe: SlowStripe, operation: ProviderOperation
) -> None:
    # given Stripe accepts connections but never answers
    ada = await patient_caller("ada@example.org")
    slow_stripe.proxy.stall("/v1/", forward=False)

    # when Ada starts the operation
    payload = await _call(slow_stripe, operation, ada)

    # then she is told to try again, after the gateway tried twice, and nothing is half-done
    assert _only_error_code(payload) == ["PAYMENT_PROVIDER_UNAVAILABLE"]
    assert len(slow_stripe.proxy.stalled_requests) == 1 + NETWORK_RETRIES
    assert operation.objects_at_stripe(slow_stripe.simulator) == 0
    assert not await operation.half_done(ada)
    failure = await AuditEvent.filter(outcome="FAILURE").get()
    assert failure.reference == "PAYMENT_PROVIDER_UNAVAILABLE"


async def test_a_lost_answer_is_provider_unavailable_and_the_retry_reuses_stripes_customer(
    slow_stripe: SlowStripe,
) -> None:
    # given Stripe makes Customers but its answers never come back
    ada = await patient_caller("ada@example.org")
    slow_stripe.proxy.stall("/v1/customers", forward=True)

    # when Ada starts saving a card
    payload = await _call(slow_stripe, START_SAVING_CARD, ada)

    # then she is told to try again, and nothing is half-done here
    assert _only_error_code(payload) == ["PAYMENT_PROVIDER_UNAVAILABLE"]
    assert len(slow_stripe.simulator.customers) == 1
    assert not await START_SAVING_CARD.half_done(ada)

    # and when Stripe answers again, her retry gets the Customer made the first time
    slow_stripe.proxy.lift()
    retried = await _call(slow_stripe, START_SAVING_CARD, ada)
    assert retried["errors"] == []
    [customer_id] = slow_stripe.simulator.customers
    assert retried["customerId"] == customer_id
    assert (await Patient.get(id=ada.patient_id)).stripe_customer_id == customer_id
    assert (
        await AuditEvent.filter(action=payments.START_SAVING_CARD.name, outcome="SUCCESS").count()
        == 1
    )
