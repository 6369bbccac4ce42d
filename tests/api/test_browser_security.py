"""What browsers get: CORS for listed origins only, other sites' requests refused, and
headers that keep PHI out of caches, frames and referrers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import build_app
from config.settings import Settings, SettingsError, load_settings
from tests.support.environments import PRODUCTION

LISTED = "https://console.example.org"
UNLISTED = "https://evil.example.net"
TYPENAME = {"query": "{ __typename }"}


@pytest.fixture
async def browser_client(settings: Settings, db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(
        load_settings({"DATABASE_URL": settings.database_url, "CORS_ALLOWED_ORIGINS": LISTED})
    )
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def _preflight(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization, x-session-transport",
    }


async def test_a_listed_origin_passes_the_preflight_with_credentials(
    browser_client: httpx.AsyncClient,
) -> None:
    response = await browser_client.options("/graphql", headers=_preflight(LISTED))

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == LISTED
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "x-session-transport" in allowed
    assert "authorization" in allowed


async def test_an_unlisted_origin_fails_the_preflight(browser_client: httpx.AsyncClient) -> None:
    response = await browser_client.options("/graphql", headers=_preflight(UNLISTED))

    assert response.status_code == 400
    # without Access-Control-Allow-Origin the browser never sends the request
    assert "access-control-allow-origin" not in response.headers


async def test_a_listed_origin_may_read_the_answer(browser_client: httpx.AsyncClient) -> None:
    response = await browser_client.post("/graphql", json=TYPENAME, headers={"origin": LISTED})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == LISTED
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


@pytest.mark.parametrize("origin", [UNLISTED, "null", "http://console.example.org"])
async def test_a_post_from_another_origin_is_refused_before_anything_runs(
    browser_client: httpx.AsyncClient, origin: str
) -> None:
    response = await browser_client.post("/graphql", json=TYPENAME, headers={"origin": origin})

    assert response.status_code == 403
    assert response.json() == {"error": "origin not allowed"}
    assert "access-control-allow-origin" not in response.headers


async def test_the_service_own_origin_and_callers_without_origin_pass(
    browser_client: httpx.AsyncClient,
) -> None:
    same_origin = await browser_client.post(
        "/graphql", json=TYPENAME, headers={"origin": "http://testserver"}
    )
    phone_app = await browser_client.post("/graphql", json=TYPENAME)

    assert same_origin.status_code == 200
    assert phone_app.status_code == 200


async def test_graphql_answers_are_never_stored_and_carry_the_browser_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/graphql", json=TYPENAME)

    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in response.headers


@pytest.mark.parametrize("path", ["/statements/st_unknown", "/exports/ex_unknown", "/healthz"])
async def test_statement_and_export_links_are_never_stored(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)

    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_console_page_has_a_strict_content_security_policy(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/console/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-frame-options"] == "DENY"


async def test_the_console_says_its_idle_timeout(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/config.json")

    assert response.json() == {"idleSeconds": 15 * 60}


async def test_production_adds_strict_transport_security() -> None:
    app = build_app(load_settings(PRODUCTION))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        response = await http.get("/healthz")

    assert response.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize(
    ("origins", "complaint"),
    [
        ("*", "may not be '*'"),
        ("http://console.example.org", "must be https://"),
        ("https://console.example.org/app", "is not an origin"),
        ("console.example.org", "is not an origin"),
    ],
)
def test_production_refuses_wildcard_and_plain_http_origins(origins: str, complaint: str) -> None:
    with pytest.raises(SettingsError, match="CORS_ALLOWED_ORIGINS") as refused:
        load_settings({**PRODUCTION, "CORS_ALLOWED_ORIGINS": origins})

    assert complaint in str(refused.value)


def test_production_accepts_https_and_loopback_origins() -> None:
    settings = load_settings(
        {**PRODUCTION, "CORS_ALLOWED_ORIGINS": "https://Console.Example.org, http://127.0.0.1:5173"}
    )

    assert settings.browser.allowed_origins == (
        "https://console.example.org",
        "http://127.0.0.1:5173",
    )
    assert settings.browser.secure_cookies


def test_the_console_idle_timeout_cannot_outlast_the_session() -> None:
    with pytest.raises(SettingsError, match="CONSOLE_IDLE_SECONDS"):
        load_settings({"SESSION_IDLE_MINUTES": "5", "CONSOLE_IDLE_SECONDS": "301"})

    assert load_settings({"CONSOLE_IDLE_SECONDS": "20"}).browser.console_idle_seconds == 20


async def test_a_wildcard_lets_any_page_call_without_cookies(settings: Settings, db: None) -> None:
    app = build_app(
        load_settings({"DATABASE_URL": settings.database_url, "CORS_ALLOWED_ORIGINS": "*"})
    )
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        preflight = await http.options("/graphql", headers=_preflight(UNLISTED))
        answer = await http.post("/graphql", json=TYPENAME, headers={"origin": UNLISTED})

    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in preflight.headers
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
