"""A 100,000-row export streams: the rows come from the database a batch at a time and
leave as CSV chunks, so memory holds one batch, never the whole export."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, date, datetime

from billing.exports.cells import csv_chunks
from billing.exports.columns import Sensitivity, visible_columns
from billing.exports.sources import ExportRequest, export_rows
from billing.locations.rules import create_location
from config.settings import Settings
from models.exports import ExportKind
from models.invoices import Invoice
from tests.support.factories.accounts import api_cipher
from tests.support.factories.office import office_patient

ROWS = 100_000
# The whole export as Python rows would take far more than this (about 1 kB per row).
PEAK_LIMIT_BYTES = 16 * 1024 * 1024


async def _seed(patient_id: int, location_id: int) -> None:
    for start in range(0, ROWS, 5_000):
        await Invoice.bulk_create(
            [
                Invoice(
                    patient_id=patient_id,
                    location_id=location_id,
                    number=f"B-{index:06d}",
                    provider_name="Dr. Adams",
                    service_date=date(2025, 1, 1),
                    issued_at=date(2025, 1, 2),
                    due_at=date(2025, 2, 1),
                    currency="USD",
                    total_minor=10_000 + index,
                    balance_minor=10_000 + index,
                )
                for index in range(start, start + 5_000)
            ]
        )


async def test_a_100000_row_export_holds_one_batch_at_a_time(db: None, settings: Settings) -> None:
    site = await create_location("Bulk", "America/Chicago", "")
    patient = await office_patient(settings, "Rosa", "Parks", date(1950, 2, 4))
    await _seed(patient.id, site.id)
    columns = visible_columns(ExportKind.INVOICES, frozenset(Sensitivity))
    request = ExportRequest(ExportKind.INVOICES, None, None, None, columns)
    rows = export_rows(request, api_cipher(settings), now=datetime.now(UTC))

    lines = 0
    tracemalloc.start()
    try:
        async for chunk in csv_chunks(columns, rows):
            lines += chunk.count("\r\n")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert lines == ROWS + 1
    assert peak < PEAK_LIMIT_BYTES, f"peak {peak / 1e6:.1f} MB"
