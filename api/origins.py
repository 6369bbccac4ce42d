"""Which web origins may call the API, and which of them may use cookie sessions."""

from __future__ import annotations

from starlette.types import Scope

from config.browser import origin_of
from config.settings import Settings


class OriginPolicy:
    """The service's own origin (``PUBLIC_BASE_URL``'s, and the one the request was sent
    to) and ``CORS_ALLOWED_ORIGINS``. ``*`` lets any page call with a bearer token; only
    the service's own origin and origins listed one by one may use the session cookie."""

    def __init__(self, settings: Settings) -> None:
        self._own = origin_of(settings.public_base_url)
        self._listed = frozenset(settings.browser.listed_origins)
        self._any = settings.browser.any_origin

    def is_same_origin(self, origin: str, scope: Scope) -> bool:
        if origin == self._own:
            return True
        host = _header(scope, b"host")
        return host is not None and origin == origin_of(f"{scope.get('scheme', 'http')}://{host}")

    def may_call(self, origin: str, scope: Scope) -> bool:
        return self._any or self.may_use_cookies(origin, scope)

    def may_use_cookies(self, origin: str, scope: Scope) -> bool:
        return origin in self._listed or self.is_same_origin(origin, scope)


def request_origin(scope: Scope) -> str | None:
    """The request's ``Origin`` header (``null`` included, which no policy allows)."""
    return _header(scope, b"origin")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            text: str = value.decode("latin-1").strip()
            return text
    return None
