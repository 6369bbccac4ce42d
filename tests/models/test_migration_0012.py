"""Migration 0012 makes an invoice's and a payment's patient optional (organizations' bills
name none). On SQLite that rebuilds both tables: nothing pointing at them may be lost, and
their indexes and unique constraints must survive the rebuild."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.paths import REPOSITORY

_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from tortoise import Tortoise, context
    from tortoise.connection import get_connection
    from tortoise.migrations.api.migrate import migrate
    from api.database import tortoise_config

    ROWS = [
        "INSERT INTO location (name, timezone, address, phone, accent_color,"
        " last_invoice_number, created_at) VALUES ('North', 'UTC', '', '', '#000000', 1,"
        " '2025-01-01 00:00:00+00:00')",
        "INSERT INTO patient (first_name_ct, last_name_ct, date_of_birth_ct, timezone,"
        " sms_consent, created_at, account_number) VALUES ('x', 'y', 'z', 'UTC', false,"
        " '2025-01-01 00:00:00+00:00', '1234-5678-9')",
        "INSERT INTO invoice (patient_id, location_id, number, provider_name, service_date,"
        " issued_at, due_at, currency, status, total_minor, balance_minor,"
        " insurance_pending_minor, reserved_minor, disputed, created_at, updated_at)"
        " VALUES (1, 1, 'L1-000001', 'Dr. A', '2025-01-01', '2025-01-01', '2025-01-31',"
        " 'USD', 'OPEN', 500, 500, 0, 0, false, '2025-01-01 00:00:00+00:00',"
        " '2025-01-01 00:00:00+00:00')",
        "INSERT INTO invoice_line (invoice_id, position, code, description, quantity,"
        " unit_price_minor, amount_minor, reorderable) VALUES (1, 0, 'A1', 'Item', 1, 500,"
        " 500, false)",
        "INSERT INTO payment (patient_id, channel, status, amount_minor,"
        " credit_applied_minor, refunded_minor, currency, idempotency_key, disputed,"
        " review_note, created_at, updated_at) VALUES (1, 'CARD', 'PENDING', 500, 0, 0,"
        " 'USD', 'key-1', false, '', '2025-01-01 00:00:00+00:00',"
        " '2025-01-01 00:00:00+00:00')",
        "INSERT INTO payment_allocation (payment_id, invoice_id, amount_minor, status)"
        " VALUES (1, 1, 500, 'RESERVED')",
    ]

    async def refused(connection, statement):
        try:
            await connection.execute_query(statement)
        except Exception:
            return True
        return False

    async def main():
        config = tortoise_config(sys.argv[1])
        await migrate(config=config, target="models.0008_billing_office")
        await Tortoise.close_connections()
        context._global_context = None
        await Tortoise.init(config=config, _enable_global_fallback=True)
        connection = get_connection("default")
        for statement in ROWS:
            await connection.execute_query(statement)
        await Tortoise.close_connections()
        context._global_context = None
        await migrate(config=config)
        await Tortoise.close_connections()
        context._global_context = None
        await Tortoise.init(config=config, _enable_global_fallback=True)
        connection = get_connection("default")
        counts = {}
        for table in ("invoice", "invoice_line", "payment", "payment_allocation"):
            rows = await connection.execute_query_dict(f"SELECT COUNT(*) AS n FROM {table}")
            counts[table] = rows[0]["n"]
        duplicate_number = await refused(connection, ROWS[2])
        duplicate_key = await refused(connection, ROWS[4])
        nameless_invoice = ROWS[2].replace("(1, 1, 'L1-000001'", "(NULL, 1, 'L1-000002'")
        nameless = await refused(connection, nameless_invoice)
        checked = await connection.execute_query_dict("PRAGMA foreign_key_check")
        enforced = await connection.execute_query_dict("PRAGMA foreign_keys")
        print(json.dumps({
            "counts": counts,
            "duplicate_number": duplicate_number,
            "duplicate_key": duplicate_key,
            "nameless": nameless,
            "broken": len(checked),
            "foreign_keys": enforced[0]["foreign_keys"],
        }))
        await Tortoise.close_connections()
        sys.stdout.flush()
        os._exit(0)

    asyncio.run(main())
    """
)


def test_the_rebuild_keeps_every_row_reference_and_unique_rule(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _SCRIPT, f"sqlite://{tmp_path / 'before-0012.sqlite3'}"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPOSITORY,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {
        "counts": {"invoice": 1, "invoice_line": 1, "payment": 1, "payment_allocation": 1},
        "duplicate_number": True,
        "duplicate_key": True,
        "nameless": False,
        "broken": 0,
        "foreign_keys": 1,
    }
