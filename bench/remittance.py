"""``python -m bench.remittance``: post a 5,000-claim 835 file and print how long it took
and how much memory it needed.

A fresh database (SQLite in a temporary folder unless ``--database-url`` names an empty
one) gets one patient, one location and one insured invoice per claim; then the file, made
by ``bench.x12_835``, goes through ``uploadRemittance``'s use case exactly as the API calls
it: validated by pyx12, balanced, stored and posted claim by claim. Printed: the file's
size, the seconds to validate and post, and the peak resident memory (with
``--trace-memory`` also what Python allocated at most, which makes the run slower). Posting
goes 500 claims at a time, so beyond the parsed claims memory stays flat as files grow:
compare ``--claims 1000`` with ``--claims 20000``.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

from api.database import close_database, migrate_database, open_database
from bench.x12_835 import Claim, build_835
from billing.audit.buffer import AuditActor, AuditBuffer
from billing.audit.chain import audit_chain_key, initialize_audit_chain
from billing.locations.rules import create_location
from billing.remittances.use_cases import upload_remittance
from billing.wiring import connect_domains
from config.settings import Settings, load_settings
from models.enums import InvoiceStatus, LedgerEntryKind
from models.invoices import Invoice
from models.ledger import LedgerEntry
from models.patients import Patient

TARGET_SECONDS = 30.0
_CHARGE = 20_000
_PAID = 15_000
_CHUNK = 500


async def _invoices(count: int) -> list[str]:
    """``count`` invoices of 200.00, all expected from insurance, as rows (quickly)."""
    place = await create_location("Bench Clinic", "America/Chicago", "1 Main St")
    patient = await Patient.create(
        first_name_ct="-", last_name_ct="-", date_of_birth_ct="-", timezone="America/Chicago"
    )
    numbers = [f"B-{n:06d}" for n in range(1, count + 1)]
    for start in range(0, count, _CHUNK):
        chunk = numbers[start : start + _CHUNK]
        await Invoice.bulk_create(
            [
                Invoice(
                    patient_id=patient.id,
                    location_id=place.id,
                    number=number,
                    provider_name="Dr. Bench",
                    service_date=date(2026, 1, 2),
                    issued_at=date(2026, 1, 3),
                    due_at=date(2026, 2, 3),
                    currency="USD",
                    insurance_payer_name="Acme Health",
                    status=InvoiceStatus.PENDING_INSURANCE,
                    total_minor=_CHARGE,
                    balance_minor=0,
                    insurance_pending_minor=_CHARGE,
                )
                for number in chunk
            ]
        )
        rows = await Invoice.filter(number__in=chunk).values_list("id", flat=True)
        await LedgerEntry.bulk_create(
            [
                LedgerEntry(invoice_id=invoice_id, kind=kind, amount_minor=_CHARGE, currency="USD")
                for invoice_id in rows
                for kind in (LedgerEntryKind.CHARGE, LedgerEntryKind.INSURANCE_EXPECTED)
            ]
        )
    return numbers


async def run(settings: Settings, claims: int, *, trace_memory: bool = False) -> float:
    await migrate_database(settings)
    await open_database(settings)
    try:
        connect_domains()
        key = audit_chain_key(settings.secret_key.reveal())
        await initialize_audit_chain(key)
        numbers = await _invoices(claims)
        content = build_835(
            [
                Claim(n, _CHARGE, _PAID, adjustments=[("CO", "45", _CHARGE - _PAID)])
                for n in numbers
            ],
            trace=f"BENCH{claims}",
        )
        audit = AuditBuffer(AuditActor(None, "billing_staff", "127.0.0.1", "bench"), key=key)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if trace_memory:
            tracemalloc.start()
        started = time.perf_counter()
        uploaded = await upload_remittance(audit, "bench.835", content)
        seconds = time.perf_counter() - started
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        remittance = uploaded.remittance
        print(f"835 file: {claims} claims, {len(content) / 1e6:.2f} MB")
        print(
            f"posted: {remittance.claim_count - remittance.unmatched_count} claims, "
            f"{remittance.unmatched_count} unmatched, status {remittance.status.value}"
        )
        print(f"seconds (validate and post): {seconds:.1f} (target < {TARGET_SECONDS:.0f})")
        print(
            f"peak memory: {rss_after / 1024:.0f} MB resident "
            f"(+{max(rss_after - rss_before, 0) / 1024:.0f} MB while validating and posting)"
        )
        if trace_memory:
            print(f"Python allocations at most while posting: {traced_peak / 1e6:.1f} MB")
        return seconds
    finally:
        await close_database()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.remittance", description=__doc__)
    parser.add_argument("--claims", type=int, default=5_000, help="claims in the file")
    parser.add_argument(
        "--database-url", help="an empty database; default: SQLite in a temporary folder"
    )
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="also count Python's allocations (tracemalloc; makes the run about 5x slower)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite://{Path(folder) / 'remittance-bench.sqlite3'}"
        settings = load_settings({"DATABASE_URL": url, "BILLING_ENV": "development"})
        seconds = asyncio.run(run(settings, args.claims, trace_memory=args.trace_memory))
    raise SystemExit(0 if seconds < TARGET_SECONDS else 1)


if __name__ == "__main__":
    main()
