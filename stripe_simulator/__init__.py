"""A small Stripe-compatible HTTP server with in-memory state, for tests and local demos only.

It speaks the subset of Stripe's v1 API the billing backend uses (customers, payment intents,
setup intents, payment methods, charges, refunds, disputes, events, ephemeral keys; routes in
``app.py``), with Stripe's error envelope, idempotency keys and cursor pagination, and answers
any other path with Stripe's JSON 404. Stripe's test cards behave as Stripe's testing docs say,
declines and 3-D Secure included (``cards.py``, ``authentication.py``). It signs and delivers
webhook events the way Stripe does, retrying failed deliveries, and exposes a ``/_sim`` control
API for tests (``control.py``). The objects and events it sends are checked against
stripe-python's own classes (``tests/stripe_simulator``). Never point production at it: it
refuses live keys.
"""

from __future__ import annotations

from stripe_simulator.app import build_simulator_app
from stripe_simulator.config import SimulatorConfig
from stripe_simulator.webhooks import signature_header

__all__ = ["SimulatorConfig", "build_simulator_app", "signature_header"]
