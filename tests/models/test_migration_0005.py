"""Migration 0005 gives every existing patient an account number, and ``billing migrate``
gives them their blind indexes, so patients stored before the billing office can be found."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.paths import REPOSITORY

_SCRIPT = textwrap.dedent(
    """
    import asyncio, base64, json, os, sys
    from datetime import date
    from tortoise import Tortoise, context
    from tortoise.connection import get_connection
    from tortoise.migrations.api.migrate import migrate
    from api.database import tortoise_config
    from billing.patients.phi_rotation import fill_missing_lookups
    from billing.patients.rules import DATE_OF_BIRTH, FIRST_NAME, LAST_NAME
    from billing.patients.search import PatientSearch, search_condition
    from billing.phi_cipher import PhiCipher
    from models.patients import Patient

    async def main():
        config = tortoise_config(sys.argv[1])
        cipher = PhiCipher.from_setting("k:" + base64.b64encode(b"k" * 32).decode())
        await migrate(config=config, target="models.0004_plans")
        await Tortoise.close_connections()
        context._global_context = None
        await Tortoise.init(config=config, _enable_global_fallback=True)
        connection = get_connection("default")
        for first, last in (("Ada", "Lovelace"), ("Grace", "Hopper"), ("Ada", "Byron")):
            await connection.execute_query(
                "INSERT INTO patient (first_name_ct, last_name_ct, date_of_birth_ct, timezone,"
                " sms_consent, created_at) VALUES ('"
                + cipher.encrypt(first, FIRST_NAME) + "', '" + cipher.encrypt(last, LAST_NAME)
                + "', '" + cipher.encrypt("1980-02-03", DATE_OF_BIRTH)
                + "', 'UTC', false, '2025-01-01 00:00:00+00:00')"
            )
        await Tortoise.close_connections()
        context._global_context = None
        await migrate(config=config)
        await Tortoise.close_connections()
        context._global_context = None
        await Tortoise.init(config=config, _enable_global_fallback=True)
        filled = await fill_missing_lookups(cipher)
        again = await fill_missing_lookups(cipher)
        numbers = [p.account_number for p in await Patient.all().order_by("id")]
        search = PatientSearch(first_name="ada", date_of_birth=date(1980, 2, 3))
        found = await Patient.filter(search_condition(cipher, search)).count()
        print(json.dumps({"numbers": numbers, "filled": filled, "again": again, "found": found}))
        await Tortoise.close_connections()
        sys.stdout.flush()
        os._exit(0)

    asyncio.run(main())
    """
)


def test_existing_patients_get_account_numbers_and_search_indexes(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _SCRIPT, f"sqlite://{tmp_path / 'before-0005.sqlite3'}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPOSITORY,
        timeout=300,
    )

    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    numbers = outcome["numbers"]
    assert len(numbers) == len(set(numbers)) == 3
    assert all(len(number) == 11 and number[4] == number[9] == "-" for number in numbers)
    assert (outcome["filled"], outcome["again"], outcome["found"]) == (3, 0, 2)
