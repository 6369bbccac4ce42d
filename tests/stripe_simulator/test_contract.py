"""The simulator's answers, events and webhook payloads in every flow the app uses, checked
against stripe-python's own classes: required fields present, enums within their values, no
field the SDK does not know (``sdk_contract``). Each flow goes through the real SDK."""

from __future__ import annotations

import httpx
import pytest
import stripe

from tests.stripe_simulator.harness import Contract, assert_conforms
from tests.support.stripe_fixture import SDK_DATA_WARNING

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)


async def _customer(sdk: stripe.StripeClient) -> stripe.Customer:
    return await sdk.v1.customers.create_async(
        params={"email": "pat@example.test", "metadata": {"patient_ref": "p-1"}}
    )


async def _paid_intent(sdk: stripe.StripeClient, customer_id: str) -> stripe.PaymentIntent:
    return await sdk.v1.payment_intents.create_async(
        params={
            "amount": 5000,
            "currency": "usd",
            "customer": customer_id,
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )


async def test_customers_and_ephemeral_keys(sdk: stripe.StripeClient, contract: Contract) -> None:
    customer = await _customer(sdk)
    await sdk.v1.customers.retrieve_async(customer.id)
    await sdk.v1.ephemeral_keys.create_async(
        params={"customer": customer.id}, options={"stripe_version": stripe.api_version}
    )

    await assert_conforms(contract, objects={"customer", "ephemeral_key"})


async def test_setup_intents_saved_declined_and_authenticated(
    sdk: stripe.StripeClient, contract: Contract, control: httpx.AsyncClient
) -> None:
    customer = await _customer(sdk)
    saved = await sdk.v1.setup_intents.create_async(
        params={"customer": customer.id, "usage": "off_session"}
    )
    await sdk.v1.setup_intents.confirm_async(saved.id, params={"payment_method": "pm_card_visa"})
    await sdk.v1.setup_intents.retrieve_async(saved.id)
    declined = await sdk.v1.setup_intents.create_async(params={"customer": customer.id})
    with pytest.raises(stripe.CardError):
        await sdk.v1.setup_intents.confirm_async(
            declined.id, params={"payment_method": "pm_card_chargeDeclined"}
        )
    for outcome in ("succeeded", "failed"):
        challenged = await sdk.v1.setup_intents.create_async(
            params={
                "customer": customer.id,
                "payment_method": "pm_card_authenticationRequiredOnSetup",
                "confirm": True,
            }
        )
        await control.post(
            f"/_sim/setup_intents/{challenged.id}/authenticate", data={"outcome": outcome}
        )
        await sdk.v1.setup_intents.retrieve_async(challenged.id)

    await assert_conforms(
        contract,
        objects={"setup_intent", "payment_method"},
        events={
            "setup_intent.succeeded",
            "setup_intent.setup_failed",
            "setup_intent.requires_action",
            "payment_method.attached",
        },
    )


async def test_payment_intents_through_every_status(
    sdk: stripe.StripeClient, contract: Contract, control: httpx.AsyncClient
) -> None:
    customer = await _customer(sdk)
    created = await sdk.v1.payment_intents.create_async(
        params={
            "amount": 1200,
            "currency": "usd",
            "customer": customer.id,
            "metadata": {"payment_ref": "12"},
            "automatic_payment_methods": {"enabled": True},
        },
        options={"idempotency_key": "contract-1"},
    )
    await sdk.v1.payment_intents.confirm_async(
        created.id, params={"payment_method": "pm_card_visa"}
    )
    await sdk.v1.payment_intents.retrieve_async(created.id)
    canceled = await sdk.v1.payment_intents.create_async(params={"amount": 900, "currency": "usd"})
    await sdk.v1.payment_intents.cancel_async(
        canceled.id, params={"cancellation_reason": "requested_by_customer"}
    )
    declined = await sdk.v1.payment_intents.create_async(params={"amount": 900, "currency": "usd"})
    with pytest.raises(stripe.CardError):
        await sdk.v1.payment_intents.confirm_async(
            declined.id, params={"payment_method": "pm_card_chargeDeclinedInsufficientFunds"}
        )
    await sdk.v1.payment_intents.retrieve_async(declined.id)
    for outcome in ("succeeded", "failed"):
        processing = await sdk.v1.payment_intents.create_async(
            params={"amount": 700, "currency": "usd"}
        )
        await control.post(
            f"/_sim/payment_intents/{processing.id}/confirm", data={"settle": "later"}
        )
        await sdk.v1.payment_intents.retrieve_async(processing.id)
        await control.post(
            f"/_sim/payment_intents/{processing.id}/settle", data={"outcome": outcome}
        )
        await sdk.v1.payment_intents.retrieve_async(processing.id)

    await assert_conforms(
        contract,
        objects={"payment_intent", "payment_method"},
        events={
            "payment_intent.succeeded",
            "payment_intent.canceled",
            "payment_intent.payment_failed",
            "payment_intent.processing",
        },
    )


async def test_payment_intents_that_need_authentication(
    sdk: stripe.StripeClient, contract: Contract, control: httpx.AsyncClient
) -> None:
    customer = await _customer(sdk)
    for card, outcome in (
        ("pm_card_authenticationRequired", "succeeded"),
        ("pm_card_threeDSecure2Required", "failed"),
        ("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds", "succeeded"),
    ):
        intent = await sdk.v1.payment_intents.create_async(
            params={"amount": 2000, "currency": "usd", "customer": customer.id}
        )
        await sdk.v1.payment_intents.confirm_async(
            intent.id, params={"payment_method": card, "return_url": "https://app.test/back"}
        )
        await control.post(
            f"/_sim/payment_intents/{intent.id}/authenticate", data={"outcome": outcome}
        )
        await sdk.v1.payment_intents.retrieve_async(intent.id)
    saved = await sdk.v1.payment_methods.attach_async(
        "pm_card_authenticationRequired", params={"customer": customer.id}
    )
    with pytest.raises(stripe.CardError):
        await sdk.v1.payment_intents.create_async(
            params={
                "amount": 2000,
                "currency": "usd",
                "customer": customer.id,
                "payment_method": saved.id,
                "confirm": True,
                "off_session": True,
            }
        )

    await assert_conforms(
        contract,
        objects={"payment_intent", "payment_method"},
        events={
            "payment_intent.requires_action",
            "payment_intent.succeeded",
            "payment_intent.payment_failed",
        },
    )


async def test_payment_methods_attached_listed_and_detached(
    sdk: stripe.StripeClient, contract: Contract
) -> None:
    customer = await _customer(sdk)
    visa = await sdk.v1.payment_methods.attach_async(
        "pm_card_visa", params={"customer": customer.id}
    )
    await sdk.v1.payment_methods.attach_async(
        "pm_card_mastercard", params={"customer": customer.id}
    )
    page = await sdk.v1.payment_methods.list_async(params={"customer": customer.id, "limit": 1})
    await sdk.v1.payment_methods.list_async(
        params={"customer": customer.id, "starting_after": page.data[0].id}
    )
    await sdk.v1.payment_methods.retrieve_async(visa.id)
    await sdk.v1.payment_methods.detach_async(visa.id)

    await assert_conforms(
        contract,
        objects={"list", "payment_method"},
        events={"payment_method.attached", "payment_method.detached"},
    )


async def test_refunds_and_charges(sdk: stripe.StripeClient, contract: Contract) -> None:
    customer = await _customer(sdk)
    intent = await _paid_intent(sdk, customer.id)
    refund = await sdk.v1.refunds.create_async(
        params={
            "payment_intent": intent.id,
            "amount": 1000,
            "reason": "requested_by_customer",
            "metadata": {"refund_ref": "7"},
        }
    )
    await sdk.v1.refunds.retrieve_async(refund.id)
    await sdk.v1.refunds.list_async(params={"payment_intent": intent.id, "limit": 100})
    with pytest.raises(stripe.InvalidRequestError):
        await sdk.v1.refunds.create_async(params={"payment_intent": intent.id, "amount": 999999})
    assert intent.latest_charge is not None
    await sdk.v1.charges.retrieve_async(str(intent.latest_charge))

    await assert_conforms(
        contract, objects={"refund", "list", "charge"}, events={"charge.refunded"}
    )


async def test_disputes_opened_won_and_lost(
    sdk: stripe.StripeClient, contract: Contract, control: httpx.AsyncClient
) -> None:
    customer = await _customer(sdk)
    for status in ("won", "lost"):
        intent = await _paid_intent(sdk, customer.id)
        opened = await control.post("/_sim/disputes", data={"payment_intent": intent.id})
        await sdk.v1.disputes.retrieve_async(opened.json()["id"])
        await control.post(f"/_sim/disputes/{opened.json()['id']}/close", data={"status": status})
        await sdk.v1.disputes.retrieve_async(opened.json()["id"])

    await assert_conforms(
        contract,
        objects={"dispute", "balance_transaction"},
        events={
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.closed",
            "charge.dispute.funds_reinstated",
        },
    )


async def test_events_read_through_the_api(sdk: stripe.StripeClient, contract: Contract) -> None:
    customer = await _customer(sdk)
    await _paid_intent(sdk, customer.id)
    events = await sdk.v1.events.list_async(params={"type": "payment_intent.succeeded"})
    await sdk.v1.events.retrieve_async(events.data[0].id)

    await assert_conforms(contract, objects={"event", "list"}, events={"payment_intent.succeeded"})


async def test_error_answers_are_stripe_error_envelopes(
    sdk: stripe.StripeClient, contract: Contract, simulator_url: str
) -> None:
    customer = await _customer(sdk)
    # The SDK's typed methods cannot send malformed parameters; its raw requests can.
    failures = [
        sdk.v1.customers.retrieve_async("cus_missing"),
        sdk.v1.payment_intents.create_async(params={"amount": 10, "currency": "usd"}),
        sdk.raw_request_async("post", "/v1/payment_intents", currency="usd"),
        sdk.raw_request_async(
            "post", "/v1/payment_intents", amount=900, currency="usd", confirm="maybe"
        ),
        sdk.raw_request_async("get", "/v1/payment_methods", customer=customer.id, colour="red"),
        sdk.v1.refunds.list_async(params={"limit": 1000}),
        sdk.v1.refunds.list_async(params={"starting_after": "re_x", "ending_before": "re_y"}),
        sdk.raw_request_async("get", "/v1/nothing_here"),
        sdk.raw_request_async("delete", f"/v1/customers/{customer.id}"),
    ]
    for failure in failures:
        with pytest.raises(stripe.InvalidRequestError):
            await failure
    await sdk.v1.payment_intents.create_async(
        params={"amount": 900, "currency": "usd"}, options={"idempotency_key": "once"}
    )
    with pytest.raises(stripe.IdempotencyError):
        await sdk.v1.payment_intents.create_async(
            params={"amount": 901, "currency": "usd"}, options={"idempotency_key": "once"}
        )
    wrong = stripe.StripeClient(
        "sk_test_wrong", base_addresses={"api": simulator_url}, http_client=contract.http
    )
    with pytest.raises(stripe.AuthenticationError):
        await wrong.v1.customers.create_async()

    statuses = {exchange.status for exchange in contract.http.exchanges}
    assert {400, 401, 404} <= statuses
    await assert_conforms(contract)


async def test_us_bank_account_debits_processing_then_settled_or_returned(
    sdk: stripe.StripeClient, contract: Contract, control: httpx.AsyncClient
) -> None:
    # Stripe's test account numbers: one clears, one comes back (account closed, R02).
    outcomes = {}
    for account_number in ("000123456789", "000111111113"):
        intent = await sdk.v1.payment_intents.create_async(
            params={
                "amount": 400_000,
                "currency": "usd",
                "metadata": {"payment_ref": "77"},
                "payment_method_types": ["us_bank_account"],  # type: ignore[typeddict-unknown-key]
            }
        )
        assert intent.payment_method_types == ["us_bank_account"]
        confirmed = await control.post(
            f"/_sim/payment_intents/{intent.id}/confirm",
            data={"us_bank_account[account_number]": account_number},
        )
        assert confirmed.json()["status"] == "processing"
        processing = await sdk.v1.payment_intents.retrieve_async(intent.id)
        assert processing.status == "processing"
        assert processing.payment_method is not None
        method = await sdk.v1.payment_methods.retrieve_async(str(processing.payment_method))
        assert method.type == "us_bank_account"
        assert method.us_bank_account is not None
        assert method.us_bank_account.last4 == account_number[-4:]
        await control.post(f"/_sim/payment_intents/{intent.id}/settle")
        settled = await sdk.v1.payment_intents.retrieve_async(intent.id)
        charge = await sdk.v1.charges.retrieve_async(str(processing.latest_charge))
        outcomes[account_number] = (settled.status, charge.status, charge.failure_code)
    # A card-only intent takes no bank account.
    card_only = await sdk.v1.payment_intents.create_async(params={"amount": 900, "currency": "usd"})
    refused = await control.post(
        f"/_sim/payment_intents/{card_only.id}/confirm",
        data={"us_bank_account[account_number]": "000123456789"},
    )

    assert outcomes == {
        "000123456789": ("succeeded", "succeeded", None),
        "000111111113": ("requires_payment_method", "failed", "account_closed"),
    }
    assert refused.status_code == 400
    await assert_conforms(
        contract,
        objects={"payment_intent", "payment_method", "charge"},
        events={
            "payment_intent.processing",
            "payment_intent.succeeded",
            "payment_intent.payment_failed",
        },
    )
