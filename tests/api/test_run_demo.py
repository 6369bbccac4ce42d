"""`make run` as a user runs it: migrate and seed a SQLite file, then `billing serve
--with-stripe-simulator` as a separate process, which runs the local Stripe simulator as its
child. The app answers with real simulator objects, the simulator's signed webhooks reach the
app, and stopping the server stops the simulator too."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from config.settings import load_settings
from tests.support.demo_process import (
    STOP_SECONDS,
    RunningDemo,
    running_demo,
    seeded_database,
)
from tests.support.graphql_client import contract_operation, gql, sign_in

JANE = ("jane.doe@example.com", "demo-patient-jane-4821")
START_SAVING_CARD = contract_operation("StartSavingCard")
MY_PAYMENT_METHODS = contract_operation("MyPaymentMethods")


@pytest.fixture(scope="module")
def demo_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return seeded_database(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def demo(demo_database_url: str, tmp_path: Path) -> Iterator[RunningDemo]:
    with running_demo(demo_database_url, tmp_path) as running:
        yield running


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
