"""Two server processes on one database, overlapping payInvoices fired at both at once:
no invoice's balance is ever held twice, and each held amount has exactly one intent."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import httpx

from models.enums import AllocationStatus, PaymentStatus
from models.invoices import Invoice as InvoiceRow
from models.payments import Payment as PaymentRow
from models.payments import PaymentAllocation as PaymentAllocationRow
from stripe_simulator import SimulatorConfig, build_simulator_app
from tests.support.app_process import app_process
from tests.support.factories.invoices import global_id, invoice, location, patient_caller
from tests.support.graphql_client import contract_operation
from tests.support.stripe_fixture import API_KEY, WEBHOOK_SECRET, free_socket, serving

PAY_INVOICES = contract_operation("PayInvoices")
BALANCE_MINOR = 10000


async def test_overlapping_payments_on_two_processes_never_hold_a_balance_twice(
    db: None, database_url: str, tmp_path: Path
) -> None:
    ada = await patient_caller("ada@example.org")
    place = await location()
    bills = [await invoice(ada.patient_id, place.id, prices_minor=(BALANCE_MINOR,)) for _ in "abc"]
    ids = [global_id("Invoice", row.id) for row in bills]
    # Every invoice alone in full, and every pair in full: 6 requests, each twice.
    wanted = [[i] for i in ids] + [list(pair) for pair in itertools.combinations(ids, 2)]
    simulator = build_simulator_app(SimulatorConfig(api_key=API_KEY))

    async with serving(simulator, free_socket()) as simulator_url:
        environment = {
            "DATABASE_URL": database_url,
            "BILLING_ENV": "development",
            "STRIPE_SECRET_KEY": API_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": simulator_url,
        }
        async with (
            app_process(environment, tmp_path / "one.log") as one,
            app_process(environment, tmp_path / "two.log") as two,
            httpx.AsyncClient(timeout=30) as http,
        ):

            async def pay(url: str, invoice_ids: list[str], key: str) -> dict[str, Any]:
                body = {
                    "query": PAY_INVOICES,
                    "variables": {
                        "input": {
                            "allocations": [
                                {"invoiceId": invoice_id, "amount": "100.00"}
                                for invoice_id in invoice_ids
                            ],
                            "idempotencyKey": key,
                        }
                    },
                }
                response = await http.post(
                    f"{url}/graphql",
                    json=body,
                    headers={"Authorization": f"Bearer {ada.token}"},
                )
                assert response.status_code == 200, response.text
                payload: dict[str, Any] = response.json()["data"]["payInvoices"]
                return payload

            answers = await asyncio.gather(
                *(
                    pay(server.url, invoice_ids, f"{server.port}-{n}")
                    for n, invoice_ids in enumerate(wanted)
                    for server in (one, two)
                )
            )

    codes = {error["code"] for answer in answers for error in answer["errors"]}
    assert codes <= {"AMOUNT_EXCEEDS_BALANCE"}
    won = [answer for answer in answers if not answer["errors"]]
    assert won
    held: dict[int, int] = dict.fromkeys((row.id for row in bills), 0)
    async for allocation in PaymentAllocationRow.filter(status=AllocationStatus.RESERVED):
        held[allocation.invoice_id] += allocation.amount_minor
    for row in bills:
        fresh = await InvoiceRow.get(id=row.id)
        assert held[row.id] <= BALANCE_MINOR
        assert fresh.reserved_minor == held[row.id]
    pending = await PaymentRow.filter(status=PaymentStatus.PENDING).count()
    assert pending == len(won) == await PaymentRow.all().count()
    assert len(simulator.state.simulator.state.payment_intents) == len(won)
