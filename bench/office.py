"""The billing office's scenarios: a staff member searching patients by last name and date
of birth, and the staff invoice list (first page, one filter). Who plays them, the requests
for the API and for the baseline, and the JSON the API answers, built by hand from the same
rows for the baseline (``bench.baseline`` serves it)."""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from auth.sessions import SessionScope, create_session
from bench.baseline_json import global_id, iso, money
from bench.dataset import STAFF_EMAIL
from bench.workload import HttpRequest, plain_request
from billing.patients.rules import read_patient_profile
from billing.phi_cipher import PhiCipher
from models.patients import Patient
from models.users import User

# The one filter of the staff list scenario, and its page.
STAFF_FILTER: dict[str, Any] = {"status": ["OPEN"]}
STAFF_PAGE = 20
_OFFICE_CONTRACT_OPERATIONS = ("FindPatients", "StaffInvoices")
PATIENT_ORDER = "patients:ID:ASC"
INVOICE_ORDER = "invoices:ISSUED_AT:DESC"


@dataclass(frozen=True, slots=True)
class Desk:
    """A signed-in billing clerk and the patients they look up (last name, birth date)."""

    access_token: str
    lookups: list[tuple[str, date]]


async def office_desk(cipher: PhiCipher, count: int, seed: int = 11) -> Desk:
    """A session for the bench's staff user and ``count`` patients to search for."""
    staff = await User.get(email=STAFF_EMAIL)
    issued = await create_session(staff.id, scope=SessionScope.FULL, now=datetime.now(UTC))
    total = await Patient.all().count()
    rng = random.Random(seed)  # noqa: S311 (a reproducible choice, not a secret)
    ids = sorted(rng.sample(range(1, total + 1), min(count, total)))
    lookups = []
    for patient in await Patient.filter(id__in=ids).order_by("id"):
        profile = read_patient_profile(cipher, patient)
        lookups.append((profile.last_name, profile.date_of_birth))
    return Desk(issued.access_token, lookups)


def _graphql(operation: str, variables: dict[str, Any], token: str) -> HttpRequest:
    from bench.operations import office_operation

    body = {"query": office_operation(operation), "operationName": operation}
    return HttpRequest(
        "/graphql",
        (("Authorization", f"Bearer {token}"),),
        orjson.dumps({**body, "variables": variables}),
    )


def patient_search_requests(desk: Desk, *, baseline: bool) -> list[HttpRequest]:
    requests = []
    for last_name, born in desk.lookups:
        search = {"lastName": last_name, "dateOfBirth": born.isoformat()}
        if baseline:
            requests.append(plain_request("/patient-search", search, desk.access_token))
        else:
            requests.append(_graphql("FindPatients", {"search": search}, desk.access_token))
    return requests


def staff_invoices_requests(desk: Desk, *, baseline: bool, copies: int = 100) -> list[HttpRequest]:
    variables = {"first": STAFF_PAGE, "filter": STAFF_FILTER}
    if baseline:
        return [plain_request("/staff-invoices", variables, desk.access_token)] * copies
    return [_graphql("StaffInvoices", variables, desk.access_token)] * copies


def keyset_cursor(order: str, value: int | str, row_id: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([order, value, row_id])).decode()


def display_name(cipher: PhiCipher, row: dict[str, Any]) -> str:
    """``Jane D.``, from a patient row's ciphertext columns, as the API shows it."""
    from billing.patients.rules import FIRST_NAME, LAST_NAME

    first = cipher.decrypt(row["first_name_ct"], FIRST_NAME)
    last = cipher.decrypt(row["last_name_ct"], LAST_NAME)
    initial = last[:1].upper()
    return f"{first} {initial}." if initial else first


def patient_search_json(
    cipher: PhiCipher, rows: list[dict[str, Any]], has_next_page: bool, total: int
) -> dict[str, Any]:
    """``patients`` as FindPatients selects it."""
    from billing.patients.rules import DATE_OF_BIRTH

    edges = [
        {
            "node": {
                "id": global_id("Patient", row["id"]),
                "accountNumber": row["account_number"],
                "displayName": display_name(cipher, row),
                "dateOfBirth": cipher.decrypt(row["date_of_birth_ct"], DATE_OF_BIRTH),
            }
        }
        for row in rows
    ]
    end = keyset_cursor(PATIENT_ORDER, rows[-1]["id"], rows[-1]["id"]) if rows else None
    return {
        "data": {
            "patients": {
                "totalCount": total,
                "pageInfo": {"hasNextPage": has_next_page, "endCursor": end},
                "edges": edges,
            }
        }
    }


def staff_invoices_json(
    cipher: PhiCipher,
    rows: list[dict[str, Any]],
    has_next_page: bool,
    total: int,
    patients: dict[int, dict[str, Any]],
    locations: dict[int, str],
    zones: dict[int, str],
) -> dict[str, Any]:
    """``invoices`` as StaffInvoices selects it."""
    today_in: dict[str, date] = {}
    edges = []
    for row in rows:
        issued_at = iso(row["issued_at"]) or ""
        currency = row["currency"]
        zone = zones[row["patient_id"]]
        today = today_in.setdefault(zone, datetime.now(ZoneInfo(zone)).date())
        due = (
            row["due_at"] if isinstance(row["due_at"], date) else date.fromisoformat(row["due_at"])
        )
        overdue = due < today and row["balance_minor"] > 0 and row["status"] != "VOID"
        edges.append(
            {
                "cursor": keyset_cursor(INVOICE_ORDER, issued_at, row["id"]),
                "node": {
                    "id": global_id("Invoice", row["id"]),
                    "number": row["number"],
                    "status": row["status"],
                    "patient": {
                        "id": global_id("Patient", row["patient_id"]),
                        "displayName": display_name(cipher, patients[row["patient_id"]]),
                    },
                    "location": {
                        "id": global_id("Location", row["location_id"]),
                        "name": locations[row["location_id"]],
                    },
                    "issuedAt": issued_at,
                    "dueAt": iso(row["due_at"]),
                    "total": money(row["total_minor"], currency),
                    "balance": money(row["balance_minor"], currency),
                    "insurancePending": money(row["insurance_pending_minor"], currency),
                    "overdue": overdue,
                    "disputed": bool(row["disputed"]),
                },
            }
        )
    return {
        "data": {
            "invoices": {
                "totalCount": total,
                "pageInfo": {
                    "hasNextPage": has_next_page,
                    "endCursor": edges[-1]["cursor"] if edges else None,
                },
                "edges": edges,
            }
        }
    }
