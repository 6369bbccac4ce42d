"""Another site's page in a real browser: a patient portal served from an origin listed in
``CORS_ALLOWED_ORIGINS`` signs in with a cookie session (the refresh token only in the
HttpOnly cookie), gets a new access token from the cookie and reads the patient's invoices;
the same page served from an origin that is not listed gets nothing."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from tests.support.app_process import AppProcess, app_process, free_port
from tests.support.browser import Browser, chromium
from tests.support.factories.accounts import PASSWORD, make_user
from tests.support.factories.invoices import invoice, location
from tests.support.factories.office import office_patient

# The portal's whole script: sign in as a browser, then refresh from the cookie alone, then
# read the invoices with the access token the refresh gave; the outcome goes into the page.
PORTAL = """<!doctype html>
<html><head><meta charset="utf-8"><title>Portal</title></head>
<body><pre id="result">running</pre>
<script>
const [api, email, password] = JSON.parse(decodeURIComponent(location.hash.slice(1)));
async function graphql(query, variables, token) {
  const headers = {"content-type": "application/json", "x-session-transport": "cookie"};
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${api}/graphql`, {
    method: "POST", credentials: "include", headers, body: JSON.stringify({query, variables}),
  });
  return response.json();
}
(async () => {
  const login = await graphql(
    `mutation ($email: String!, $password: String!) {
       login(email: $email, password: $password) {
         session { accessToken refreshToken } errors { code } } }`,
    {email, password});
  const refreshed = await graphql(
    `mutation { refreshSession { session { accessToken refreshToken } errors { code } } }`, {});
  const token = refreshed.data.refreshSession.session.accessToken;
  const invoices = await graphql(`query { myInvoices { totalCount } }`, {}, token);
  document.getElementById("result").textContent = JSON.stringify({
    loginRefreshToken: login.data.login.session.refreshToken,
    cookieVisible: document.cookie,
    refreshErrors: refreshed.data.refreshSession.errors,
    invoices: invoices.data.myInvoices.totalCount,
  });
})().catch((error) => {
  document.getElementById("result").textContent = JSON.stringify({refused: String(error)});
});
</script></body></html>
"""


@contextlib.contextmanager
def _static_site(folder: Path) -> Iterator[str]:
    """``folder`` served over HTTP on a loopback port of its own: another origin."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def portal_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "portal"
    folder.mkdir()
    (folder / "portal.html").write_text(PORTAL)
    return folder


@pytest.fixture
def listed_site(portal_folder: Path) -> Iterator[str]:
    with _static_site(portal_folder) as origin:
        yield origin


@pytest.fixture
def other_site(portal_folder: Path) -> Iterator[str]:
    with _static_site(portal_folder) as origin:
        yield origin


@pytest.fixture
async def server(
    db: None, settings: Settings, database_url: str, tmp_path: Path, listed_site: str
) -> AsyncIterator[AppProcess]:
    clinic = await location("North Clinic")
    patient = await office_patient(settings, "Ada", "Lovelace", date(1980, 2, 3))
    await make_user("ada@example.org", patient=patient)
    await invoice(patient.id, clinic.id, prices_minor=(4200,))
    environment = {
        "DATABASE_URL": database_url,
        "BILLING_ENV": "development",
        "CORS_ALLOWED_ORIGINS": listed_site,
    }
    async with app_process(environment, tmp_path / "server.log") as running:
        yield running


def _portal_outcome(browser: Browser, site: str, api: str) -> dict[str, Any]:
    credentials = json.dumps([api, "ada@example.org", PASSWORD])
    browser.driver.get(f"{site}/portal.html#{credentials}")
    browser.wait_for(lambda: browser.element("#result").text != "running", "the portal's outcome")
    outcome: dict[str, Any] = json.loads(browser.element("#result").text)
    return outcome


def test_a_listed_origin_signs_in_with_the_cookie_and_reads_the_invoices(
    server: AppProcess, listed_site: str, tmp_path: Path
) -> None:
    with chromium(listed_site, tmp_path) as browser:
        outcome = _portal_outcome(browser, listed_site, server.url)

    assert outcome == {
        "loginRefreshToken": None,
        "cookieVisible": "",
        "refreshErrors": [],
        "invoices": 1,
    }


def test_an_origin_that_is_not_listed_gets_nothing(
    server: AppProcess, other_site: str, tmp_path: Path
) -> None:
    with chromium(other_site, tmp_path) as browser:
        outcome = _portal_outcome(browser, other_site, server.url)

    assert set(outcome) == {"refused"}
    assert "Failed to fetch" in outcome["refused"]
