"""Stripe's cursor pagination on list endpoints: ``limit``, ``starting_after``, ``ending_before``
and ``has_more``, and the SDK's auto-pagination over them."""

from __future__ import annotations

import pytest
import stripe

from tests.support.stripe_fixture import SDK_DATA_WARNING

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)


async def _customer_with_cards(sdk: stripe.StripeClient, count: int) -> tuple[str, list[str]]:
    """A customer and the ids of their cards, newest first."""
    customer = await sdk.v1.customers.create_async()
    ids = []
    for _ in range(count):
        card = await sdk.v1.payment_methods.attach_async(
            "pm_card_visa", params={"customer": customer.id}
        )
        ids.append(card.id)
    return customer.id, ids[::-1]


async def test_pages_run_newest_first_in_both_directions(sdk: stripe.StripeClient) -> None:
    customer, newest_first = await _customer_with_cards(sdk, 5)

    first = await sdk.v1.payment_methods.list_async(params={"customer": customer, "limit": 2})
    second = await sdk.v1.payment_methods.list_async(
        params={"customer": customer, "limit": 2, "starting_after": first.data[-1].id}
    )
    last = await sdk.v1.payment_methods.list_async(
        params={"customer": customer, "limit": 2, "starting_after": second.data[-1].id}
    )
    back = await sdk.v1.payment_methods.list_async(
        params={"customer": customer, "limit": 2, "ending_before": last.data[0].id}
    )
    top = await sdk.v1.payment_methods.list_async(
        params={"customer": customer, "limit": 2, "ending_before": back.data[0].id}
    )

    assert ([pm.id for pm in first.data], first.has_more) == (newest_first[0:2], True)
    assert ([pm.id for pm in second.data], second.has_more) == (newest_first[2:4], True)
    assert ([pm.id for pm in last.data], last.has_more) == (newest_first[4:], False)
    assert ([pm.id for pm in back.data], back.has_more) == (newest_first[2:4], True)
    assert ([pm.id for pm in top.data], top.has_more) == (newest_first[0:2], False)


async def test_the_sdk_auto_pages_through_every_object(sdk: stripe.StripeClient) -> None:
    customer, newest_first = await _customer_with_cards(sdk, 5)
    first = await sdk.v1.payment_methods.list_async(params={"customer": customer, "limit": 2})

    seen = [card.id async for card in first.auto_paging_iter()]

    assert seen == newest_first


async def test_refunds_page_like_every_list(sdk: stripe.StripeClient) -> None:
    intent = await sdk.v1.payment_intents.create_async(
        params={
            "amount": 5000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    refunds = [
        await sdk.v1.refunds.create_async(params={"payment_intent": intent.id, "amount": 100})
        for _ in range(3)
    ]

    page = await sdk.v1.refunds.list_async(params={"payment_intent": intent.id, "limit": 1})
    every = [refund.id async for refund in page.auto_paging_iter()]

    assert page.has_more is True
    assert every == [refund.id for refund in reversed(refunds)]


async def test_bad_pagination_parameters_are_refused(sdk: stripe.StripeClient) -> None:
    customer, [card, *_] = await _customer_with_cards(sdk, 1)

    with pytest.raises(stripe.InvalidRequestError) as both:
        await sdk.v1.payment_methods.list_async(
            params={"customer": customer, "starting_after": card, "ending_before": card}
        )
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        await sdk.v1.payment_methods.list_async(
            params={"customer": customer, "starting_after": "pm_unknown"}
        )
    with pytest.raises(stripe.InvalidRequestError) as too_many:
        await sdk.v1.payment_methods.list_async(params={"customer": customer, "limit": 101})

    assert both.value.code == "parameters_exclusive"
    assert (unknown.value.code, unknown.value.param) == ("resource_missing", "starting_after")
    assert too_many.value.param == "limit"
