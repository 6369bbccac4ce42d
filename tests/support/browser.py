"""Headless Chromium for the console's end-to-end tests (no tests here).

Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them), driven by
Selenium; nothing is downloaded. ``Browser`` wraps the driver with the few waits the tests
need, and saves screenshots under ``test-output/console/`` (gitignored) for reviewers."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.support.paths import REPOSITORY

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = REPOSITORY / "test-output" / "console"
WAIT_SECONDS = 15.0
_T = TypeVar("_T")


class Browser:
    def __init__(self, driver: webdriver.Chrome, base_url: str, downloads: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.downloads = downloads

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def wait_for(
        self, find: Callable[[], _T | None], what: str, seconds: float = WAIT_SECONDS
    ) -> _T:
        deadline = time.monotonic() + seconds
        while True:
            with contextlib.suppress(StaleElementReferenceException):
                found = find()
                if found:
                    return found
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {seconds}s for {what}; page text:\n{self.text()}")
            time.sleep(0.1)

    def element(self, css: str, seconds: float = WAIT_SECONDS) -> WebElement:
        def visible() -> WebElement | None:
            found = self.driver.find_elements(By.CSS_SELECTOR, css)
            return found[0] if found and found[0].is_displayed() else None

        return self.wait_for(visible, css, seconds)

    def wait_for_text(self, text: str, seconds: float = WAIT_SECONDS) -> None:
        self.wait_for(lambda: text in self.text(), repr(text), seconds)

    def text(self) -> str:
        body = self.driver.find_elements(By.TAG_NAME, "body")
        return body[0].text if body else ""

    def fill(self, label: str, value: str, within: str = "body") -> None:
        """Types into the control the visible ``label`` names (as a user and a screen
        reader find it)."""
        scope = self.element(within)
        labels = [item for item in scope.find_elements(By.TAG_NAME, "label") if item.text == label]
        assert labels, f"no field labelled {label!r}"
        control = self.driver.find_element(By.ID, labels[0].get_attribute("for") or "")
        if control.tag_name == "select":
            control.find_element(By.CSS_SELECTOR, f"option[value='{value}']").click()
            return
        control.clear()
        control.send_keys(value)

    def press(self, button_text: str, within: str = "body") -> None:
        scope = self.element(within)
        buttons = [b for b in scope.find_elements(By.TAG_NAME, "button") if b.text == button_text]
        assert buttons, f"no button {button_text!r}"
        buttons[0].click()

    def policy_violations(self) -> list[str]:
        """What the browser's console said the Content-Security-Policy refused."""
        entries: list[dict[str, Any]] = self.driver.get_log("browser")  # type: ignore[no-untyped-call]
        return [
            entry["message"] for entry in entries if "Content Security Policy" in entry["message"]
        ]

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@contextlib.contextmanager
def chromium(base_url: str, downloads: Path, width: int = 1280) -> Iterator[Browser]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},1000",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser = Browser(driver, base_url, downloads)
    try:
        yield browser
        # the console works under its own strict policy: nothing was refused on the way
        assert browser.policy_violations() == []
    finally:
        driver.quit()
