"""Every setting the service reads, taken from the environment once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SettingsError(Exception):
    """The environment does not describe a service that may start."""


class Secret:
    """A value that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


# Development defaults: good enough to run the demo, refused in production.
_DEVELOPMENT_SECRETS: dict[str, str] = {
    "BILLING_SECRET_KEY": "dev-secret-key-not-for-production-use-0000000000",
    # "dev:" + base64 of 32 zero-free bytes; one key id per entry, first is active.
    "PHI_ENCRYPTION_KEY": "dev:ZGV2LXBoaS1rZXktbm90LWZvci1wcm9kdWN0aW9uISE=",
    "STRIPE_SECRET_KEY": "sk_test_local_simulator",
    "STRIPE_WEBHOOK_SECRET": "whsec_local_simulator",
    "SHIPPING_WEBHOOK_SECRET": "dev-shipping-webhook-secret",
}

DEFAULT_DATABASE_URL = "sqlite://var/billing.sqlite3"


@dataclass(frozen=True)
class Settings:
    environment: Environment
    database_url: str
    secret_key: Secret
    phi_encryption_key: Secret
    stripe_secret_key: Secret
    stripe_webhook_secret: Secret
    shipping_webhook_secret: Secret
    stripe_api_base: str | None
    public_base_url: str
    max_request_bytes: int = 1_000_000
    session_idle_minutes: int = 15
    currencies: tuple[str, ...] = field(default=("USD",))

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def sqlite_path(self) -> Path | None:
        """The file behind a SQLite URL, so the CLI can create its folder."""
        prefix = "sqlite://"
        if not self.database_url.startswith(prefix):
            return None
        path = self.database_url[len(prefix) :]
        return None if path in ("", ":memory:") else Path(path)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (the process environment by default).

    Raises ``SettingsError`` naming the offending variable when production would start
    with a missing or development secret.
    """
    env = os.environ if environ is None else environ
    raw_environment = env.get("BILLING_ENV", Environment.DEVELOPMENT.value).strip().lower()
    try:
        environment = Environment(raw_environment)
    except ValueError:
        raise SettingsError(
            f"BILLING_ENV must be 'development' or 'production', not {raw_environment!r}"
        ) from None

    secrets = {
        name: _read_secret(env, name, default, environment)
        for name, default in _DEVELOPMENT_SECRETS.items()
    }
    database_url = env.get("DATABASE_URL", "").strip()
    if not database_url:
        if environment is Environment.PRODUCTION:
            raise SettingsError("DATABASE_URL must be set in production")
        database_url = DEFAULT_DATABASE_URL
    public_base_url = env.get("PUBLIC_BASE_URL", "").strip()
    if not public_base_url:
        if environment is Environment.PRODUCTION:
            raise SettingsError("PUBLIC_BASE_URL must be set in production")
        public_base_url = "http://127.0.0.1:8000"
    stripe_api_base = env.get("STRIPE_API_BASE", "").strip() or None
    return Settings(
        environment=environment,
        database_url=database_url,
        secret_key=secrets["BILLING_SECRET_KEY"],
        phi_encryption_key=secrets["PHI_ENCRYPTION_KEY"],
        stripe_secret_key=secrets["STRIPE_SECRET_KEY"],
        stripe_webhook_secret=secrets["STRIPE_WEBHOOK_SECRET"],
        shipping_webhook_secret=secrets["SHIPPING_WEBHOOK_SECRET"],
        stripe_api_base=stripe_api_base,
        public_base_url=public_base_url.rstrip("/"),
        session_idle_minutes=_read_positive_int(env, "SESSION_IDLE_MINUTES", 15),
    )


def _read_secret(
    env: Mapping[str, str], name: str, development_default: str, environment: Environment
) -> Secret:
    value = env.get(name, "").strip()
    if environment is Environment.PRODUCTION:
        if not value:
            raise SettingsError(f"{name} must be set in production")
        if value == development_default:
            raise SettingsError(f"{name} is the development default; set a real secret")
        return Secret(value)
    return Secret(value or development_default)


def _read_positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive")
    return value
