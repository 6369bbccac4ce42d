"""A small Stripe-compatible HTTP server with in-memory state, for tests and local demos only.

It speaks the subset of Stripe's v1 API the billing backend uses (customers, payment intents,
setup intents, payment methods, refunds, ephemeral keys), signs and delivers webhook events the
way Stripe does, and exposes a ``/_sim`` control API for tests. Never point production at it.
"""

from __future__ import annotations

from stripe_simulator.app import build_simulator_app
from stripe_simulator.config import SimulatorConfig
from stripe_simulator.webhooks import signature_header

__all__ = ["SimulatorConfig", "build_simulator_app", "signature_header"]
