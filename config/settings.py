"""Every setting the service reads, taken from the environment once."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from config.browser import BrowserSettings, read_browser_settings
from config.errors import SettingsError as SettingsError


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


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
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"

# PHI_ENCRYPTION_KEY: comma-separated `kid:base64` entries of 32-byte AES keys.
_PHI_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_PHI_KEY_BYTES = 32


@dataclass(frozen=True)
class PlanSettings:
    """Payment plans: the smallest monthly amount (in major units of the plan's currency),
    the longest plan in months, and the days after its due date that a failed installment
    is charged again (one retry per entry, then the plan is defaulted)."""

    minimum_monthly: Decimal = Decimal("25")
    max_months: int = 24
    retry_days: tuple[int, ...] = (3, 7, 14)


@dataclass(frozen=True)
class ReminderSettings:
    """Reminders: how many days ahead a due installment is announced, the local hours in
    which SMS may go out (from, until), and the delivery services. A channel whose service
    is not configured keeps its messages queued."""

    days_before_due: int = 3
    sms_send_hours: tuple[int, int] = (8, 21)
    smtp_url: Secret | None = None
    email_from: str = "billing@localhost"
    twilio_account_sid: str | None = None
    twilio_auth_token: Secret | None = None
    twilio_from_number: str | None = None


# A collections step: ("remind", days from the due date) or ("flag", days), in date order.
CollectionsStepSetting = tuple[str, int]
_COLLECTIONS_STEP_KINDS = ("remind", "flag")


@dataclass(frozen=True)
class CollectionsSettings:
    """The dunning schedule of each collections tier: reminders by email to the
    organization's billing address, then a flag for a person (a call, the account manager),
    each at a number of days from the invoice's due date (negative: before it)."""

    standard: tuple[CollectionsStepSetting, ...] = (
        ("remind", -7),
        ("remind", 0),
        ("remind", 7),
        ("remind", 14),
        ("flag", 21),
    )
    enterprise: tuple[CollectionsStepSetting, ...] = (("remind", -7), ("flag", 1))


@dataclass(frozen=True)
class IntakeSettings:
    """Charges from the clinical system: how long an encounter's charges wait after its last
    one before they are invoiced, and how many days after issue such an invoice is due."""

    charge_hold_hours: int = 24
    invoice_due_days: int = 30


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
    # Only the registered GraphQL documents (schema/documents) are run, or any document.
    registered_documents_only: bool = False
    # How long one Stripe request may take, and how often a network failure is retried.
    stripe_timeout_ms: int = 10_000
    stripe_network_retries: int = 2
    currencies: tuple[str, ...] = field(default=("USD",))
    plans: PlanSettings = field(default_factory=PlanSettings)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    browser: BrowserSettings = field(default_factory=BrowserSettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    collections: CollectionsSettings = field(default_factory=CollectionsSettings)

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def uses_development_stripe_key(self) -> bool:
        """True when STRIPE_SECRET_KEY was left unset: only the local simulator accepts it."""
        return self.stripe_secret_key.reveal() == _DEVELOPMENT_SECRETS["STRIPE_SECRET_KEY"]

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
    with a missing or development secret, or with the local Stripe simulator.
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
    _check_phi_key_ring(secrets["PHI_ENCRYPTION_KEY"])
    database_url = env.get("DATABASE_URL", "").strip()
    if not database_url:
        if environment is Environment.PRODUCTION:
            raise SettingsError("DATABASE_URL must be set in production")
        database_url = DEFAULT_DATABASE_URL
    if environment is Environment.PRODUCTION and database_url.startswith("sqlite"):
        _refuse_sqlite_unless_allowed(env)
    public_base_url = env.get("PUBLIC_BASE_URL", "").strip()
    if not public_base_url:
        if environment is Environment.PRODUCTION:
            raise SettingsError("PUBLIC_BASE_URL must be set in production")
        public_base_url = DEFAULT_PUBLIC_BASE_URL
    stripe_api_base = env.get("STRIPE_API_BASE", "").strip() or None
    if stripe_api_base and environment is Environment.PRODUCTION:
        _refuse_local_stripe_api_base(stripe_api_base)
    idle_minutes = _read_positive_int(env, "SESSION_IDLE_MINUTES", 15)
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
        session_idle_minutes=idle_minutes,
        registered_documents_only=_read_documents_policy(env, environment),
        stripe_timeout_ms=_read_positive_int(env, "STRIPE_TIMEOUT_MS", 10_000),
        stripe_network_retries=_read_positive_int(env, "STRIPE_MAX_ATTEMPTS", 3) - 1,
        plans=_read_plan_settings(env),
        reminders=_read_reminder_settings(env),
        browser=read_browser_settings(
            env, production=environment is Environment.PRODUCTION, idle_minutes=idle_minutes
        ),
        intake=IntakeSettings(
            charge_hold_hours=_read_positive_int(env, "CHARGE_HOLD_HOURS", 24),
            invoice_due_days=_read_positive_int(env, "INVOICE_DUE_DAYS", 30),
        ),
        collections=CollectionsSettings(
            standard=_read_collections_steps(
                env, "COLLECTIONS_STANDARD_STEPS", CollectionsSettings.standard
            ),
            enterprise=_read_collections_steps(
                env, "COLLECTIONS_ENTERPRISE_STEPS", CollectionsSettings.enterprise
            ),
        ),
    )


def _read_documents_policy(env: Mapping[str, str], environment: Environment) -> bool:
    """``GRAPHQL_DOCUMENTS``: ``registered`` (the default in production) runs only the
    documents the project registered; ``any`` (the default in development, for GraphiQL
    and for writing new operations) runs whatever document is sent."""
    default = "registered" if environment is Environment.PRODUCTION else "any"
    value = env.get("GRAPHQL_DOCUMENTS", "").strip().lower() or default
    if value not in ("registered", "any"):
        raise SettingsError(f"GRAPHQL_DOCUMENTS must be 'registered' or 'any', not {value!r}")
    return value == "registered"


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


def _check_phi_key_ring(setting: Secret) -> None:
    """Refuse a ``PHI_ENCRYPTION_KEY`` the cipher could not use, saying what is wrong with
    which entry (by position and key id, never the key itself)."""
    name = "PHI_ENCRYPTION_KEY"
    seen: set[str] = set()
    for position, entry in enumerate(setting.reveal().split(","), start=1):
        kid, separator, encoded = entry.strip().partition(":")
        if not separator or not kid or not encoded.strip():
            raise SettingsError(
                f"{name} entry {position} must look like 'kid:base64' of a "
                f"{_PHI_KEY_BYTES}-byte key"
            )
        if not _PHI_KEY_ID.fullmatch(kid):
            raise SettingsError(
                f"{name} entry {position}: the key id must be 1-32 letters, digits, '.', '_' or '-'"
            )
        try:
            material = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SettingsError(f"{name} key {kid!r} is not valid base64") from None
        if len(material) != _PHI_KEY_BYTES:
            raise SettingsError(
                f"{name} key {kid!r} must be {_PHI_KEY_BYTES} bytes, not {len(material)}"
            )
        if kid in seen:
            raise SettingsError(f"{name} names key id {kid!r} twice")
        seen.add(kid)


def _refuse_sqlite_unless_allowed(env: Mapping[str, str]) -> None:
    """Production runs on PostgreSQL: a SQLite file has no replication, no point-in-time
    recovery and one writer at a time. A single-machine deployment that accepts that says
    so with ``ALLOW_SQLITE_IN_PRODUCTION=1``."""
    if env.get("ALLOW_SQLITE_IN_PRODUCTION", "").strip() != "1":
        raise SettingsError(
            "DATABASE_URL is a SQLite database; production needs PostgreSQL "
            "(set ALLOW_SQLITE_IN_PRODUCTION=1 to accept SQLite on one machine)"
        )


def _refuse_local_stripe_api_base(url: str) -> None:
    """Production talks to Stripe itself or a real Stripe-compatible service over TLS, never
    to the local simulator (which is what a loopback or private address would be)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise SettingsError("STRIPE_API_BASE must be an https:// URL in production")
    if _is_local_host(parts.hostname):
        raise SettingsError(
            "STRIPE_API_BASE points at a local or private address; "
            "the Stripe simulator is refused in production"
        )


def _is_local_host(hostname: str) -> bool:
    name = hostname.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
    )


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


def _read_plan_settings(env: Mapping[str, str]) -> PlanSettings:
    return PlanSettings(
        minimum_monthly=_read_positive_decimal(env, "PLAN_MINIMUM_MONTHLY", "25"),
        max_months=_read_positive_int(env, "PLAN_MAX_MONTHS", 24),
        retry_days=_read_increasing_days(env, "PLAN_RETRY_DAYS", (3, 7, 14)),
    )


def _read_reminder_settings(env: Mapping[str, str]) -> ReminderSettings:
    smtp_url = env.get("SMTP_URL", "").strip()
    twilio_token = env.get("TWILIO_AUTH_TOKEN", "").strip()
    return ReminderSettings(
        days_before_due=_read_positive_int(env, "REMINDER_DAYS_BEFORE_DUE", 3),
        sms_send_hours=_read_hour_range(env, "SMS_SEND_HOURS", (8, 21)),
        smtp_url=Secret(smtp_url) if smtp_url else None,
        email_from=env.get("NOTIFICATION_EMAIL_FROM", "").strip() or "billing@localhost",
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip() or None,
        twilio_auth_token=Secret(twilio_token) if twilio_token else None,
        twilio_from_number=env.get("TWILIO_FROM_NUMBER", "").strip() or None,
    )


def _read_collections_steps(
    env: Mapping[str, str], name: str, default: tuple[CollectionsStepSetting, ...]
) -> tuple[CollectionsStepSetting, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    steps: list[CollectionsStepSetting] = []
    for part in raw.split(","):
        kind, _, days = part.strip().partition(":")
        try:
            offset = int(days)
        except ValueError:
            offset = None
        if kind not in _COLLECTIONS_STEP_KINDS or offset is None or abs(offset) > 365:
            raise SettingsError(
                f"{name} must be steps such as remind:-7,remind:0,flag:21, not {raw!r}"
            )
        steps.append((kind, offset))
    offsets = [offset for _kind, offset in steps]
    if offsets != sorted(set(offsets)):
        raise SettingsError(f"{name} must list its steps on different days, in date order")
    return tuple(steps)


def _read_positive_decimal(env: Mapping[str, str], name: str, default: str) -> Decimal:
    raw = env.get(name, "").strip() or default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise SettingsError(f"{name} must be an amount such as 25.00, not {raw!r}") from None
    if not value.is_finite() or value <= 0:
        raise SettingsError(f"{name} must be a positive amount")
    return value


def _read_increasing_days(
    env: Mapping[str, str], name: str, default: tuple[int, ...]
) -> tuple[int, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        days = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise SettingsError(f"{name} must be whole days such as 3,7,14, not {raw!r}") from None
    if any(day <= 0 for day in days) or list(days) != sorted(set(days)):
        raise SettingsError(f"{name} must be positive days in increasing order")
    return days


def _read_hour_range(
    env: Mapping[str, str], name: str, default: tuple[int, int]
) -> tuple[int, int]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    start, _, end = raw.partition("-")
    try:
        hours = (int(start), int(end))
    except ValueError:
        raise SettingsError(f"{name} must be hours such as 8-21, not {raw!r}") from None
    if not 0 <= hours[0] < hours[1] <= 24:
        raise SettingsError(f"{name} must be two hours from 0 to 24, the first one earlier")
    return hours
