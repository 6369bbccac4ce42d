"""``python -m bench``: run the benchmark on SQLite and PostgreSQL and print the table."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from importlib import metadata
from pathlib import Path

from auth.passwords import hash_password
from bench.environment import BenchSecrets
from bench.load import LoadToolMissing
from bench.report import BackendReport, markdown
from bench.runner import BENCH_PASSWORD, BenchOptions, run_backend

VAR_DIR = Path(__file__).with_name("var")
_PACKAGES = (
    "strawberry-graphql",
    "graphql-core",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "tortoise-orm",
    "aiosqlite",
    "asyncpg",
    "orjson",
    "argon2-cffi",
    "stripe",
)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    options = BenchOptions(
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        login_connections=args.login_connections,
        workers=args.workers,
        patients=args.patients,
        invoices=args.invoices,
        small_patients=args.small_patients,
        small_invoices=args.small_invoices,
        cast_size=args.cast,
        postgres_url=args.postgres_url,
        var_dir=VAR_DIR,
        keep=args.keep,
        today=date.today(),
    )
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed; `make bench` installs it (apt-get install -y wrk)")
        return 2
    started = time.monotonic()
    secrets = BenchSecrets.generate()
    # One argon2 hash for every bench user: hashing 10,000 would take half an hour.
    password_hash = asyncio.run(hash_password(BENCH_PASSWORD))
    reports: list[BackendReport] = []
    for backend in args.backends.split(","):
        print(f"bench: {backend} ...", flush=True)
        # A fresh interpreter per backend: Tortoise caches each model's SQL per connection
        # name, so statements built for SQLite would be sent to PostgreSQL.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            try:
                report = pool.submit(run_backend, backend, options, secrets, password_hash).result()
            except LoadToolMissing as error:
                print(f"bench: {error}")
                return 2
        reports.append(report)
        print(markdown(report), flush=True)
    text = _document(reports, options, time.monotonic() - started)
    VAR_DIR.mkdir(exist_ok=True)
    (VAR_DIR / "report.md").write_text(text)
    print(text)
    print(f"bench: written to {VAR_DIR / 'report.md'}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--login-connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server")
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=200_000)
    parser.add_argument("--small-patients", type=int, default=100)
    parser.add_argument("--small-invoices", type=int, default=2_000)
    parser.add_argument("--cast", type=int, default=1000, help="patients signed in for the load")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
        help="a PostgreSQL server where the bench may create and drop its databases",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    return parser


def _document(reports: list[BackendReport], options: BenchOptions, seconds: float) -> str:
    lines = [
        f"## Run of {options.today.isoformat()}",
        "",
        f"- machine: {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}",
        f"- {_versions()}",
        f"- SQLite {sqlite3.sqlite_version}; {_postgres_version(options)}; {_wrk_version()}",
        f"- data: {options.patients:,} patients, {options.invoices:,} invoices; "
        f"{options.duration} s per run after {options.warmup} s of warm-up, "
        f"{options.connections} connections, {options.workers} worker(s) per server, "
        f"login storm of {options.login_connections} connections",
        f"- whole run: {seconds / 60:.1f} minutes",
        "",
    ]
    return "\n".join(lines) + "\n".join(markdown(report) for report in reports)


def _versions() -> str:
    found = []
    for name in _PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _postgres_version(options: BenchOptions) -> str:
    psql = shutil.which("psql")
    if psql is None:
        return "PostgreSQL (psql not found)"
    answer = subprocess.run(  # noqa: S603 (psql, our query)
        [psql, f"{options.postgres_url}/postgres", "-tAc", "SHOW server_version"],
        capture_output=True,
        text=True,
        check=False,
    )
    return f"PostgreSQL {answer.stdout.strip() or '(unreachable)'}"


def _wrk_version() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        return "wrk missing"
    answer = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return answer.stdout.splitlines()[0].split(" [")[0] if answer.stdout else "wrk"


if __name__ == "__main__":
    sys.exit(main())
