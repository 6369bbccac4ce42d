"""The attack on enrollment codes, replayed: parallel ``activatePatientAccount`` calls to a
real ``billing serve`` process (on the suite's database, SQLite or PostgreSQL). Before the
fix, 60 parallel calls with one code got 21 dates of birth checked against a promised 5
per code and 5 per address per 15 minutes (``tests/accounts/test_enrollment.py`` has the
per-code limit from many addresses)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from auth.enrollment import MAX_WRONG_BIRTH_DATES_PER_CODE, issue_enrollment_code
from auth.rate_limit import ENROLLMENT_CODE_LIMIT, attempts_used
from billing.patients.rules import create_patient
from config.settings import Settings
from models.users import EnrollmentCode, User
from tests.support.app_process import app_process
from tests.support.factories.accounts import api_cipher
from tests.support.graphql_client import contract_operation

ACTIVATE = contract_operation("ActivatePatientAccount")
BORN = date(1980, 2, 3)
PASSWORD = "violet kettle under the stairs"


async def test_sixty_parallel_activations_check_no_more_than_five_dates_of_birth(
    db: None, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    # given a patient and the code staff gave them
    patient = await create_patient(api_cipher(settings), "Ada", "Lovelace", BORN, None, None, None)
    issued = await issue_enrollment_code(
        patient.id, secret_key=settings.secret_key.reveal(), now=datetime.now(UTC)
    )
    guesses = [date(1950 + n // 12, n % 12 + 1, 1) for n in range(59)] + [BORN]

    # when 60 activations with the code and a guessed date of birth arrive at once, the
    # right date among them
    environment = {"DATABASE_URL": database_url, "BILLING_ENV": "development"}
    async with (
        app_process(environment, tmp_path / "server.log") as server,
        httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=100)) as http,
    ):

        async def activate(n: int, born: date) -> dict[str, Any]:
            variables = {
                "input": {
                    "enrollmentCode": issued.code,
                    "dateOfBirth": born.isoformat(),
                    "email": f"ada{n}@example.org",
                    "password": PASSWORD,
                }
            }
            response = await http.post(
                f"{server.url}/graphql", json={"query": ACTIVATE, "variables": variables}
            )
            assert response.status_code == 200, response.text
            payload: dict[str, Any] = response.json()["data"]["activatePatientAccount"]
            return payload

        payloads = await asyncio.gather(*(activate(n, b) for n, b in enumerate(guesses)))

    # then no more than five wrong dates were evaluated, from that one address, and the code
    # was tried no more than five times
    codes = [p["errors"][0]["code"] if p["errors"] else "ACTIVATED" for p in payloads]
    evaluated = [c for c in codes if c != "RATE_LIMITED"]
    assert set(evaluated) <= {"INVALID_ENROLLMENT_CODE", "ACTIVATED"}
    # The limit is on failures: the right date, if evaluated, gives its reservation back
    # (after it used the code up), so at most five wrong dates and the right one.
    assert codes.count("INVALID_ENROLLMENT_CODE") <= ENROLLMENT_CODE_LIMIT.max_attempts
    assert codes.count("ACTIVATED") <= 1
    assert codes.count("RATE_LIMITED") >= len(guesses) - ENROLLMENT_CODE_LIMIT.max_attempts - 1
    row = await EnrollmentCode.get(id=(await EnrollmentCode.get()).id)
    assert row.failed_attempts <= MAX_WRONG_BIRTH_DATES_PER_CODE
    used = await attempts_used(ENROLLMENT_CODE_LIMIT, "127.0.0.1", datetime.now(UTC))
    assert used <= ENROLLMENT_CODE_LIMIT.max_attempts
    # and an account exists only if the right date was among those evaluated
    assert await User.filter(patient_id=patient.id).count() == codes.count("ACTIVATED")
    if codes[-1] != "ACTIVATED":
        assert row.used_at is None
