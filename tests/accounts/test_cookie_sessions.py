"""Browser sessions: a page that sends ``X-Session-Transport: cookie`` gets its refresh
token in an HttpOnly, SameSite=Strict cookie for /graphql only, and never in the answer;
the cookie acts only for requests that carry the header and an allowed Origin (CSRF)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import build_app
from config.settings import Settings, load_settings
from models.enums import Role
from tests.support.environments import PRODUCTION
from tests.support.factories.accounts import PASSWORD, enable_mfa, make_user, next_code
from tests.support.factories.invoices import invoice, location, patient_caller
from tests.support.graphql_client import LOGIN, VERIFY_MFA

LISTED = "https://portal.example.org"
UNLISTED = "https://evil.example.net"
BROWSER = {"x-session-transport": "cookie", "origin": LISTED}
REFRESH = """
mutation { refreshSession { session { accessToken refreshToken expiresAt } errors { code } } }
"""
LOGOUT = "mutation { logout { ok errors { code } } }"
MY_INVOICES = "{ myInvoices { totalCount edges { node { number } } } }"


@pytest.fixture
async def http(settings: Settings, db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(
        load_settings({"DATABASE_URL": settings.database_url, "CORS_ALLOWED_ORIGINS": LISTED})
    )
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _post(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )


def _set_cookie(response: httpx.Response) -> str:
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 1, cookies
    return cookies[0]


async def _browser_sign_in(http: httpx.AsyncClient, email: str) -> tuple[httpx.Response, str]:
    response = await _post(http, LOGIN, {"email": email, "password": PASSWORD}, BROWSER)
    session = response.json()["data"]["login"]["session"]
    return response, session["accessToken"]


async def test_a_browser_gets_the_refresh_token_only_in_an_httponly_cookie(
    http: httpx.AsyncClient,
) -> None:
    await make_user("pat@example.org", Role.PATIENT)

    response, access_token = await _browser_sign_in(http, "pat@example.org")

    session = response.json()["data"]["login"]["session"]
    assert access_token.startswith("at_")
    assert session["refreshToken"] is None
    cookie = _set_cookie(response)
    assert cookie.startswith("billing_refresh=rt_")
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/graphql" in attributes
    assert "secure" not in attributes  # development: plain http on loopback


async def test_the_phone_app_keeps_its_bearer_tokens_and_gets_no_cookie(
    http: httpx.AsyncClient,
) -> None:
    await make_user("pat@example.org", Role.PATIENT)

    response = await _post(http, LOGIN, {"email": "pat@example.org", "password": PASSWORD})

    session = response.json()["data"]["login"]["session"]
    assert session["refreshToken"].startswith("rt_")
    assert "set-cookie" not in response.headers


async def test_staff_finishing_mfa_in_a_browser_get_the_cookie(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user("staff@example.org", Role.BILLING_STAFF)
    totp = await enable_mfa(user, settings)
    login = await _post(http, LOGIN, {"email": "staff@example.org", "password": PASSWORD}, BROWSER)
    ticket = login.json()["data"]["login"]["mfaTicket"]

    verified = await _post(http, VERIFY_MFA, {"ticket": ticket, "code": next_code(totp)}, BROWSER)

    session = verified.json()["data"]["verifyMfa"]["session"]
    assert session["accessToken"].startswith("at_")
    assert session["refreshToken"] is None
    assert _set_cookie(verified).startswith("billing_refresh=rt_")


async def test_refresh_reads_the_cookie_and_rotates_it(http: httpx.AsyncClient) -> None:
    await make_user("pat@example.org", Role.PATIENT)
    _, first_access = await _browser_sign_in(http, "pat@example.org")
    first_cookie = http.cookies["billing_refresh"]

    refreshed = await _post(http, REFRESH, headers=BROWSER)

    session = refreshed.json()["data"]["refreshSession"]["session"]
    assert session["accessToken"] not in (None, first_access)
    assert session["refreshToken"] is None
    assert http.cookies["billing_refresh"] != first_cookie
    # the retired access token no longer works
    retired = await _post(http, MY_INVOICES, headers={"authorization": f"Bearer {first_access}"})
    assert retired.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_refresh_without_the_header_does_not_use_the_cookie(
    http: httpx.AsyncClient,
) -> None:
    await make_user("pat@example.org", Role.PATIENT)
    await _browser_sign_in(http, "pat@example.org")

    # the cookie rides along (same site), but nothing says a page of ours sent it
    refused = await _post(http, REFRESH, headers={"origin": LISTED})

    payload = refused.json()["data"]["refreshSession"]
    assert payload["session"] is None
    assert [error["code"] for error in payload["errors"]] == ["INVALID_TOKEN"]


async def test_a_cross_site_form_post_cannot_refresh(http: httpx.AsyncClient) -> None:
    await make_user("pat@example.org", Role.PATIENT)
    await _browser_sign_in(http, "pat@example.org")
    body = '{"query": "mutation { refreshSession { session { accessToken } } }"}'

    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        # a form on another site: no custom header possible, its own Origin
        forged = await http.post(
            "/graphql", content=body, headers={"content-type": content_type, "origin": UNLISTED}
        )
        # the same form without an Origin (an old browser) is not JSON and carries no header
        bare = await http.post("/graphql", content=body, headers={"content-type": content_type})

        assert forged.status_code == 403
        assert bare.status_code == 400
        assert "accessToken" not in bare.text


async def test_a_fetch_from_an_unlisted_origin_cannot_use_the_cookie(
    http: httpx.AsyncClient,
) -> None:
    await make_user("pat@example.org", Role.PATIENT)
    await _browser_sign_in(http, "pat@example.org")

    response = await _post(
        http, REFRESH, headers={"x-session-transport": "cookie", "origin": UNLISTED}
    )

    assert response.status_code == 403
    assert "accessToken" not in response.text


async def test_a_listed_origin_signs_in_with_cookies_and_reads_its_invoices(
    http: httpx.AsyncClient,
) -> None:
    caller = await patient_caller("jo@example.org")
    clinic = await location()
    await invoice(caller.patient_id, clinic.id)
    await _browser_sign_in(http, "jo@example.org")

    # a reload: the page lost its in-memory access token and gets a new one by cookie
    refreshed = await _post(http, REFRESH, headers=BROWSER)
    access = refreshed.json()["data"]["refreshSession"]["session"]["accessToken"]
    invoices = await _post(
        http, MY_INVOICES, headers={**BROWSER, "authorization": f"Bearer {access}"}
    )

    assert invoices.headers["access-control-allow-origin"] == LISTED
    assert invoices.headers["access-control-allow-credentials"] == "true"
    assert invoices.json()["data"]["myInvoices"]["totalCount"] == 1


async def test_logout_clears_the_cookie_and_ends_the_session(http: httpx.AsyncClient) -> None:
    await make_user("pat@example.org", Role.PATIENT)
    _, access = await _browser_sign_in(http, "pat@example.org")
    stolen = http.cookies["billing_refresh"]

    logged_out = await _post(http, LOGOUT, headers={**BROWSER, "authorization": f"Bearer {access}"})

    assert logged_out.json()["data"]["logout"]["ok"] is True
    cleared = _set_cookie(logged_out)
    assert cleared.startswith('billing_refresh="";') or "max-age=0" in cleared.lower()
    assert "billing_refresh" not in http.cookies
    replay = await _post(http, REFRESH, headers={**BROWSER, "cookie": f"billing_refresh={stolen}"})
    assert replay.json()["data"]["refreshSession"]["errors"][0]["code"] == "INVALID_TOKEN"


async def test_production_cookies_are_secure(settings: Settings, db: None) -> None:
    production = load_settings(
        {**PRODUCTION, "DATABASE_URL": settings.database_url, "ALLOW_SQLITE_IN_PRODUCTION": "1"}
    )
    transport = httpx.ASGITransport(app=build_app(production), client=("203.0.113.7", 50000))
    await make_user("pat@example.org", Role.PATIENT)
    own = {"x-session-transport": "cookie", "origin": "https://billing.example.org"}
    async with httpx.AsyncClient(
        transport=transport, base_url="https://billing.example.org"
    ) as http:
        response = await _post(http, LOGIN, {"email": "pat@example.org", "password": PASSWORD}, own)

    attributes = [part.strip().lower() for part in _set_cookie(response).split(";")]
    assert "secure" in attributes
    assert "httponly" in attributes


async def test_a_wildcard_origin_never_gets_the_cookie_to_act(settings: Settings, db: None) -> None:
    app = build_app(
        load_settings({"DATABASE_URL": settings.database_url, "CORS_ALLOWED_ORIGINS": "*"})
    )
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    await make_user("pat@example.org", Role.PATIENT)
    anywhere = {"x-session-transport": "cookie", "origin": UNLISTED}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await _post(http, LOGIN, {"email": "pat@example.org", "password": PASSWORD}, anywhere)
        assert "billing_refresh" in http.cookies

        refused = await _post(http, REFRESH, headers=anywhere)

    assert refused.json()["data"]["refreshSession"]["errors"][0]["code"] == "INVALID_TOKEN"
