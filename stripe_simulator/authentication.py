"""3-D Secure: which confirmations ask the card holder to authenticate, and Stripe's answers.

As Stripe's test cards behave (``cards.py``; docs.stripe.com/testing, "Authentication and
setup" and "3D Secure"):

- a setup asks whenever the card ever needs authentication;
- an on-session payment asks whenever the card ever needs authentication;
- an off-session payment asks for ``ALWAYS`` cards, and for ``UNLESS_SET_UP`` cards not yet set
  up (by a SetupIntent, or a payment with ``setup_future_usage``, that succeeded).

On session, the intent waits in ``requires_action`` with a ``next_action``: ``use_stripe_sdk``
for Stripe.js and the mobile SDKs, or ``redirect_to_url`` when the confirmation passed a
``return_url``. Off session nobody is there to answer, so the issuer declines the payment with
``authentication_required``. The card holder's answer arrives through the control API
(``/_sim/{payment,setup}_intents/{id}/authenticate``), standing in for the SDK's challenge.
"""

from __future__ import annotations

import copy
import uuid

from stripe_simulator.cards import behaviour_of
from stripe_simulator.errors import JSON, StripeError
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import Authentication, new_id

_PAYMENT_FAILURE = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)
_SETUP_FAILURE = (
    "The latest attempt to set up the payment method has failed because authentication failed."
)


def payment_needs_authentication(
    sim: Simulator, payment_method_id: str, *, off_session: bool
) -> bool:
    authentication = behaviour_of(sim, payment_method_id).authentication
    if authentication is Authentication.NEVER:
        return False
    if authentication is Authentication.UNLESS_SET_UP and off_session:
        return payment_method_id not in sim.state.set_up_cards
    return True


def setup_needs_authentication(sim: Simulator, payment_method_id: str) -> bool:
    return behaviour_of(sim, payment_method_id).authentication is not Authentication.NEVER


def mark_set_up(sim: Simulator, payment_method_id: str) -> None:
    """The card holder authenticated a setup: off-session payments need not ask again."""
    sim.state.set_up_cards.add(payment_method_id)


def next_action(
    intent: JSON, payment_method: JSON, *, return_url: str | None, base_url: str
) -> JSON:
    """What the client does next for ``intent`` (a PaymentIntent or a SetupIntent)."""
    if return_url is not None:
        # Where the browser goes to authenticate; here, the control API's stand-in for it.
        plural = f"{intent['object']}s"
        return {
            "type": "redirect_to_url",
            "redirect_to_url": {
                "return_url": return_url,
                "url": f"{base_url}_sim/{plural}/{intent['id']}/authenticate",
            },
        }
    return {
        "type": "use_stripe_sdk",
        "use_stripe_sdk": {
            "type": "stripe_3ds2_fingerprint",
            "directory_server_name": payment_method["card"]["brand"],
            "merchant": "acct_simulator",
            "server_transaction_id": str(uuid.uuid4()),
            "three_d_secure_2_source": new_id("payatt"),
            "three_ds_method_url": "",
        },
    }


def payment_authentication_failure(payment_method: JSON) -> JSON:
    """``last_payment_error`` of a PaymentIntent whose card holder failed authentication."""
    return _failure("payment_intent_authentication_failure", _PAYMENT_FAILURE, payment_method)


def setup_authentication_failure(payment_method: JSON) -> JSON:
    """``last_setup_error`` of a SetupIntent whose card holder failed authentication."""
    return _failure("setup_intent_authentication_failure", _SETUP_FAILURE, payment_method)


def _failure(code: str, message: str, payment_method: JSON) -> JSON:
    error = StripeError(
        400,
        "invalid_request_error",
        message,
        code=code,
        extra={"payment_method": copy.deepcopy(payment_method)},
    )
    body: JSON = error.body()["error"]
    return body
