"""The baseline's billing-office endpoints: the same SQL the API sends for FindPatients and
StaffInvoices, written by hand, the same access-log records, the same JSON, no GraphQL.

- ``POST /patient-search`` ``{"lastName", "dateOfBirth"}``: the page and the count over
  the blind indexes (keyed hashes under every key, as the API computes them).
- ``POST /staff-invoices`` ``{"first", "filter": {"status": [...]}}``: the page, the count,
  the page's patients, locations and patients' time zones (the API's loaders' queries).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.connection import get_connection

from bench.office import patient_search_json, staff_invoices_json
from billing.audit.buffer import AuditBuffer
from billing.patients.purposes import DATE_OF_BIRTH, LAST_NAME
from billing.patients.search import SEARCH_ACTION
from billing.patients.search_keys import name_candidates, value_candidates
from billing.phi_cipher import PhiCipher
from models.enums import AuditOutcome

Caller = Any
CallerOf = Callable[[Request], Awaitable[Caller | None]]
AuditOf = Callable[[Request, Caller], AuditBuffer]

_PATIENT_COLUMNS = "id, account_number, first_name_ct, last_name_ct, date_of_birth_ct"
_INVOICE_COLUMNS = (
    "id, patient_id, location_id, number, status, provider_name, service_date, issued_at, "
    "due_at, currency, total_minor, balance_minor, insurance_pending_minor, disputed"
)


def office_routes(cipher: PhiCipher, caller_of: CallerOf, audit_of: AuditOf) -> list[Route]:
    async def patient_search(request: Request) -> Response:
        caller = await caller_of(request)
        if caller is None:
            return _json({"errors": [{"message": "sign in"}]}, 401)
        body = orjson.loads(await request.body())
        connection = get_connection("default")
        marks = _Marks(connection)
        last = name_candidates(cipher, body["lastName"], LAST_NAME)
        born = value_candidates(
            cipher, date.fromisoformat(body["dateOfBirth"]).isoformat(), DATE_OF_BIRTH
        )
        where = (
            f"last_name_lookup IN ({marks.many(last)}) "
            f"AND date_of_birth_lookup IN ({marks.many(born)})"
        )
        limit = 20
        rows = await connection.execute_query_dict(
            f"SELECT {_PATIENT_COLUMNS} FROM patient WHERE {where} "  # noqa: S608
            f"ORDER BY id LIMIT {marks.one()}",
            [*last, *born, limit + 1],
        )
        count_marks = _Marks(connection)
        counted = await connection.execute_query_dict(
            "SELECT COUNT(*) AS n FROM patient WHERE "  # noqa: S608
            f"last_name_lookup IN ({count_marks.many(last)}) "
            f"AND date_of_birth_lookup IN ({count_marks.many(born)})",
            [*last, *born],
        )
        audit = audit_of(request, caller)
        audit.record(
            SEARCH_ACTION,
            AuditOutcome.SUCCESS,
            resource_type="Patient",
            reference=f"by:last_name,date_of_birth;found:{len(rows[:limit])}",
        )
        for row in rows[:limit]:
            audit.record_read("Patient", row["id"], row["id"])
        await audit.flush()
        return _json(
            patient_search_json(cipher, rows[:limit], len(rows) > limit, int(counted[0]["n"]))
        )

    async def staff_invoices(request: Request) -> Response:
        caller = await caller_of(request)
        if caller is None:
            return _json({"errors": [{"message": "sign in"}]}, 401)
        body = orjson.loads(await request.body())
        limit = int(body.get("first") or 20)
        statuses = list(body["filter"]["status"])
        connection = get_connection("default")
        marks = _Marks(connection)
        rows = await connection.execute_query_dict(
            f"SELECT {_INVOICE_COLUMNS} FROM invoice WHERE status IN ({marks.many(statuses)}) "  # noqa: S608
            f"ORDER BY issued_at DESC, id DESC LIMIT {marks.one()}",
            [*statuses, limit + 1],
        )
        page = rows[:limit]
        count_marks = _Marks(connection)
        counted = await connection.execute_query_dict(
            f"SELECT COUNT(*) AS n FROM invoice WHERE status IN ({count_marks.many(statuses)})",  # noqa: S608
            statuses,
        )
        patient_ids = sorted({row["patient_id"] for row in page})
        location_ids = sorted({row["location_id"] for row in page})
        patients = await _by_id(
            connection, "patient", "id, first_name_ct, last_name_ct", patient_ids
        )
        locations = await _by_id(connection, "location", "id, name", location_ids)
        zones = await _by_id(connection, "patient", "id, timezone", patient_ids)
        audit = audit_of(request, caller)
        for row in page:
            audit.record_read("Invoice", row["id"], row["patient_id"])
            audit.record_read("Patient", row["patient_id"], row["patient_id"])
        await audit.flush()
        return _json(
            staff_invoices_json(
                cipher,
                page,
                len(rows) > limit,
                int(counted[0]["n"]),
                patients,
                {key: str(value["name"]) for key, value in locations.items()},
                {key: str(value["timezone"]) for key, value in zones.items()},
            )
        )

    return [
        Route("/patient-search", patient_search, methods=["POST"]),
        Route("/staff-invoices", staff_invoices, methods=["POST"]),
    ]


class _Marks:
    """Placeholders in order: ``$1, $2...`` for PostgreSQL, ``?`` for SQLite."""

    def __init__(self, connection: Any) -> None:
        self._postgres = connection.capabilities.dialect == "postgres"
        self._next = 0

    def one(self) -> str:
        self._next += 1
        return f"${self._next}" if self._postgres else "?"

    def many(self, values: list[Any]) -> str:
        return ", ".join(self.one() for _ in values)


async def _by_id(
    connection: Any, table: str, columns: str, ids: list[int]
) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    marks = _Marks(connection)
    rows = await connection.execute_query_dict(
        f"SELECT {columns} FROM {table} WHERE id IN ({marks.many(ids)})",  # noqa: S608
        ids,
    )
    return {int(row["id"]): row for row in rows}


def _json(content: object, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")
