from __future__ import annotations

import base64

import pytest

from config.settings import DEFAULT_DATABASE_URL, Environment, SettingsError, load_settings
from tests.support.environments import PRODUCTION


def test_development_runs_with_defaults_on_a_sqlite_file() -> None:
    settings = load_settings({})

    assert settings.environment is Environment.DEVELOPMENT
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.sqlite_path is not None
    assert settings.secret_key.reveal()


def test_production_starts_with_every_secret_set() -> None:
    settings = load_settings(PRODUCTION)

    assert settings.is_production
    assert settings.public_base_url == "https://billing.example.org"
    assert settings.stripe_api_base is None


@pytest.mark.parametrize(
    "name",
    [
        "BILLING_SECRET_KEY",
        "PHI_ENCRYPTION_KEY",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "SHIPPING_WEBHOOK_SECRET",
        "DATABASE_URL",
        "PUBLIC_BASE_URL",
    ],
)
def test_production_refuses_a_missing_setting_and_names_it(name: str) -> None:
    environ = {key: value for key, value in PRODUCTION.items() if key != name}

    with pytest.raises(SettingsError, match=name):
        load_settings(environ)


def test_production_refuses_a_development_default_secret() -> None:
    development = load_settings({})
    environ = {**PRODUCTION, "STRIPE_WEBHOOK_SECRET": development.stripe_webhook_secret.reveal()}

    with pytest.raises(SettingsError, match="STRIPE_WEBHOOK_SECRET is the development default"):
        load_settings(environ)


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(SettingsError, match="BILLING_ENV"):
        load_settings({"BILLING_ENV": "staging"})


def test_secrets_never_show_in_a_repr() -> None:
    settings = load_settings(PRODUCTION)

    text = repr(settings) + str(settings.stripe_secret_key)

    assert "sk_live_from_the_vault" not in text
    assert "a-real-secret-key" not in text


def test_production_refuses_the_local_stripe_simulator_and_names_stripe_api_base() -> None:
    environ = {**PRODUCTION, "STRIPE_API_BASE": "http://127.0.0.1:12111"}

    with pytest.raises(SettingsError, match="STRIPE_API_BASE"):
        load_settings(environ)


@pytest.mark.parametrize(
    "api_base",
    [
        "https://localhost:12111",
        "https://stripe.localhost",
        "https://127.0.0.1:12111",
        "https://[::1]:12111",
        "https://10.0.0.7",
        "https://192.168.1.20:12111",
        "https://169.254.169.254",
        "https://0.0.0.0:12111",
    ],
)
def test_production_refuses_a_loopback_or_private_stripe_api_base(api_base: str) -> None:
    environ = {**PRODUCTION, "STRIPE_API_BASE": api_base}

    with pytest.raises(SettingsError, match="STRIPE_API_BASE points at a local or private"):
        load_settings(environ)


def test_production_refuses_a_stripe_api_base_without_tls() -> None:
    environ = {**PRODUCTION, "STRIPE_API_BASE": "http://api.stripe.com"}

    with pytest.raises(SettingsError, match="STRIPE_API_BASE must be an https:// URL"):
        load_settings(environ)


def test_production_accepts_stripe_itself_as_api_base() -> None:
    settings = load_settings({**PRODUCTION, "STRIPE_API_BASE": "https://api.stripe.com"})

    assert settings.stripe_api_base == "https://api.stripe.com"


def test_production_refuses_the_simulator_key_of_development() -> None:
    simulator_key = load_settings({}).stripe_secret_key.reveal()

    with pytest.raises(SettingsError, match="STRIPE_SECRET_KEY is the development default"):
        load_settings({**PRODUCTION, "STRIPE_SECRET_KEY": simulator_key})


def test_development_may_point_stripe_at_the_local_simulator() -> None:
    settings = load_settings({"STRIPE_API_BASE": "http://127.0.0.1:12111"})

    assert settings.stripe_api_base == "http://127.0.0.1:12111"
    assert settings.uses_development_stripe_key


def test_a_configured_stripe_key_is_not_the_development_one() -> None:
    settings = load_settings({"STRIPE_SECRET_KEY": "sk_test_a_real_test_mode_account"})

    assert not settings.uses_development_stripe_key


GOOD_PHI_KEY = "k1:" + base64.b64encode(b"k" * 32).decode()


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ("not-a-key-ring", "entry 1 must look like 'kid:base64'"),
        ("k1:", "entry 1 must look like 'kid:base64'"),
        (f"{GOOD_PHI_KEY},bad id:{base64.b64encode(b'x' * 32).decode()}", "entry 2: the key id"),
        ("k1:not base64!", "key 'k1' is not valid base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "key 'k1' must be 32 bytes, not 5"),
        (f"{GOOD_PHI_KEY},{GOOD_PHI_KEY}", "names key id 'k1' twice"),
    ],
)
def test_a_malformed_phi_key_is_refused_naming_the_variable(setting: str, problem: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"PHI_ENCRYPTION_KEY": setting})

    message = str(refused.value)
    assert message.startswith("PHI_ENCRYPTION_KEY")
    assert problem in message
    assert "\n" not in message
    assert base64.b64encode(b"k" * 32).decode() not in message


def test_a_well_formed_phi_key_ring_is_accepted() -> None:
    rotated = f"new:{base64.b64encode(b'n' * 32).decode()},{GOOD_PHI_KEY}"

    assert load_settings({"PHI_ENCRYPTION_KEY": rotated}).phi_encryption_key.reveal() == rotated


@pytest.mark.parametrize("url", ["sqlite://var/billing.sqlite3", "sqlite://:memory:"])
def test_production_refuses_a_sqlite_database_unless_told_to_accept_it(url: str) -> None:
    with pytest.raises(SettingsError, match="ALLOW_SQLITE_IN_PRODUCTION=1"):
        load_settings({**PRODUCTION, "DATABASE_URL": url})
    with pytest.raises(SettingsError, match="production needs PostgreSQL"):
        load_settings({**PRODUCTION, "DATABASE_URL": url, "ALLOW_SQLITE_IN_PRODUCTION": "yes"})

    accepted = load_settings({**PRODUCTION, "DATABASE_URL": url, "ALLOW_SQLITE_IN_PRODUCTION": "1"})

    assert accepted.database_url == url


def test_development_takes_sqlite_without_being_told() -> None:
    assert (
        load_settings({"DATABASE_URL": "sqlite://x.sqlite3"}).database_url == "sqlite://x.sqlite3"
    )
