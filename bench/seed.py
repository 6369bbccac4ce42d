"""Bulk insertion of ``bench.dataset`` into a migrated database, and a check of the result.

SQLite gets ``executemany`` in one transaction through the standard library driver;
PostgreSQL gets ``COPY`` through asyncpg, then its id sequences are moved past the ids we
gave. Both are analysed afterwards, as a maintained production database would be.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC

import asyncpg  # type: ignore[import-untyped]

from bench.dataset import COLUMNS, TABLE_ORDER, DatasetBuilder, ValueStyle
from billing.ledger.figures import summarize
from billing.patients.rules import read_patient_profile
from billing.phi_cipher import PhiCipher
from models.invoices import Invoice
from models.ledger import LedgerEntry
from models.patients import Patient

SQLITE_STYLE = ValueStyle(
    # Tortoise's own text form, so rows we write compare and parse like rows it writes.
    timestamp=lambda moment: moment.astimezone(UTC).isoformat(sep=" ", timespec="microseconds"),
    day=lambda day: day.isoformat(),
)
POSTGRES_STYLE = ValueStyle(timestamp=lambda moment: moment, day=lambda day: day)


@dataclass(frozen=True, slots=True)
class SeedReport:
    rows: dict[str, int]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def seed_sqlite(path: str, builder: DatasetBuilder) -> SeedReport:
    """Insert the data set into the SQLite file at ``path`` (already migrated)."""
    started = time.perf_counter()
    counts = dict.fromkeys(TABLE_ORDER, 0)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # Only this connection, only while seeding: the server opens the file as usual.
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        for batch in builder.batches():
            for table in TABLE_ORDER:
                rows = batch.rows[table]
                if rows:
                    connection.executemany(_insert_sql(table, "?"), rows)
                    counts[table] += len(rows)
        connection.executemany(
            'UPDATE "location" SET "last_invoice_number" = ? WHERE "id" = ?',
            [(number, location_id) for location_id, number in builder.location_counters()],
        )
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
    finally:
        connection.close()
    return SeedReport(counts, time.perf_counter() - started)


async def seed_postgres(dsn: str, builder: DatasetBuilder) -> SeedReport:
    """Insert the data set into the PostgreSQL database ``dsn`` (already migrated)."""
    started = time.perf_counter()
    counts = dict.fromkeys(TABLE_ORDER, 0)
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            for batch in builder.batches():
                for table in TABLE_ORDER:
                    rows = batch.rows[table]
                    if rows:
                        await connection.copy_records_to_table(
                            table, records=rows, columns=list(COLUMNS[table])
                        )
                        counts[table] += len(rows)
            await connection.executemany(
                'UPDATE "location" SET "last_invoice_number" = $1 WHERE "id" = $2',
                [(number, location_id) for location_id, number in builder.location_counters()],
            )
            for table in TABLE_ORDER:
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                    f'(SELECT MAX("id") FROM "{table}"))'
                )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return SeedReport(counts, time.perf_counter() - started)


def _insert_sql(table: str, placeholder: str) -> str:
    columns = COLUMNS[table]
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join(placeholder for _ in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608 (our own names)


async def check_seeded_sample(cipher: PhiCipher, invoice_ids: Iterable[int]) -> int:
    """Through the ORM: each sampled invoice's summary columns equal what
    ``billing.ledger.figures.summarize`` derives from its ledger rows, and its patient's PHI
    decrypts. Raises ``AssertionError`` on the first mismatch; returns how many were checked."""
    checked = 0
    for invoice_id in invoice_ids:
        invoice = await Invoice.get(id=invoice_id)
        figures = summarize(await LedgerEntry.filter(invoice_id=invoice_id))
        stored = (
            invoice.status,
            invoice.total_minor,
            invoice.balance_minor,
            invoice.insurance_pending_minor,
        )
        derived = (figures.status, figures.total, figures.balance, figures.insurance_pending)
        if stored != derived:
            raise AssertionError(f"invoice {invoice_id}: stored {stored}, ledger says {derived}")
        read_patient_profile(cipher, await Patient.get(id=invoice.patient_id))
        checked += 1
    return checked
