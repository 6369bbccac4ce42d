"""Paper statements: a patient asks for their own invoices by post (once a day per set of
invoices, however often or concurrently they ask), and staff work through a queue of the
requests, oldest first, marking each one mailed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from models.audit import AuditEvent
from models.enums import Role
from models.statements import PaperStatementInvoice, PaperStatementRequest
from tests.support.factories.invoices import (
    Caller,
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.graphql_client import contract_operation, gql

REQUEST = contract_operation("RequestPaperStatement")
QUEUE = """
query Queue($first: Int, $after: String, $status: PaperStatementStatus) {
  paperStatementQueue(first: $first, after: $after, status: $status) {
    edges {
      node {
        id status createdAt mailedAt
        invoices { id number }
        patient { id }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
MARK_MAILED = """
mutation Mark($id: ID!) {
  markPaperStatementMailed(id: $id) {
    request { id status mailedAt }
    errors { code field message }
  }
}
"""


@dataclass(frozen=True)
class Paper:
    ada: PatientCaller
    bob: PatientCaller
    staff: Caller
    ada_invoices: list[str]
    bob_invoice: str


@pytest.fixture
async def paper(client: httpx.AsyncClient) -> Paper:
    site = await location()
    ada = await patient_caller("ada@example.org")
    bob = await patient_caller("bob@example.org")
    first = await invoice(ada.patient_id, site.id)
    second = await invoice(ada.patient_id, site.id, prices_minor=(2500,))
    bobs = await invoice(bob.patient_id, site.id)
    staff = await staff_caller(Role.BILLING_STAFF)
    return Paper(
        ada,
        bob,
        staff,
        [global_id("Invoice", first.id), global_id("Invoice", second.id)],
        global_id("Invoice", bobs.id),
    )


async def _request(client: httpx.AsyncClient, ids: list[str], token: str) -> dict[str, Any]:
    body = await gql(client, REQUEST, {"invoiceIds": ids}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["requestPaperStatement"]
    return payload


async def test_asking_twice_the_same_day_returns_the_same_request(
    client: httpx.AsyncClient, paper: Paper
) -> None:
    first = await _request(client, paper.ada_invoices, paper.ada.token)
    again = await _request(client, list(reversed(paper.ada_invoices)), paper.ada.token)

    assert first["errors"] == again["errors"] == []
    assert first["request"]["status"] == "REQUESTED"
    assert again["request"] == first["request"]
    assert await PaperStatementRequest.all().count() == 1
    assert await PaperStatementInvoice.all().count() == 2
    assert await AuditEvent.filter(action="statement.paper_request").count() == 2


async def test_concurrent_requests_make_one_row(client: httpx.AsyncClient, paper: Paper) -> None:
    payloads = await asyncio.gather(
        *(_request(client, paper.ada_invoices, paper.ada.token) for _ in range(6))
    )

    assert all(payload["errors"] == [] for payload in payloads)
    assert len({payload["request"]["id"] for payload in payloads}) == 1
    assert await PaperStatementRequest.all().count() == 1
    assert await PaperStatementInvoice.all().count() == 2


async def test_another_set_of_invoices_is_another_request(
    client: httpx.AsyncClient, paper: Paper
) -> None:
    both = await _request(client, paper.ada_invoices, paper.ada.token)
    one = await _request(client, paper.ada_invoices[:1], paper.ada.token)

    assert both["request"]["id"] != one["request"]["id"]


@pytest.mark.parametrize("bad", ["foreign", "missing", "wrong type"])
async def test_a_foreign_or_missing_invoice_is_not_found_and_nothing_is_recorded(
    client: httpx.AsyncClient, paper: Paper, bad: str
) -> None:
    other = {
        "foreign": paper.bob_invoice,
        "missing": global_id("Invoice", 987654321),
        "wrong type": global_id("Payment", 1),
    }[bad]

    payload = await _request(client, [*paper.ada_invoices, other], paper.ada.token)

    assert payload["request"] is None
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [
        ("NOT_FOUND", "invoiceIds")
    ]
    assert await PaperStatementRequest.all().count() == 0
    assert await PaperStatementInvoice.all().count() == 0


async def test_staff_work_through_the_queue_oldest_first_and_mark_requests_mailed(
    client: httpx.AsyncClient, paper: Paper
) -> None:
    older = (await _request(client, paper.ada_invoices, paper.ada.token))["request"]
    newer = (await _request(client, [paper.bob_invoice], paper.bob.token))["request"]

    page = await gql(client, QUEUE, {"first": 1}, token=paper.staff.token)
    connection = page["data"]["paperStatementQueue"]
    after = connection["pageInfo"]["endCursor"]
    rest = await gql(client, QUEUE, {"first": 5, "after": after}, token=paper.staff.token)

    [first_node] = [edge["node"] for edge in connection["edges"]]
    assert first_node["id"] == older["id"]
    assert connection["pageInfo"]["hasNextPage"] is True
    assert {invoice["id"] for invoice in first_node["invoices"]} == set(paper.ada_invoices)
    assert first_node["patient"]["id"] == global_id("Patient", paper.ada.patient_id)
    assert first_node["mailedAt"] is None
    rest_ids = [edge["node"]["id"] for edge in rest["data"]["paperStatementQueue"]["edges"]]
    assert rest_ids == [newer["id"]]

    marked = await gql(client, MARK_MAILED, {"id": older["id"]}, token=paper.staff.token)

    payload = marked["data"]["markPaperStatementMailed"]
    assert payload["errors"] == []
    assert payload["request"]["status"] == "MAILED"
    assert payload["request"]["mailedAt"] is not None
    waiting = await gql(client, QUEUE, {"status": "REQUESTED"}, token=paper.staff.token)
    mailed = await gql(client, QUEUE, {"status": "MAILED"}, token=paper.staff.token)
    assert [e["node"]["id"] for e in waiting["data"]["paperStatementQueue"]["edges"]] == [
        newer["id"]
    ]
    assert [e["node"]["id"] for e in mailed["data"]["paperStatementQueue"]["edges"]] == [
        older["id"]
    ]
    [audit] = await AuditEvent.filter(action="statement.paper_mailed")
    assert audit.actor_id == paper.staff.user_id
    assert audit.patient_id == paper.ada.patient_id
    assert await AuditEvent.filter(
        action="paperstatementrequest.read", actor_id=paper.staff.user_id
    ).exists()


async def test_marking_an_unknown_request_is_not_found(
    client: httpx.AsyncClient, paper: Paper
) -> None:
    body = await gql(
        client,
        MARK_MAILED,
        {"id": global_id("PaperStatementRequest", 424242)},
        token=paper.staff.token,
    )

    errors = body["data"]["markPaperStatementMailed"]["errors"]
    assert [error["code"] for error in errors] == ["NOT_FOUND"]


async def test_patients_can_neither_see_the_queue_nor_mark_requests_mailed(
    client: httpx.AsyncClient, paper: Paper
) -> None:
    request = (await _request(client, paper.ada_invoices, paper.ada.token))["request"]

    queue = await gql(client, QUEUE, {}, token=paper.ada.token)
    marked = await gql(client, MARK_MAILED, {"id": request["id"]}, token=paper.ada.token)

    assert queue["data"] is None
    assert [error["extensions"]["code"] for error in queue["errors"]] == ["FORBIDDEN"]
    assert [error["extensions"]["code"] for error in marked["errors"]] == ["FORBIDDEN"]
    assert (await PaperStatementRequest.get(dedupe_key__isnull=False)).status == "REQUESTED"
