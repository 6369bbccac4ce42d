"""The card flow of the README's "Building an app" section, followed as a newcomer does:
`make run`'s demo, the contract's operations over HTTP, and `billing dev confirm` standing in
for the phone's Stripe SDK against the demo's Stripe simulator. Then the daily cron command
through `make charge-due`, with nothing set but what `make run` was given."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.demo_process import (
    RunningDemo,
    billing,
    demo_environment,
    running_demo,
    seeded_database,
)
from tests.support.graphql_client import contract_operation, gql, sign_in
from tests.support.paths import REPOSITORY

JANE = ("jane.doe@example.com", "demo-patient-jane-4821")
START_SAVING_CARD = contract_operation("StartSavingCard")
MY_PAYMENT_METHODS = contract_operation("MyPaymentMethods")
MY_INVOICES = contract_operation("MyInvoices")
PAY_INVOICES = contract_operation("PayInvoices")
PAYMENT_STATUS = contract_operation("PaymentStatus")
CREATE_PDF_LINK = contract_operation("CreateInvoicePdfLink")
CREATE_PLAN = contract_operation("CreatePaymentPlan")
MY_PLANS = contract_operation("MyPaymentPlans")
WAIT_STEPS = 150


@pytest.fixture
def demo(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[RunningDemo]:
    with running_demo(seeded_database(tmp_path_factory.mktemp("flow")), tmp_path) as running:
        yield running


def dev_confirm(
    demo: RunningDemo, client_secret: str, *card: str
) -> subprocess.CompletedProcess[str]:
    """`billing dev confirm` in another terminal, given only the simulator's port."""
    return _dev(demo, "confirm", client_secret, *(("--card", card[0]) if card else ()))


def dev_authenticate(demo: RunningDemo, client_secret: str) -> subprocess.CompletedProcess[str]:
    """`billing dev authenticate`: the card holder passes the 3-D Secure challenge."""
    return _dev(demo, "authenticate", client_secret)


def _dev(
    demo: RunningDemo, command: str, client_secret: str, *options: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        billing(
            "dev",
            command,
            "--client-secret",
            client_secret,
            "--stripe-simulator-port",
            str(demo.simulator_port),
            *options,
        ),
        env=demo_environment(demo.database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def make_charge_due(demo: RunningDemo, port: str) -> subprocess.CompletedProcess[str]:
    """`make charge-due` as after `make run PORT=...`: the same port variables, nothing else."""
    return subprocess.run(  # noqa: S603
        [  # noqa: S607 - make from PATH, as a user runs it
            "make",
            "--no-print-directory",
            "charge-due",
            f"PORT={port}",
            f"STRIPE_SIMULATOR_PORT={demo.simulator_port}",
        ],
        cwd=REPOSITORY,
        env=demo_environment(demo.database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _until(check: Any, *args: Any) -> Any:
    for _ in range(WAIT_STEPS):
        found = await check(*args)
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{check.__name__} never held")


async def test_a_newcomer_saves_a_card_pays_an_invoice_and_sees_declines(demo: RunningDemo) -> None:
    async with httpx.AsyncClient(base_url=demo.app_url, timeout=10) as app:
        token = await sign_in(app, *JANE)

        # 1. startSavingCard, then confirm its SetupIntent with the test visa
        started = (await gql(app, START_SAVING_CARD, token=token))["data"]["startSavingCard"]
        assert started["errors"] == []
        saved = dev_confirm(demo, started["clientSecret"], "visa")
        assert saved.returncode == 0, saved.stderr
        assert "succeeded" in saved.stdout
        assert started["clientSecret"] not in saved.stdout + saved.stderr

        # 2. the simulator's webhook saved it: myPaymentMethods lists it
        async def saved_cards() -> list[dict[str, Any]]:
            body = await gql(app, MY_PAYMENT_METHODS, token=token)
            cards: list[dict[str, Any]] = body["data"]["myPaymentMethods"]
            return cards

        [card] = await _until(saved_cards)
        assert card["last4"] == "4242"

        # 3. payInvoices with the saved card, then confirm the PaymentIntent
        invoices = await _open_invoices(app, token)
        fully_owed = next(i for i in invoices if i["insurancePending"]["amount"] == "0.00")
        payment = await _pay(app, token, fully_owed, fully_owed["balance"]["amount"], card["id"])
        paid = dev_confirm(demo, payment["clientSecret"])
        assert paid.returncode == 0, paid.stderr

        # 4. Stripe's webhook marks the payment and the invoice paid
        status = await _until(_payment_in, app, token, payment["id"], "SUCCEEDED")
        [allocation] = status["allocations"]
        assert allocation["invoice"]["status"] == "PAID"
        assert allocation["invoice"]["balance"]["amount"] == "0.00"

        # 5. a declined new card: the command says so, the payment fails, the hold goes back
        other = next(i for i in invoices if i["id"] != fully_owed["id"])
        declined_payment = await _pay(app, token, other, "10.00", None)
        declined = dev_confirm(demo, declined_payment["clientSecret"], "declined")
        assert declined.returncode == 1
        assert "declined (generic_decline)" in declined.stderr
        failed = await _until(_payment_in, app, token, declined_payment["id"], "FAILED")
        assert failed["failureMessage"]

        # 6. insufficient funds likewise, with its own decline code
        short_payment = await _pay(app, token, other, "10.00", None)
        short = dev_confirm(demo, short_payment["clientSecret"], "insufficient_funds")
        assert short.returncode == 1
        assert "insufficient_funds" in short.stderr

        # 7. a card asking for 3-D Secure (Stripe's pm_card_authenticationRequired) waits for
        # its holder: the payment is REQUIRES_ACTION until `dev authenticate` answers
        challenged_payment = await _pay(app, token, other, "5.00", None)
        challenged = dev_confirm(
            demo, challenged_payment["clientSecret"], "authentication_required"
        )
        assert challenged.returncode == 1
        assert "pm_card_authenticationRequired: requires_action" in challenged.stderr
        await _until(_payment_in, app, token, challenged_payment["id"], "REQUIRES_ACTION")
        answered = dev_authenticate(demo, challenged_payment["clientSecret"])
        assert answered.returncode == 0, answered.stderr
        assert "authenticated, now succeeded" in answered.stdout
        await _until(_payment_in, app, token, challenged_payment["id"], "SUCCEEDED")

        # 8. the statement link points at the port the demo serves on
        link = await gql(app, CREATE_PDF_LINK, {"invoiceId": other["id"]}, token=token)
        url = link["data"]["createInvoicePdfLink"]["url"]
        assert url.startswith(f"{demo.app_url}/statements/")
        pdf = await app.get(url.removeprefix(demo.app_url))
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")

        # 9. a plan due today, charged by `make charge-due` with make run's settings only
        created = await gql(
            app,
            CREATE_PLAN,
            {
                "input": {
                    "invoiceIds": [other["id"]],
                    "monthlyAmount": "25.00",
                    "paymentMethodId": card["id"],
                }
            },
            token=token,
        )
        plan = created["data"]["createPaymentPlan"]
        assert plan["errors"] == []
        port = demo.app_url.rsplit(":", 1)[1]
        charged = make_charge_due(demo, port)
        assert charged.returncode == 0, charged.stdout + charged.stderr
        assert "1 charged" in charged.stdout

        async def first_installment_paid() -> bool:
            plans = (await gql(app, MY_PLANS, token=token))["data"]["myPaymentPlans"]
            [mine] = [p for p in plans if p["id"] == plan["plan"]["id"]]
            remaining = Decimal(mine["remaining"]["amount"])
            return remaining == Decimal(plan["plan"]["total"]["amount"]) - Decimal("25.00")

        assert await _until(first_installment_paid)


async def _open_invoices(app: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    body = await gql(
        app,
        MY_INVOICES,
        {"filter": {"status": ["OPEN", "PARTIALLY_PAID", "PENDING_INSURANCE"]}},
        token=token,
    )
    return [edge["node"] for edge in body["data"]["myInvoices"]["edges"]]


async def _pay(
    app: httpx.AsyncClient,
    token: str,
    invoice: dict[str, Any],
    amount: str,
    payment_method_id: str | None,
) -> dict[str, Any]:
    body = await gql(
        app,
        PAY_INVOICES,
        {
            "input": {
                "allocations": [{"invoiceId": invoice["id"], "amount": amount}],
                "paymentMethodId": payment_method_id,
                "idempotencyKey": str(uuid.uuid4()),
            }
        },
        token=token,
    )
    payload = body["data"]["payInvoices"]
    assert payload["errors"] == [], payload
    payment: dict[str, Any] = payload["payment"]
    return payment


async def _payment_in(
    app: httpx.AsyncClient, token: str, payment_id: str, status: str
) -> dict[str, Any] | None:
    node: dict[str, Any] = (await gql(app, PAYMENT_STATUS, {"id": payment_id}, token=token))[
        "data"
    ]["node"]
    return node if node["status"] == status else None
