"""The staff console in a real browser: headless Chromium (Debian's, through Selenium)
against ``billing serve`` on loopback, on the suite's database (SQLite or PostgreSQL).

Staff sign in with a real TOTP code, find a patient, record a check and see the balance
drop, resolve a flagged payment, download a CSV; a first sign-in enrolls the
authenticator from the QR code's key; an idle console signs itself out and says so; and
roles that may not do these things are refused. Screenshots of each main page go to
``test-output/console/``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pyotp
import pytest
from selenium.webdriver.common.by import By

from config.settings import Settings
from models.enums import PaymentChannel, PaymentStatus, Role
from models.invoices import Invoice as InvoiceRow
from models.payments import Payment, PaymentAllocation
from tests.support.app_process import AppProcess, app_process
from tests.support.browser import Browser, chromium
from tests.support.factories.accounts import PASSWORD, enable_mfa, make_user
from tests.support.factories.invoices import invoice, location
from tests.support.factories.office import office_patient


@dataclass(frozen=True)
class Office:
    invoice_number: str
    staff: dict[Role, tuple[str, pyotp.TOTP]]


async def _flagged_payment(patient_id: int, bill: InvoiceRow) -> None:
    """A card payment Stripe reported with less than asked (20.00 of 50.00): on the
    review list, its amount held on the invoice."""
    payment = await Payment.create(
        patient_id=patient_id,
        channel=PaymentChannel.CARD,
        status=PaymentStatus.PROCESSING,
        amount_minor=5000,
        currency="USD",
        stripe_payment_intent_id=f"pi_console_review_{bill.id}",
        review_reason="received 20.00 instead of 50.00 USD",
        received_minor=2000,
        received_currency="USD",
    )
    await PaymentAllocation.create(payment=payment, invoice=bill, amount_minor=5000)
    await InvoiceRow.filter(id=bill.id).update(reserved_minor=5000)


@pytest.fixture
async def office(db: None, settings: Settings) -> Office:
    clinic = await location("North Clinic")
    patient = await office_patient(
        settings,
        "Amara",
        "Okafor",
        date(1975, 6, 1),
        email="amara@example.org",
        location_id=clinic.id,
    )
    bill = await invoice(patient.id, clinic.id, prices_minor=(10000,), issued=date.today())
    other = await office_patient(
        settings, "Tomas", "Reyes", date(1990, 1, 2), location_id=clinic.id
    )
    await _flagged_payment(other.id, await invoice(other.id, clinic.id, prices_minor=(5000,)))
    staff: dict[Role, tuple[str, pyotp.TOTP]] = {}
    for role in (Role.BILLING_STAFF, Role.ACCOUNTANT, Role.AUDITOR):
        email = f"{role.value}@clinic.example.org"
        staff[role] = (email, await enable_mfa(await make_user(email, role), settings))
    return Office(bill.number, staff)


async def _server(database_url: str, tmp_path: Path, **extra: str) -> AsyncIterator[AppProcess]:
    # Only registered documents, as in production: the console's operations are among them.
    environment = {
        "DATABASE_URL": database_url,
        "BILLING_ENV": "development",
        "GRAPHQL_DOCUMENTS": "registered",
        **extra,
    }
    async with app_process(environment, tmp_path / "server.log") as server:
        yield server


@pytest.fixture
async def server(database_url: str, tmp_path: Path, office: Office) -> AsyncIterator[AppProcess]:
    async for running in _server(database_url, tmp_path):
        yield running


@pytest.fixture
def browser(server: AppProcess, tmp_path: Path) -> Iterator[Browser]:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with chromium(server.url, downloads) as running:
        yield running


def _sign_in(browser: Browser, email: str, totp: pyotp.TOTP | None) -> None:
    browser.open("/console/")
    browser.fill("Email", email, within="#sign-in")
    browser.fill("Password", PASSWORD, within="#sign-in")
    browser.press("Sign in", within="#sign-in")
    if totp is not None:
        browser.fill("Code", totp.now(), within="#mfa")
        browser.press("Verify", within="#mfa")
    browser.element("#sign-out")


def _nav_links(browser: Browser) -> list[str]:
    return [link.text for link in browser.driver.find_elements(By.CSS_SELECTOR, "#nav a")]


async def test_staff_find_a_patient_record_a_check_and_see_the_balance_drop(
    browser: Browser, office: Office
) -> None:
    email, totp = office.staff[Role.BILLING_STAFF]
    _sign_in(browser, email, totp)
    assert _nav_links(browser) == ["Patients", "Worklists", "Dashboard", "Exports"]

    # a reload keeps the session: the page gets a new access token with the HttpOnly cookie
    browser.driver.refresh()
    browser.element("#sign-out")
    assert browser.driver.execute_script("return document.cookie") == ""

    browser.fill("Last name", "okafor", within="#patient-search")
    browser.press("Search", within="#patient-search")
    browser.wait_for_text("1 patient(s) found")
    browser.screenshot("patient-search")
    browser.driver.find_element(By.LINK_TEXT, "Amara O.").click()
    browser.wait_for_text("Contact details")
    browser.fill("Phone", "(312) 555-0148", within="#contact-form")
    browser.press("Save contact details", within="#contact-form")
    browser.wait_for_text("Contact details saved.")
    browser.press("Add a coverage", within="#coverage-form")
    browser.fill("Payer", "Acme Health", within="#coverage-form")
    browser.fill("Member id", "ACM-2231", within="#coverage-form")
    browser.press("Save coverages", within="#coverage-form")
    browser.wait_for_text("Coverages saved.")
    assert browser.element("#field-phone").get_attribute("value") == "+13125550148"
    assert browser.element("#field-memberId-0").get_attribute("value") == "ACM-2231"
    browser.screenshot("patient-record")

    browser.driver.find_element(By.LINK_TEXT, office.invoice_number).click()
    assert browser.element("#invoice-balance").text == "100.00 USD"
    browser.fill("Amount (USD)", "40.00", within="#offline-payment")
    browser.fill("Method", "CHECK", within="#offline-payment")
    browser.fill("Reference (check number)", "1001", within="#offline-payment")
    browser.press("Record offline payment", within="#offline-payment")

    browser.wait_for(lambda: browser.element("#invoice-balance").text == "60.00 USD", "new balance")
    assert "Record offline payment: done." in browser.element("#action-result").text
    browser.screenshot("invoice")

    browser.press("Create PDF statement", within="#pdf-statement")
    pdf_url = browser.element("#pdf-link").get_attribute("href")
    assert pdf_url is not None
    assert pdf_url.startswith(f"{browser.base_url}/statements/")
    async with httpx.AsyncClient() as http:
        statement = await http.get(pdf_url)
    assert statement.status_code == 200
    assert statement.content.startswith(b"%PDF")


async def test_staff_resolve_a_flagged_payment(browser: Browser, office: Office) -> None:
    email, totp = office.staff[Role.BILLING_STAFF]
    _sign_in(browser, email, totp)

    browser.open("/console/#/worklists/flagged")
    browser.wait_for_text("1 payment(s) to resolve")
    assert "received 20.00 instead of 50.00 USD" in browser.text()
    browser.screenshot("worklist-flagged")
    form = browser.element("form.resolve")
    form.find_element(By.CSS_SELECTOR, "select option[value='APPLY']").click()
    form.find_element(By.CSS_SELECTOR, "input").send_keys("Called the bank")
    browser.press("Resolve", within="form.resolve")

    browser.wait_for_text("Payment resolved.")
    browser.wait_for_text("0 payment(s) to resolve")

    browser.open("/console/#/worklists/overdue")
    browser.wait_for_text("overdue invoice(s)")
    browser.open("/console/#/worklists/insurance")
    browser.wait_for_text("pending 30+ days")
    browser.screenshot("worklist-insurance")
    browser.open("/console/#/worklists/disputed")
    browser.wait_for_text("0 disputed payment(s)")
    browser.open("/console/#/worklists/paper")
    browser.wait_for_text("Paper statements to print and mail")


async def test_staff_download_a_csv_and_see_the_dashboard(browser: Browser, office: Office) -> None:
    email, totp = office.staff[Role.BILLING_STAFF]
    _sign_in(browser, email, totp)

    browser.open("/console/#/exports")
    browser.fill("What", "INVOICES", within="#export-form")
    browser.press("Create CSV", within="#export-form")
    browser.element("#export-download").click()
    browser.screenshot("exports")

    csv_file = browser.wait_for(
        lambda: next(iter(browser.downloads.glob("*.csv")), None), "the downloaded CSV"
    )
    lines = csv_file.read_text().splitlines()
    assert len(lines) == 3  # a header and both invoices
    assert office.invoice_number in "\n".join(lines)

    browser.open("/console/#/dashboard")
    browser.wait_for_text("Receivables (USD)")
    browser.screenshot("dashboard")
    bars = browser.driver.find_elements(By.CSS_SELECTOR, "#aging-USD svg rect")
    assert bars
    browser.driver.set_window_size(1920, 1080)
    browser.screenshot("dashboard-1920")


async def test_a_first_sign_in_enrolls_the_authenticator_from_the_qr_code(
    browser: Browser, office: Office
) -> None:
    await make_user("new.staff@clinic.example.org", Role.BILLING_STAFF)
    _sign_in(browser, "new.staff@clinic.example.org", None)

    qr_modules = browser.wait_for(
        lambda: browser.driver.find_elements(By.CSS_SELECTOR, ".qr svg g rect"), "the QR code"
    )
    assert len(qr_modules) > 200
    assert _nav_links(browser) == []
    browser.screenshot("enrollment")
    secret = browser.element("#totp-secret").text
    browser.fill("Code from the app", pyotp.TOTP(secret).now(), within="#confirm-enrollment")
    browser.press("Confirm", within="#confirm-enrollment")
    codes = browser.element("#recovery-codes").find_elements(By.TAG_NAME, "li")
    assert len(codes) >= 8
    browser.press("I saved them, continue")

    browser.element("#patient-search")
    assert _nav_links(browser)[0] == "Patients"


async def test_roles_see_only_what_they_may(browser: Browser, office: Office) -> None:
    email, totp = office.staff[Role.ACCOUNTANT]
    _sign_in(browser, email, totp)
    assert _nav_links(browser) == ["Worklists", "Dashboard", "Exports"]

    browser.open("/console/#/patients")
    browser.fill("Last name", "Okafor", within="#patient-search")
    browser.press("Search", within="#patient-search")
    browser.wait_for_text("FORBIDDEN")
    browser.open("/console/#/worklists/flagged")
    browser.wait_for_text("1 payment(s) to resolve")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "form.resolve")
    browser.driver.find_element(By.ID, "sign-out").click()
    browser.wait_for_text("You signed out.")

    email, totp = office.staff[Role.AUDITOR]
    _sign_in(browser, email, totp)
    assert _nav_links(browser) == ["Access log"]
    browser.wait_for_text("Access log")
    browser.wait_for_text("auth.login")
    browser.screenshot("access-log")
    browser.open("/console/#/worklists/flagged")
    browser.wait_for_text("Your role may not see or do this.")


@pytest.fixture
async def impatient_server(
    database_url: str, tmp_path: Path, office: Office
) -> AsyncIterator[AppProcess]:
    async for running in _server(database_url, tmp_path, CONSOLE_IDLE_SECONDS="3"):
        yield running


async def test_an_idle_console_signs_out_and_says_so(
    impatient_server: AppProcess, office: Office, tmp_path: Path
) -> None:
    email, totp = office.staff[Role.BILLING_STAFF]
    with chromium(impatient_server.url, tmp_path) as browser:
        _sign_in(browser, email, totp)
        started = time.monotonic()

        browser.wait_for_text("You were signed out automatically after 3 seconds without activity.")

        assert time.monotonic() - started >= 2.5
        browser.element("#sign-in")
        assert _nav_links(browser) == []
        browser.screenshot("idle-sign-out")
        # the session ended on the server too: a reload does not bring it back
        browser.driver.refresh()
        browser.element("#sign-in")
