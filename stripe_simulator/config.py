"""The simulator's settings, validated once when the app is built."""

from __future__ import annotations

from dataclasses import dataclass

# The API version the pinned stripe SDK (16.1.0) sends; events are stamped with it.
DEFAULT_API_VERSION = "2026-10-28.endive"


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulator authenticates callers and where it delivers webhook events.

    ``webhook_url`` may be ``None``: events are then recorded (``GET /_sim/events``) but not sent.
    """

    api_key: str
    webhook_url: str | None = None
    webhook_secret: str = "whsec_simulator"  # noqa: S105 - a test-only default, not a credential
    api_version: str = DEFAULT_API_VERSION
    delivery_attempts: int = 4
    delivery_backoff_seconds: float = 0.2
    delivery_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.api_key.startswith(("sk_live_", "rk_live_")):
            raise ValueError("the Stripe simulator refuses live keys; use an sk_test_ key")
        if not self.api_key.startswith("sk_test_"):
            raise ValueError("the Stripe simulator's api_key must start with sk_test_")
        if not self.webhook_secret:
            raise ValueError("webhook_secret must not be empty")
        if self.delivery_attempts < 1:
            raise ValueError("delivery_attempts must be at least 1")
