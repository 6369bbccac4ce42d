"""What the servers under test are given: fresh production secrets for each run, and the
environment that ``config.settings`` reads in production mode."""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass

# Variables of ours that must not leak into the servers from the caller's shell.
# Port 9 (discard) on loopback: nothing listens, so a proxied request fails at once.
CLOSED_LOOPBACK_PROXY = "http://127.0.0.1:9"
_OURS = (
    "BILLING_",
    "DATABASE_URL",
    "PHI_ENCRYPTION_KEY",
    "STRIPE_",
    "SHIPPING_WEBHOOK_SECRET",
    "PUBLIC_BASE_URL",
    "SESSION_IDLE_MINUTES",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
)


@dataclass(frozen=True, slots=True)
class BenchSecrets:
    """Secrets made up for one run; none is a development default, so production starts."""

    secret_key: str
    phi_encryption_key: str
    stripe_secret_key: str
    stripe_webhook_secret: str
    shipping_webhook_secret: str

    @classmethod
    def generate(cls) -> BenchSecrets:
        return cls(
            secret_key=secrets.token_urlsafe(48),
            phi_encryption_key="bench:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            stripe_secret_key="sk_test_bench_" + secrets.token_hex(12),
            stripe_webhook_secret="whsec_bench_" + secrets.token_hex(16),
            shipping_webhook_secret=secrets.token_urlsafe(32),
        )


def production_environment(
    bench_secrets: BenchSecrets, database_url: str, public_base_url: str
) -> dict[str, str]:
    """The process environment of a server under test: the caller's, minus our own
    variables, plus production settings.

    Production refuses a loopback ``STRIPE_API_BASE``, so the SDK would aim at Stripe
    itself; the proxy variables send any such call to a closed loopback port instead, so
    nothing leaves the machine (no scenario here calls Stripe from a production server)."""
    base = {name: value for name, value in os.environ.items() if not name.startswith(_OURS)}
    return {
        **base,
        "BILLING_ENV": "production",
        "DATABASE_URL": database_url,
        # The SQLite half of the benchmark runs production on SQLite on purpose.
        "ALLOW_SQLITE_IN_PRODUCTION": "1",
        "PUBLIC_BASE_URL": public_base_url,
        "BILLING_SECRET_KEY": bench_secrets.secret_key,
        "PHI_ENCRYPTION_KEY": bench_secrets.phi_encryption_key,
        "STRIPE_SECRET_KEY": bench_secrets.stripe_secret_key,
        "STRIPE_WEBHOOK_SECRET": bench_secrets.stripe_webhook_secret,
        "SHIPPING_WEBHOOK_SECRET": bench_secrets.shipping_webhook_secret,
        "HTTPS_PROXY": CLOSED_LOOPBACK_PROXY,
        "HTTP_PROXY": CLOSED_LOOPBACK_PROXY,
        "NO_PROXY": "127.0.0.1,localhost",
    }


def simulator_payment_environment(
    bench_secrets: BenchSecrets, database_url: str, public_base_url: str, stripe_api_base: str
) -> dict[str, str]:
    """The same server pointed at the local Stripe simulator, which only development mode
    allows: for the payInvoices scenario alone. Its secrets are still the run's own."""
    return {
        **production_environment(bench_secrets, database_url, public_base_url),
        "BILLING_ENV": "development",
        "STRIPE_API_BASE": stripe_api_base,
    }


def simulator_environment(bench_secrets: BenchSecrets, webhook_url: str) -> dict[str, str]:
    """``python -m stripe_simulator`` reads its key and webhook secret from here (not from
    its command line, which ``ps`` shows)."""
    base = {name: value for name, value in os.environ.items() if not name.startswith(_OURS)}
    return {
        **base,
        "STRIPE_API_KEY": bench_secrets.stripe_secret_key,
        "STRIPE_WEBHOOK_SECRET": bench_secrets.stripe_webhook_secret,
        "STRIPE_SIMULATOR_WEBHOOK_URL": webhook_url,
    }
