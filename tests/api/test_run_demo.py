"""`make run` as a user runs it: migrate and seed a SQLite file, then `billing serve
--with-stripe-simulator` as a separate process, which runs the local Stripe simulator as its
child. The app answers with real simulator objects, the simulator's signed webhooks reach the
app, and stopping the server stops the simulator too."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from config.settings import load_settings
from tests.support.graphql_client import contract_operation, gql, sign_in

JANE = ("jane.doe@example.com", "demo-patient-jane-4821")
START_SAVING_CARD = contract_operation("StartSavingCard")
MY_PAYMENT_METHODS = contract_operation("MyPaymentMethods")
SIMULATOR_LINE = re.compile(r"Stripe simulator \(pid (\d+)\) at (http://127\.0\.0\.1:\d+)")
STARTUP_SECONDS = 30
STOP_SECONDS = 15


@dataclass(frozen=True)
class RunningDemo:
    process: subprocess.Popen[bytes]
    app_url: str
    simulator_url: str
    simulator_pid: int


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def demo_environment(database_url: str) -> dict[str, str]:
    """The caller's environment without any billing or Stripe setting, as on a fresh machine."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "STRIPE_"))},
        "DATABASE_URL": database_url,
    }


def billing(*args: str) -> list[str]:
    return [sys.executable, "-m", "api.cli", *args]


@pytest.fixture(scope="module")
def demo_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file migrated and seeded the way `make run` does it before serving."""
    url = f"sqlite://{tmp_path_factory.mktemp('demo') / 'billing.sqlite3'}"
    for command in ("migrate", "seed-demo"):
        done = subprocess.run(  # noqa: S603
            billing(command),
            env=demo_environment(url),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    return url


@pytest.fixture
def demo(demo_database_url: str, tmp_path: Path) -> Iterator[RunningDemo]:
    """`billing serve --with-stripe-simulator` on free loopback ports, in its own process
    group so a test can press Ctrl-C on it and nothing it started outlives the test."""
    app_port, simulator_port = free_port(), free_port()
    output_path = tmp_path / "serve.log"
    with output_path.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            billing(
                "serve",
                "--port",
                str(app_port),
                "--with-stripe-simulator",
                "--stripe-simulator-port",
                str(simulator_port),
            ),
            env=demo_environment(demo_database_url),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        app_url = f"http://127.0.0.1:{app_port}"
        _wait_until_ready(process, app_url, output_path)
        found = SIMULATOR_LINE.search(output_path.read_text(encoding="utf-8"))
        assert found, output_path.read_text(encoding="utf-8")
        yield RunningDemo(
            process=process,
            app_url=app_url,
            simulator_url=found.group(2),
            simulator_pid=int(found.group(1)),
        )
    finally:
        # The group outlives its leader while a child of the server is still running.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_SECONDS)


def _wait_until_ready(process: subprocess.Popen[bytes], app_url: str, log: Path) -> None:
    with httpx.Client(base_url=app_url, timeout=2) as http:
        for _ in range(STARTUP_SECONDS * 10):
            assert process.poll() is None, log.read_text(encoding="utf-8")
            try:
                if http.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise AssertionError(f"the demo was not ready in {STARTUP_SECONDS}s")


def stopped_within(process: subprocess.Popen[bytes]) -> int:
    return process.wait(timeout=STOP_SECONDS)


def process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def refuses_connections(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return False
    except OSError:
        return True


async def test_the_demo_saves_a_card_at_the_simulator_and_stops_it_on_sigterm(
    demo: RunningDemo,
) -> None:
    development_key = load_settings({}).stripe_secret_key.reveal()
    async with (
        httpx.AsyncClient(base_url=demo.app_url, timeout=10) as app,
        httpx.AsyncClient(
            base_url=demo.simulator_url,
            timeout=10,
            headers={"authorization": f"Bearer {development_key}"},
        ) as phone,
    ):
        token = await sign_in(app, *JANE)
        started = await gql(app, START_SAVING_CARD, token=token)
        payload = started["data"]["startSavingCard"]
        assert payload["errors"] == []
        client_secret: str = payload["clientSecret"]
        assert client_secret.startswith("seti_")
        intent_id = client_secret.split("_secret_")[0]

        # What the phone's Stripe SDK does with the client secret; the simulator then sends
        # its signed setup_intent.succeeded to the app, which saves the card.
        confirmed = await phone.post(
            f"/v1/setup_intents/{intent_id}/confirm", data={"payment_method": "pm_card_visa"}
        )
        assert confirmed.status_code == 200, confirmed.text
        cards = await _saved_cards(app, token)

    assert [card["last4"] for card in cards] == ["4242"]
    demo.process.send_signal(signal.SIGTERM)
    assert stopped_within(demo.process) == 128 + signal.SIGTERM
    assert process_is_gone(demo.simulator_pid)
    assert refuses_connections(demo.simulator_url)


async def _saved_cards(app: httpx.AsyncClient, token: str) -> list[dict[str, object]]:
    for _ in range(100):
        result = await gql(app, MY_PAYMENT_METHODS, token=token)
        cards: list[dict[str, object]] = result["data"]["myPaymentMethods"]
        if cards:
            return cards
        await asyncio.sleep(0.1)
    raise AssertionError("the simulator's setup_intent.succeeded never saved the card")


def test_ctrl_c_stops_the_server_and_the_simulator(demo: RunningDemo) -> None:
    os.killpg(demo.process.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C

    assert stopped_within(demo.process) == 0
    assert process_is_gone(demo.simulator_pid)
    assert refuses_connections(demo.simulator_url)
    assert refuses_connections(demo.app_url)


def test_stopping_only_the_server_stops_the_simulator_child(demo: RunningDemo) -> None:
    demo.process.send_signal(signal.SIGINT)

    assert stopped_within(demo.process) == 0
    assert process_is_gone(demo.simulator_pid)
    assert refuses_connections(demo.simulator_url)
