"""Objects and events Stripe sends that the simulator used to leave out: a charge's billing
details, a dispute's balance transactions and evidence, a failed setup's event, attaching."""

from __future__ import annotations

import httpx
import pytest
import stripe
from starlette.applications import Starlette

from tests.stripe_simulator.harness import WebhookReceiver, all_delivered
from tests.support.stripe_fixture import SDK_DATA_WARNING

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)


async def _paid_intent(sdk: stripe.StripeClient, amount: int = 5000) -> stripe.PaymentIntent:
    return await sdk.v1.payment_intents.create_async(
        params={
            "amount": amount,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )


async def test_a_charge_carries_its_cards_billing_details(
    sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    intent = await _paid_intent(sdk)

    charge = await sdk.v1.charges.retrieve_async(str(intent.latest_charge))

    method = await sdk.v1.payment_methods.retrieve_async(str(intent.payment_method))
    assert charge.billing_details.to_dict() == method.billing_details.to_dict()
    assert set(charge.billing_details.to_dict()) == {"address", "email", "name", "phone"}
    await sdk.v1.refunds.create_async(params={"payment_intent": intent.id, "amount": 100})
    refunded = await receiver.next_event("charge.refunded")
    assert "billing_details" in refunded.data.object


async def test_an_opened_dispute_withdraws_the_funds_and_awaits_evidence(
    sdk: stripe.StripeClient, control: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    intent = await _paid_intent(sdk, amount=7000)

    opened = await control.post("/_sim/disputes", data={"payment_intent": intent.id})

    dispute = await sdk.v1.disputes.retrieve_async(opened.json()["id"])
    [withdrawal] = dispute.balance_transactions
    assert (withdrawal.amount, withdrawal.fee, withdrawal.net) == (-7000, 1500, -8500)
    assert withdrawal.reporting_category == "dispute"
    assert withdrawal.source == dispute.id
    assert dispute.evidence.customer_name is None
    assert dispute.evidence.uncategorized_text is None
    assert dispute.evidence_details.has_evidence is False
    assert dispute.evidence_details.submission_method == "not_submitted"
    created = await receiver.next_event("charge.dispute.created")
    withdrawn = await receiver.next_event("charge.dispute.funds_withdrawn")
    assert created.data.object["id"] == withdrawn.data.object["id"] == dispute.id
    assert len(created.data.object["balance_transactions"]) == 1
    assert "evidence" in created.data.object


async def _dispute(sdk: stripe.StripeClient, control: httpx.AsyncClient) -> str:
    intent = await _paid_intent(sdk)
    opened = await control.post("/_sim/disputes", data={"payment_intent": intent.id})
    dispute_id: str = opened.json()["id"]
    return dispute_id


async def test_a_dispute_won_reinstates_the_funds_and_one_lost_does_not(
    sdk: stripe.StripeClient,
    control: httpx.AsyncClient,
    receiver: WebhookReceiver,
    simulator_app: Starlette,
) -> None:
    won, lost = await _dispute(sdk, control), await _dispute(sdk, control)

    await control.post(f"/_sim/disputes/{won}/close", data={"status": "won"})
    await control.post(f"/_sim/disputes/{lost}/close", data={"status": "lost"})

    after_win = await sdk.v1.disputes.retrieve_async(won)
    assert [txn.amount for txn in after_win.balance_transactions] == [-5000, 5000]
    assert sum(txn.net for txn in after_win.balance_transactions) == 0
    after_loss = await sdk.v1.disputes.retrieve_async(lost)
    assert [txn.amount for txn in after_loss.balance_transactions] == [-5000]
    reinstated = await receiver.next_event("charge.dispute.funds_reinstated")
    assert reinstated.data.object["id"] == won
    await all_delivered(simulator_app)
    assert receiver.types().count("charge.dispute.funds_reinstated") == 1


async def test_a_declined_setup_sends_setup_intent_setup_failed(
    sdk: stripe.StripeClient, receiver: WebhookReceiver, simulator_app: Starlette
) -> None:
    customer = await sdk.v1.customers.create_async()
    setup = await sdk.v1.setup_intents.create_async(params={"customer": customer.id})

    with pytest.raises(stripe.CardError) as declined:
        await sdk.v1.setup_intents.confirm_async(
            setup.id, params={"payment_method": "pm_card_chargeDeclined"}
        )

    assert declined.value.code == "card_declined"
    event = await receiver.next_event("setup_intent.setup_failed")
    failed = event.data.object
    assert (failed["id"], failed["status"]) == (setup.id, "requires_payment_method")
    assert failed["last_setup_error"]["decline_code"] == "generic_decline"
    await all_delivered(simulator_app)
    assert "setup_intent.succeeded" not in receiver.types()


async def test_attaching_a_card_to_a_customer(
    sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    customer = await sdk.v1.customers.create_async()
    other = await sdk.v1.customers.create_async()

    attached = await sdk.v1.payment_methods.attach_async(
        "pm_card_visa", params={"customer": customer.id}
    )

    assert attached.id.startswith("pm_")
    assert attached.customer == customer.id
    event = await receiver.next_event("payment_method.attached")
    assert event.data.object["id"] == attached.id
    listed = await sdk.v1.payment_methods.list_async(params={"customer": customer.id})
    assert [card.id for card in listed.data] == [attached.id]
    with pytest.raises(stripe.InvalidRequestError) as taken:
        await sdk.v1.payment_methods.attach_async(attached.id, params={"customer": other.id})
    assert taken.value.param == "payment_method"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        await sdk.v1.payment_methods.attach_async("pm_nope", params={"customer": customer.id})
    assert unknown.value.code == "resource_missing"


async def test_saving_a_card_with_a_setup_intent_attaches_it(
    sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    customer = await sdk.v1.customers.create_async()
    setup = await sdk.v1.setup_intents.create_async(params={"customer": customer.id})

    await sdk.v1.setup_intents.confirm_async(setup.id, params={"payment_method": "pm_card_visa"})

    attached = await receiver.next_event("payment_method.attached")
    assert attached.data.object["customer"] == customer.id
