"""Settings for browsers: which other origins may call the API (CORS), how long the staff
console waits before signing an idle user out, and whether session cookies need TLS."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from config.errors import SettingsError

WILDCARD = "*"


@dataclass(frozen=True)
class BrowserSettings:
    """``allowed_origins`` are other origins whose pages may call the API (exact
    ``scheme://host[:port]`` strings, or ``*`` in development for any page, without
    cookies); ``console_idle_seconds`` is how long the console waits before it signs an
    idle user out; ``secure_cookies`` marks session cookies ``Secure`` (outside
    development)."""

    allowed_origins: tuple[str, ...] = ()
    console_idle_seconds: int = 15 * 60
    secure_cookies: bool = False

    @property
    def any_origin(self) -> bool:
        return WILDCARD in self.allowed_origins

    @property
    def listed_origins(self) -> tuple[str, ...]:
        """The origins named one by one: only these may use cookie sessions."""
        return tuple(origin for origin in self.allowed_origins if origin != WILDCARD)


def read_browser_settings(
    env: Mapping[str, str], *, production: bool, idle_minutes: int
) -> BrowserSettings:
    origins = tuple(
        _read_origin(part.strip(), production=production)
        for part in env.get("CORS_ALLOWED_ORIGINS", "").split(",")
        if part.strip()
    )
    idle_seconds = _read_idle_seconds(env, default=idle_minutes * 60)
    if idle_seconds > idle_minutes * 60:
        raise SettingsError(
            "CONSOLE_IDLE_SECONDS may not be longer than SESSION_IDLE_MINUTES allows"
        )
    return BrowserSettings(
        allowed_origins=origins,
        console_idle_seconds=idle_seconds,
        secure_cookies=production,
    )


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-cased, default ports left out, as a
    browser writes its ``Origin`` header."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}.get(scheme)
    port = parts.port
    return f"{scheme}://{host}" if port in (None, default_port) else f"{scheme}://{host}:{port}"


def _read_origin(raw: str, *, production: bool) -> str:
    name = "CORS_ALLOWED_ORIGINS"
    if raw == WILDCARD:
        if production:
            raise SettingsError(f"{name} may not be '*' in production; list the origins")
        return WILDCARD
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise SettingsError(
            f"{name}: {raw!r} is not an origin such as https://app.example.org"
        ) from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise SettingsError(f"{name}: {raw!r} is not an origin such as https://app.example.org")
    if production and parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise SettingsError(
            f"{name}: {raw!r} must be https:// in production (http:// only on loopback)"
        )
    return origin_of(raw)


def _is_loopback(hostname: str) -> bool:
    name = hostname.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _read_idle_seconds(env: Mapping[str, str], *, default: int) -> int:
    raw = env.get("CONSOLE_IDLE_SECONDS", "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"CONSOLE_IDLE_SECONDS must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise SettingsError("CONSOLE_IDLE_SECONDS must be positive")
    return value
