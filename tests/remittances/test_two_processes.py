"""Two server processes on one database, the same 835 uploaded to both at once (twice
each): the file is stored once and every claim posts once; all four answers name it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from bench.x12_835 import Claim, build_835
from models.enums import LedgerEntryKind, Role
from models.invoices import Invoice as InvoiceRow
from models.ledger import LedgerEntry
from models.remittances import Remittance, RemittanceClaim
from tests.support.app_process import app_process
from tests.support.factories.invoices import invoice, location, patient_caller, staff_caller
from tests.support.graphql_client import REMITTANCE_CONTRACT, contract_operation

UPLOAD = contract_operation("UploadRemittance", REMITTANCE_CONTRACT)
CLAIMS = 60


async def test_one_file_uploaded_to_two_processes_at_once_posts_once(
    db: None, database_url: str, tmp_path: Path
) -> None:
    ada = await patient_caller("ada@example.org")
    clerk = await staff_caller(Role.BILLING_STAFF)
    place = await location()
    numbers = []
    for n in range(CLAIMS):
        row = await invoice(ada.patient_id, place.id, prices_minor=(20_000,), covered_minor=20_000)
        await InvoiceRow.filter(id=row.id).update(number=f"R-{n:04d}")
        numbers.append(f"R-{n:04d}")
    content = build_835(
        [Claim(number, 20_000, 15_000, adjustments=[("CO", "45", 5_000)]) for number in numbers],
        trace="RACE0001",
    )
    environment = {"DATABASE_URL": database_url, "BILLING_ENV": "development"}

    async with (
        app_process(environment, tmp_path / "one.log") as one,
        app_process(environment, tmp_path / "two.log") as two,
        httpx.AsyncClient(timeout=60) as http,
    ):

        async def upload(url: str) -> dict[str, Any]:
            response = await http.post(
                f"{url}/graphql",
                json={
                    "query": UPLOAD,
                    "variables": {"input": {"fileName": "race.835", "content": content}},
                },
                headers={"Authorization": f"Bearer {clerk.token}"},
            )
            assert response.status_code == 200, response.text
            payload: dict[str, Any] = response.json()["data"]["uploadRemittance"]
            return payload

        answers = await asyncio.gather(*(upload(s.url) for s in (one, two, one, two)))

    assert [answer["errors"] for answer in answers] == [[]] * 4
    assert len({answer["remittance"]["id"] for answer in answers}) == 1
    assert await Remittance.all().count() == 1
    assert await RemittanceClaim.filter(status="POSTED").count() == CLAIMS
    assert await LedgerEntry.filter(kind=LedgerEntryKind.INSURANCE_PAID).count() == CLAIMS
    assert await InvoiceRow.filter(status="PAID").count() == CLAIMS
