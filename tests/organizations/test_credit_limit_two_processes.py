"""Two server processes on one database, invoices to one organization fired at both at
once: the credit limit holds, however the requests interleave."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from models.enums import Role
from models.invoices import Invoice as InvoiceRow
from tests.support.app_process import app_process
from tests.support.factories.invoices import global_id, location, staff_caller
from tests.support.factories.organizations import organization
from tests.support.graphql_client import ORGANIZATIONS_CONTRACT, contract_operation

CREATE_INVOICE = contract_operation("CreateOrganizationInvoice", ORGANIZATIONS_CONTRACT)
REQUESTS = 12


async def test_invoices_racing_on_two_processes_never_pass_the_credit_limit(
    db: None, database_url: str, tmp_path: Path
) -> None:
    # given a 1,000.00 limit and twelve invoices of 300.00: only three fit
    site = await location("Supply Depot")
    org = await organization(credit_limit="1000.00")
    staff = await staff_caller(Role.BILLING_STAFF)
    variables = {
        "input": {
            "organizationId": global_id("Organization", org.id),
            "locationId": global_id("Location", site.id),
            "purchaseOrderNumber": "PO-RACE",
            "currency": "USD",
            "lines": [{"description": "Gauze", "code": "SUP", "quantity": 1, "unitPrice": "300"}],
        }
    }
    environment = {"DATABASE_URL": database_url, "BILLING_ENV": "development"}

    async with (
        app_process(environment, tmp_path / "one.log") as one,
        app_process(environment, tmp_path / "two.log") as two,
        httpx.AsyncClient(timeout=60) as http,
    ):

        async def create(url: str) -> dict[str, Any]:
            response = await http.post(
                f"{url}/graphql",
                json={"query": CREATE_INVOICE, "variables": variables},
                headers={"authorization": f"Bearer {staff.token}"},
            )
            assert response.status_code == 200, response.text
            payload: dict[str, Any] = response.json()["data"]["createOrganizationInvoice"]
            return payload

        # when both servers take six at once
        answers = await asyncio.gather(
            *(create(server.url) for server in (one, two) for _ in range(REQUESTS // 2))
        )

    # then three are issued and every other one is refused for the limit
    codes = sorted(
        "ISSUED" if answer["invoice"] else answer["errors"][0]["code"] for answer in answers
    )
    assert codes == ["CREDIT_LIMIT_EXCEEDED"] * 9 + ["ISSUED"] * 3
    rows = await InvoiceRow.filter(organization_id=org.id)
    assert sum(row.total_minor for row in rows) == 90_000
