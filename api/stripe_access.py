"""The Stripe gateway the running app uses, built from its settings."""

from __future__ import annotations

from api.settings import Settings
from billing.stripe_gateway import StripeGateway, shared_gateway


def stripe_gateway(settings: Settings) -> StripeGateway:
    """The process's shared gateway for ``settings`` (one connection pool per process)."""
    return shared_gateway(
        settings.stripe_secret_key.reveal(),
        settings.stripe_api_base,
        settings.stripe_timeout_ms / 1000,
        settings.stripe_network_retries,
    )
