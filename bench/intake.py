"""``python -m bench.intake``: how long a server takes to answer a 500-charge Bundle.

On a fresh database per backend (SQLite under ``bench/var``; PostgreSQL too with
``--postgres``), a production server process on loopback, an API client, a location known
by its code and 100 patients; then one ``POST /intake/fhir/Bundle`` of new charges and the
same Bundle again (all already had). Prints the seconds of each; the target is under 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import httpx
import orjson

from api.database import close_database, open_database
from bench.databases import BenchDatabase
from bench.environment import BenchSecrets, production_environment
from bench.processes import ServerProcess, free_port, python_module
from billing.intake.bundles import MAX_ENTRIES
from billing.intake.clients import CHARGES_WRITE, client_secret_key, create_api_client
from billing.intake.use_cases import set_location_code
from billing.locations.rules import create_location
from billing.patients.rules import create_patient
from billing.phi_cipher import PhiCipher
from config.settings import load_settings

VAR_DIR = Path(__file__).with_name("var")
TARGET_SECONDS = 5.0
_PATIENTS = 100


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=None,
        help="also run on this PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432",
    )
    parser.add_argument("--charges", type=int, default=MAX_ENTRIES)
    args = parser.parse_args(argv)
    databases = [BenchDatabase.sqlite(VAR_DIR, "bench_intake")]
    if args.postgres:
        databases.append(BenchDatabase.postgres(args.postgres, "bench_intake"))
    slow = False
    for database in databases:
        # Tortoise keeps one backend's SQL dialect per process: a fresh process each.
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            first, again = pool.submit(_measure, database, args.charges).result()
        print(
            f"{database.backend}: a {args.charges}-charge Bundle answered in {first:.2f} s "
            f"(new charges), {again:.2f} s (the same again); target < {TARGET_SECONDS:.0f} s"
        )
        slow = slow or max(first, again) >= TARGET_SECONDS
    return 1 if slow else 0


def _measure(database: BenchDatabase, charges: int) -> tuple[float, float]:
    return asyncio.run(_run(database, charges))


async def _run(database: BenchDatabase, charges: int) -> tuple[float, float]:
    await database.recreate()
    try:
        port = free_port()
        env = production_environment(
            BenchSecrets.generate(), database.url, f"http://127.0.0.1:{port}"
        )
        log = VAR_DIR / f"intake-{database.backend}.log"
        database.migrate(env, log)
        secret, accounts = await _seed(env)
        body = orjson.dumps(_bundle(accounts, charges))
        command = python_module("api.cli", "serve", "--port", str(port))
        with ServerProcess("intake", command, env, port, log) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
                first = await _post(client, secret, body, expected="201")
                again = await _post(client, secret, body, expected="200")
        return first, again
    finally:
        await database.drop()


async def _seed(env: dict[str, str]) -> tuple[str, list[str]]:
    settings = load_settings(env)
    await open_database(settings)
    try:
        cipher = PhiCipher.from_setting(settings.phi_encryption_key.reveal())
        await create_location("North Clinic", "America/Chicago")
        await set_location_code("NORTH", "North Clinic")
        accounts = []
        for n in range(_PATIENTS):
            patient = await create_patient(
                cipher, f"Given{n}", f"Family{n}", date(1970, 1, 1 + n % 28), None, None, None
            )
            accounts.append(patient.account_number)
        key = client_secret_key(settings.secret_key.reveal())
        issued = await create_api_client(key, "bench-ehr", [CHARGES_WRITE])
        return issued.secret, accounts
    finally:
        await close_database()


def _bundle(accounts: list[str], charges: int) -> dict[str, object]:
    return {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {
                "request": {"method": "POST", "url": "ChargeItem"},
                "resource": {
                    "resourceType": "ChargeItem",
                    "identifier": [{"system": "urn:bench:charges", "value": f"charge-{n}"}],
                    "status": "billable",
                    "subject": {
                        "identifier": {
                            "system": "urn:billing:patient-account",
                            "value": accounts[n % len(accounts)],
                        }
                    },
                    "context": {"identifier": {"value": f"enc-{n % len(accounts)}"}},
                    "performingOrganization": {
                        "identifier": {"system": "urn:billing:location", "value": "NORTH"}
                    },
                    "performer": [{"actor": {"display": "Dr. Adams"}}],
                    "code": {"coding": [{"code": "99213", "display": "Office visit"}]},
                    "quantity": {"value": 1},
                    "priceOverride": {"value": 125.4, "currency": "USD"},
                    "occurrenceDateTime": "2025-01-10",
                },
            }
            for n in range(charges)
        ],
    }


async def _post(client: httpx.AsyncClient, secret: str, body: bytes, *, expected: str) -> float:
    started = time.perf_counter()
    response = await client.post(
        "/intake/fhir/Bundle",
        content=body,
        headers={"authorization": f"Bearer {secret}", "content-type": "application/fhir+json"},
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    answers = {entry["response"]["status"] for entry in response.json()["entry"]}
    if answers != {expected}:
        raise RuntimeError(f"expected every entry to be {expected}, got {sorted(answers)}")
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
