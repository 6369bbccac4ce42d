"""Browser-facing protections: CORS, refusing other sites' requests, and response headers
that keep PHI out of caches, frames and referrers."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware import send_json_error
from api.origins import OriginPolicy, request_origin
from config.settings import Settings

CONSOLE_PATH = "/console"
# Headers a page on an allowed origin may send: the cookie opt-in among them, which no
# HTML form can send, so a cross-site form never carries it.
_ALLOWED_REQUEST_HEADERS = ["accept", "authorization", "content-type", "x-session-transport"]
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_HSTS = b"max-age=63072000; includeSubDomains"


def browser_middleware(settings: Settings) -> list[Middleware]:
    """The middleware, outermost first: headers on every answer (CORS preflights and
    refusals included), CORS, then the origin check."""
    origins = list(settings.browser.allowed_origins)
    wildcard = settings.browser.any_origin
    return [
        Middleware(SecurityHeadersMiddleware, production=settings.is_production),
        Middleware(
            CORSMiddleware,
            allow_origins=["*"] if wildcard else origins,
            # Cookies cross origins only to pages listed one by one.
            allow_credentials=not wildcard,
            allow_methods=["GET", "POST"],
            allow_headers=_ALLOWED_REQUEST_HEADERS,
            expose_headers=["x-request-id"],
            max_age=600,
        ),
        Middleware(OriginGuardMiddleware, policy=OriginPolicy(settings)),
    ]


class OriginGuardMiddleware:
    """Answers 403 to a state-changing request a browser sent from an origin that is not
    ours nor allowed (``Origin: null`` included). Callers that are not browsers (the phone
    app, Stripe, carriers) send no ``Origin`` and pass."""

    def __init__(self, app: ASGIApp, policy: OriginPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method", "GET") not in _SAFE_METHODS:
            origin = request_origin(scope)
            if origin is not None and not self.policy.may_call(origin, scope):
                await send_json_error(send, 403, "origin not allowed")
                return
        await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    """Every answer: ``nosniff``, ``Referrer-Policy: no-referrer``, ``X-Frame-Options:
    DENY`` and, in production, HSTS. Every answer but the console's static files is
    ``Cache-Control: no-store`` (GraphQL, PDF statements and CSV exports carry PHI); the
    console's files are revalidated each time and carry its strict Content-Security-Policy."""

    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        console = path == CONSOLE_PATH or path.startswith(CONSOLE_PATH + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in _REPLACED
                ]
                headers += _security_headers(console=console, production=self.production)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_REPLACED = frozenset(
    {
        b"cache-control",
        b"pragma",
        b"x-content-type-options",
        b"referrer-policy",
        b"x-frame-options",
        b"strict-transport-security",
        b"content-security-policy",
    }
)


def _security_headers(*, console: bool, production: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
    ]
    if console:
        headers += [
            (b"cache-control", b"no-cache"),
            (b"content-security-policy", _CONSOLE_CSP.encode()),
        ]
    else:
        headers += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
    if production:
        headers.append((b"strict-transport-security", _HSTS))
    return headers
