"""Who the load plays and what it sends: signed-in patients, the invoices they open and pay,
and the requests themselves, written to files that ``bench/replay.lua`` replays in wrk.

Sessions are opened with ``auth.sessions.create_session``, the function ``login`` calls
once the password matched: signing in a thousand patients through argon2 would take minutes
and is measured by the login scenario instead.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from auth.sessions import SessionScope, create_session
from bench.baseline_json import global_id
from bench.operations import contract_operation
from billing.money import to_decimal
from models.enums import InvoiceStatus
from models.invoices import Invoice
from models.users import User
from webhooks.stripe import sign

PAYABLE = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PENDING_INSURANCE)
PAGE_SIZE = 20
INVOICES_PER_PAYMENT = 3


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One POST: its path, headers and JSON body."""

    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Patient:
    patient_id: int
    email: str
    access_token: str


@dataclass
class Cast:
    """The signed-in patients the load plays, with an invoice of each to open and groups
    of their unpaid invoices to pay (each group used once)."""

    patients: list[Patient]
    detail_targets: list[tuple[Patient, int]]
    payment_groups: list[tuple[Patient, list[tuple[int, int]]]]


async def cast_patients(count: int, seed: int = 7) -> Cast:
    """Sign in ``count`` patients who have more than a page of invoices (needs Tortoise)."""
    with_pages = (
        await Invoice.annotate(invoices=Count("id"))
        .group_by("patient_id")
        .filter(invoices__gt=PAGE_SIZE)
        .order_by("patient_id")
        .limit(count)
        .values_list("patient_id", flat=True)
    )
    patient_ids = [int(str(patient_id)) for patient_id in with_pages]
    users = await User.filter(patient_id__in=patient_ids).values_list("id", "patient_id", "email")
    now = datetime.now(UTC)
    patients: list[Patient] = []
    async with in_transaction():
        for user_id, patient_id, email in sorted(users, key=lambda user: user[1]):
            issued = await create_session(user_id, scope=SessionScope.FULL, now=now)
            patients.append(Patient(patient_id, email, issued.access_token))
    by_id = {patient.patient_id: patient for patient in patients}
    rng = random.Random(seed)  # noqa: S311 (a reproducible choice, not a secret)
    invoices: dict[int, list[int]] = defaultdict(list)
    for invoice_id, patient_id in await Invoice.filter(patient_id__in=patient_ids).values_list(
        "id", "patient_id"
    ):
        invoices[patient_id].append(invoice_id)
    targets = [(by_id[pid], rng.choice(sorted(invoices[pid]))) for pid in sorted(invoices)]
    return Cast(patients, targets, await _payment_groups(by_id))


async def _payment_groups(
    by_id: dict[int, Patient],
) -> list[tuple[Patient, list[tuple[int, int]]]]:
    unpaid = (
        await Invoice.filter(
            patient_id__in=list(by_id), status__in=list(PAYABLE), balance_minor__gt=0
        )
        .filter(reserved_minor=0)
        .order_by("patient_id", "id")
        .values_list("id", "patient_id", "balance_minor")
    )
    per_patient: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for invoice_id, patient_id, balance in unpaid:
        per_patient[patient_id].append((invoice_id, balance))
    per_patient_groups = [
        [
            (by_id[patient_id], owed[start : start + INVOICES_PER_PAYMENT])
            for start in range(0, len(owed) - INVOICES_PER_PAYMENT + 1, INVOICES_PER_PAYMENT)
        ]
        for patient_id, owed in per_patient.items()
    ]
    # Round-robin over patients, so consecutive payments come from different people.
    rounds = max((len(groups) for groups in per_patient_groups), default=0)
    return [
        groups[turn]
        for turn in range(rounds)
        for groups in per_patient_groups
        if turn < len(groups)
    ]


def graphql_request(operation: str, variables: dict[str, Any], token: str | None) -> HttpRequest:
    headers = (("Authorization", f"Bearer {token}"),) if token else ()
    body = {"query": contract_operation(operation), "operationName": operation}
    return HttpRequest("/graphql", headers, orjson.dumps({**body, "variables": variables}))


def plain_request(path: str, content: dict[str, Any], token: str | None) -> HttpRequest:
    headers = (("Authorization", f"Bearer {token}"),) if token else ()
    return HttpRequest(path, headers, orjson.dumps(content))


def my_invoices_requests(
    cast: Cast, *, baseline: bool, first: int = PAGE_SIZE
) -> list[HttpRequest]:
    if baseline:
        return [
            plain_request("/my-invoices", {"first": first}, p.access_token) for p in cast.patients
        ]
    return [graphql_request("MyInvoices", {"first": first}, p.access_token) for p in cast.patients]


def invoice_detail_requests(cast: Cast, *, baseline: bool) -> list[HttpRequest]:
    requests = []
    for patient, invoice_id in cast.detail_targets:
        variables = {"id": global_id("Invoice", invoice_id)}
        if baseline:
            requests.append(plain_request("/invoice-detail", variables, patient.access_token))
        else:
            requests.append(graphql_request("InvoiceDetail", variables, patient.access_token))
    return requests


def pay_invoices_requests(cast: Cast, run_tag: str) -> list[HttpRequest]:
    """One PayInvoices per group of unpaid invoices, each with its own idempotency key,
    paying each invoice's balance with a new card (the app confirms it with Stripe's SDK)."""
    requests = []
    for number, (patient, invoices) in enumerate(cast.payment_groups):
        allocations = [
            {"invoiceId": global_id("Invoice", invoice_id), "amount": str(to_decimal(owed, "USD"))}
            for invoice_id, owed in invoices
        ]
        payment = {
            "allocations": allocations,
            "paymentMethodId": None,
            "useCreditBalance": False,
            "idempotencyKey": f"bench-{run_tag}-{number}",
        }
        requests.append(graphql_request("PayInvoices", {"input": payment}, patient.access_token))
    return requests


def login_requests(cast: Cast, password: str, *, baseline: bool) -> list[HttpRequest]:
    credentials = [{"email": p.email, "password": password} for p in cast.patients]
    if baseline:
        return [plain_request("/login", c, None) for c in credentials]
    return [graphql_request("Login", c, None) for c in credentials]


def stripe_event_requests(
    count: int, event_prefix: str, payment_intents: list[str], secret: str
) -> list[HttpRequest]:
    """``count`` signed ``payment_intent.succeeded`` events with ids of their own, signed
    now (valid for five minutes) exactly as Stripe signs them."""
    now = int(time.time())
    requests = []
    for number in range(count):
        intent = payment_intents[number % len(payment_intents)]
        event = {
            "id": f"evt_{event_prefix}_{number:07d}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": now,
            "livemode": False,
            "data": {
                "object": {
                    "id": intent,
                    "object": "payment_intent",
                    "amount": 10000,
                    "currency": "usd",
                    "status": "succeeded",
                    "metadata": {},
                }
            },
        }
        body = orjson.dumps(event)
        signature = sign(body, secret.encode(), now)
        requests.append(HttpRequest("/webhooks/stripe", (("Stripe-Signature", signature),), body))
    return requests


def write_requests(path: Path, requests: Iterable[HttpRequest]) -> int:
    """One request per line, tab-separated: path, header name and value pairs, body."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("wb") as out:
        for line in _lines(requests):
            out.write(line)
            written += 1
    return written


def _lines(requests: Iterable[HttpRequest]) -> Iterator[bytes]:
    for request in requests:
        fields = [request.path.encode()]
        for name, value in request.headers:
            fields += [name.encode(), value.encode()]
        fields.append(request.body)
        if any(b"\t" in field or b"\n" in field for field in fields):
            raise ValueError("a request field holds a tab or a newline")
        yield b"\t".join(fields) + b"\n"
