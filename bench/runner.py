"""One backend's run: create and seed its databases, serve the app (production settings),
the baseline and the Stripe simulator, probe in-process, drive each scenario with wrk, and
judge the targets."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from api.database import close_database, open_database
from bench.databases import BenchDatabase
from bench.dataset import DatasetBuilder, DatasetShape
from bench.environment import (
    BenchSecrets,
    production_environment,
    simulator_environment,
    simulator_payment_environment,
)
from bench.load import LoadResult, LoadRun, LoadSettings, run_load
from bench.office import Desk, office_desk, patient_search_requests, staff_invoices_requests
from bench.probes import PAGE_SIZES, ProbeResults, probe
from bench.processes import ServerProcess, free_port, python_module
from bench.report import BackendReport, Row, Side, Target
from bench.seed import POSTGRES_STYLE, SQLITE_STYLE, check_seeded_sample, seed_postgres, seed_sqlite
from bench.workload import (
    Cast,
    HttpRequest,
    cast_patients,
    invoice_detail_requests,
    login_requests,
    my_invoices_requests,
    pay_invoices_requests,
    stripe_event_requests,
    write_requests,
)
from billing.phi_cipher import PhiCipher
from config.settings import load_settings
from models.payments import Payment

# Shared by every bench user (one argon2 hash for all); fake local accounts only.
BENCH_PASSWORD = "bench password shared by every bench user"  # noqa: S105
MY_INVOICES_OK = '"myInvoices":{"totalCount"'
DETAIL_OK = '"node":{"id"'
LOGIN_OK = '"accessToken"'
WEBHOOK_OK = '"received":true'
PAY_OK = '"payInvoices":{"payment":{'
SEARCH_OK = '"patients":{"totalCount"'
STAFF_INVOICES_OK = '"invoices":{"totalCount"'
# Requests prepared per second of load for scenarios whose requests are used once.
_ONE_OFF_RATE = 3000


@dataclass(frozen=True, slots=True)
class BenchOptions:
    duration: int
    warmup: int
    connections: int
    login_connections: int
    workers: int
    patients: int
    invoices: int
    small_patients: int
    small_invoices: int
    cast_size: int
    postgres_url: str
    var_dir: Path
    keep: bool
    today: date


@dataclass
class _Stack:
    """The servers of one data set: the Stripe simulator, the app and maybe the baseline."""

    database: BenchDatabase
    simulator: ServerProcess
    app: ServerProcess
    baseline: ServerProcess | None

    def servers(self) -> list[ServerProcess]:
        return [self.simulator, self.app, *([self.baseline] if self.baseline else [])]

    def start(self) -> None:
        for server in self.servers():
            server.start()

    def stop(self) -> None:
        for server in reversed(self.servers()):
            server.stop()


@dataclass
class _Prepared:
    cast: Cast
    intents: list[str]
    probes: ProbeResults
    seed_notes: list[str]
    desk: Desk


def run_backend(
    backend: str, options: BenchOptions, secrets: BenchSecrets, password_hash: str
) -> BackendReport:
    """One backend's whole run (``python -m bench`` runs each in a fresh process)."""
    return BackendRun(backend, options, secrets, password_hash).run()


class BackendRun:
    def __init__(
        self, backend: str, options: BenchOptions, secrets: BenchSecrets, password_hash: str
    ) -> None:
        self.backend = backend
        self.options = options
        self.secrets = secrets
        self.password_hash = password_hash
        self.cipher = PhiCipher.from_setting(secrets.phi_encryption_key)
        self.folder = options.var_dir / backend
        self.report = BackendReport(backend)
        self.run_tag = f"{backend}{int(time.time())}"
        # The staff invoice list under load at full size, to compare with the small set's.
        self.large_staff: LoadResult | None = None

    def run(self) -> BackendReport:
        options = self.options
        large = self._database("billing_bench_large")
        small = self._database("billing_bench_small")
        try:
            large_seconds = self._create(large, options.patients, options.invoices)
            small_seconds = self._create(small, options.small_patients, options.small_invoices)
            self.report.checks.append(
                f"seeded {options.invoices:,} invoices in {large_seconds:.0f} s and "
                f"{options.small_invoices:,} in {small_seconds:.0f} s"
            )
            before = os.getloadavg()[0]
            alone = self._large_scenarios(large)
            self._small_scenario(small, alone)
            # Other work on the machine shows up here; the load itself adds about 2 (cores).
            self.report.checks.append(
                f"1-minute load average: {before:.1f} before the scenarios, "
                f"{os.getloadavg()[0]:.1f} after"
            )
        finally:
            if not options.keep:
                asyncio.run(large.drop())
                asyncio.run(small.drop())
        return self.report

    # -- databases ----------------------------------------------------------------------

    def _database(self, name: str) -> BenchDatabase:
        if self.backend == "sqlite":
            return BenchDatabase.sqlite(self.folder, name)
        return BenchDatabase.postgres(self.options.postgres_url, name)

    def _environment(self, database: BenchDatabase, app_port: int) -> dict[str, str]:
        return production_environment(self.secrets, database.url, f"http://127.0.0.1:{app_port}")

    def _payment_environment(
        self, database: BenchDatabase, app_port: int, stripe_port: int
    ) -> dict[str, str]:
        return simulator_payment_environment(
            self.secrets,
            database.url,
            f"http://127.0.0.1:{app_port}",
            f"http://127.0.0.1:{stripe_port}",
        )

    def _create(self, database: BenchDatabase, patients: int, invoices: int) -> float:
        asyncio.run(database.recreate())
        database.migrate(self._environment(database, 1), self.folder / "migrate.log")
        shape = DatasetShape(patients, invoices, self.options.today)
        if database.sqlite_path is not None:
            builder = DatasetBuilder(shape, self.cipher, self.password_hash, SQLITE_STYLE)
            return seed_sqlite(str(database.sqlite_path), builder).seconds
        builder = DatasetBuilder(shape, self.cipher, self.password_hash, POSTGRES_STYLE)
        return asyncio.run(seed_postgres(database.url, builder)).seconds

    # -- servers ------------------------------------------------------------------------

    def _servers(self, database: BenchDatabase, *, with_baseline: bool) -> _Stack:
        app_port, stripe_port, baseline_port = free_port(), free_port(), free_port()
        env = self._environment(database, app_port)
        workers = str(self.options.workers)
        simulator = ServerProcess(
            "stripe simulator",
            python_module("stripe_simulator", "--port", str(stripe_port)),
            simulator_environment(self.secrets, f"http://127.0.0.1:{app_port}/webhooks/stripe"),
            stripe_port,
            self.folder / "stripe-simulator.log",
            ready_path=None,
        )
        app = self._app_server("app", env, app_port)
        baseline = None
        if with_baseline:
            baseline = ServerProcess(
                "baseline",
                python_module("bench.baseline", "--port", str(baseline_port), "--workers", workers),
                env,
                baseline_port,
                self.folder / "baseline.log",
            )
        return _Stack(database, simulator, app, baseline)

    def _app_server(self, name: str, env: dict[str, str], port: int) -> ServerProcess:
        workers = str(self.options.workers)
        return ServerProcess(
            name,
            python_module("api.cli", "serve", "--port", str(port), "--workers", workers),
            env,
            port,
            self.folder / f"{name}.log",
        )

    # -- the large data set -------------------------------------------------------------

    def _large_scenarios(self, database: BenchDatabase) -> LoadResult:
        stack = self._servers(database, with_baseline=True)
        stack.start()
        try:
            assert stack.baseline is not None
            prepared = asyncio.run(self._prepare(stack, self.options.cast_size, probe_all=True))
            self.report.checks += prepared.seed_notes + prepared.probes.findings
            return self._drive(prepared, stack, stack.baseline.url)
        finally:
            stack.stop()

    async def _prepare(self, stack: _Stack, cast_size: int, *, probe_all: bool) -> _Prepared:
        settings = load_settings(self._environment(stack.database, stack.app.port))
        await open_database(settings)
        try:
            notes: list[str] = []
            if probe_all:
                total = self.options.invoices
                sample = range(1, total + 1, max(1, total // 200))
                checked = await check_seeded_sample(self.cipher, sample)
                notes.append(f"{checked} sampled invoices: summary columns agree with the ledger")
            cast = await cast_patients(cast_size)
            desk = await office_desk(self.cipher, cast_size)
            intents = [
                str(intent)
                for intent in await Payment.filter(stripe_payment_intent_id__isnull=False)
                .limit(5000)
                .values_list("stripe_payment_intent_id", flat=True)
            ]
            probes = ProbeResults()
            if probe_all:
                paying = load_settings(
                    self._payment_environment(stack.database, stack.app.port, stack.simulator.port)
                )
                probes = await probe(settings, paying, cast, BENCH_PASSWORD, intents, desk)
            return _Prepared(cast, intents, probes, notes, desk)
        finally:
            await close_database()

    def _drive(self, prepared: _Prepared, stack: _Stack, baseline_url: str) -> LoadResult:
        cast, counts = prepared.cast, prepared.probes.statements
        app_url = stack.app.url
        mine = self._measure(
            app_url, "my-api", my_invoices_requests(cast, baseline=False), MY_INVOICES_OK
        )
        mine_base = self._measure(
            baseline_url, "my-base", my_invoices_requests(cast, baseline=True), MY_INVOICES_OK
        )
        self._row("myInvoices, first page (20)", mine, mine_base, counts.get("my_invoices"))
        detail = self._measure(
            app_url, "detail-api", invoice_detail_requests(cast, baseline=False), DETAIL_OK
        )
        detail_base = self._measure(
            baseline_url, "detail-base", invoice_detail_requests(cast, baseline=True), DETAIL_OK
        )
        self._row("InvoiceDetail", detail, detail_base, counts.get("invoice_detail"))
        self._office(prepared, app_url, baseline_url)
        self._pay(prepared, stack)
        self._webhooks(prepared, app_url, baseline_url)
        self._storm(prepared, app_url, baseline_url, mine, mine_base)
        self._judge_large(prepared.probes, mine, mine_base)
        return mine

    def _office(self, prepared: _Prepared, app_url: str, baseline_url: str) -> None:
        """Patient search (last name and date of birth) and the staff invoice list (first
        page, one filter), beside the baseline; search's p99 also at one connection."""
        desk, counts = prepared.desk, prepared.probes.statements
        search = self._measure(
            app_url, "search-api", patient_search_requests(desk, baseline=False), SEARCH_OK
        )
        search_base = self._measure(
            baseline_url, "search-base", patient_search_requests(desk, baseline=True), SEARCH_OK
        )
        self._row(
            "patient search, last name + birth date",
            search,
            search_base,
            counts.get("patient_search"),
        )
        alone = LoadSettings(self.options.duration, 1)
        search_one = run_load(
            app_url,
            self._file("search-api", patient_search_requests(desk, baseline=False)),
            SEARCH_OK,
            alone,
        )
        self.report.rows.append(Row("patient search at 1 connection", Side(search_one)))
        staff = self._measure(
            app_url, "staff-api", staff_invoices_requests(desk, baseline=False), STAFF_INVOICES_OK
        )
        staff_base = self._measure(
            baseline_url,
            "staff-base",
            staff_invoices_requests(desk, baseline=True),
            STAFF_INVOICES_OK,
        )
        self._row(
            "staff invoices, first page (20), status OPEN",
            staff,
            staff_base,
            counts.get("staff_invoices"),
        )
        self.large_staff = staff
        for label, mine, base in (
            ("patient search", search, search_base),
            ("staff invoice list", staff, staff_base),
        ):
            ratio = (
                mine.requests_per_second / base.requests_per_second
                if base.requests_per_second
                else 0.0
            )
            self.report.targets.append(
                Target(
                    f"{label} >= 0.5x the baseline's req/s",
                    f"{mine.requests_per_second:,.0f} vs {base.requests_per_second:,.0f} "
                    f"({ratio:.2f}x)",
                    ratio >= 0.5,
                )
            )
        self.report.targets.append(
            Target(
                "patient search p99 < 50 ms at one connection",
                f"{search_one.p99_ms:.1f} ms",
                search_one.p99_ms < 50,
            )
        )

    def _pay(self, prepared: _Prepared, stack: _Stack) -> None:
        codes = prepared.probes.pay_error_codes
        statements = prepared.probes.statements.get("pay_invoices")
        count = statements[0] if statements else None
        name = "payInvoices, 3 invoices (Stripe simulator)"
        if codes:
            note = f"not measured: {', '.join(sorted(set(codes)))}"
            self.report.rows.append(Row(name, Side(note=note, statements=count)))
            return
        requests = pay_invoices_requests(prepared.cast, self.run_tag)
        # The last requests warm up, the first ones are measured: none is sent twice.
        split = max(1, len(requests) // 10)
        port = free_port()
        env = self._payment_environment(stack.database, port, stack.simulator.port)
        with self._app_server("app-paying", env, port) as paying:
            self._warm(paying.url, "pay-warm", requests[-split:], PAY_OK)
            measured = self._file("pay-api", requests[:-split])
            result = run_load(paying.url, measured, PAY_OK, self._settings())
        self.report.rows.append(
            Row(name, Side(result, count, one_off=True), Side(note="no baseline"))
        )

    def _webhooks(self, prepared: _Prepared, app_url: str, baseline_url: str) -> None:
        secret = self.secrets.stripe_webhook_secret
        count = _ONE_OFF_RATE * self.options.duration
        warm_count = _ONE_OFF_RATE * self.options.warmup
        results = []
        for side, url in (("api", app_url), ("base", baseline_url)):
            tag = f"{self.run_tag}_{side}"
            self._warm(
                url,
                f"hook-warm-{side}",
                stripe_event_requests(warm_count, f"{tag}_w", prepared.intents, secret),
                WEBHOOK_OK,
            )
            events = stripe_event_requests(count, tag, prepared.intents, secret)
            results.append(
                run_load(url, self._file(f"hook-{side}", events), WEBHOOK_OK, self._settings())
            )
        self._row(
            "webhook payment_intent.succeeded",
            results[0],
            results[1],
            prepared.probes.statements.get("webhook"),
            one_off=True,
        )

    def _storm(
        self,
        prepared: _Prepared,
        app_url: str,
        baseline_url: str,
        alone: LoadResult,
        alone_base: LoadResult,
    ) -> None:
        cast = prepared.cast
        during: list[LoadResult] = []
        logins: list[LoadResult] = []
        for side, url in (("api", app_url), ("base", baseline_url)):
            storm_file = self._file(
                f"login-{side}", login_requests(cast, BENCH_PASSWORD, baseline=side == "base")
            )
            storm_settings = LoadSettings(self.options.duration + 3, self.options.login_connections)
            storm = LoadRun(url, storm_file, LOGIN_OK, storm_settings).start()
            time.sleep(1.0)  # let the storm build up before measuring
            reads = my_invoices_requests(cast, baseline=side == "base")
            during.append(
                run_load(
                    url, self._file(f"storm-my-{side}", reads), MY_INVOICES_OK, self._settings()
                )
            )
            logins.append(storm.result())
        counts = prepared.probes.statements
        self._row(
            "myInvoices during a login storm", during[0], during[1], counts.get("my_invoices")
        )
        self._row(
            f"login storm ({self.options.login_connections} connections)",
            logins[0],
            logins[1],
            counts.get("login"),
        )
        ratio = during[0].p99_ms / alone.p99_ms if alone.p99_ms else float("inf")
        self.report.targets.append(
            Target(
                "myInvoices p99 during a login storm <= 2x without",
                f"{during[0].p99_ms:.1f} ms vs {alone.p99_ms:.1f} ms ({ratio:.2f}x); "
                f"baseline {during[1].p99_ms:.1f} vs {alone_base.p99_ms:.1f} ms",
                ratio <= 2.0,
            )
        )

    def _judge_large(self, probes: ProbeResults, mine: LoadResult, base: LoadResult) -> None:
        ratio = mine.requests_per_second / base.requests_per_second
        self.report.targets.append(
            Target(
                "GraphQL myInvoices >= 0.5x the baseline's req/s",
                f"{mine.requests_per_second:,.0f} vs {base.requests_per_second:,.0f} "
                f"({ratio:.2f}x)",
                ratio >= 0.5,
            )
        )
        sizes = probes.page_size_statements
        api_counts = {sizes[size][0] for size in PAGE_SIZES if size in sizes}
        self.report.targets.append(
            Target(
                "SQL statements per request constant in page size",
                ", ".join(f"first={s}: {sizes[s][0]} (baseline {sizes[s][1]})" for s in sizes),
                len(api_counts) == 1 if api_counts else None,
            )
        )
        if probes.json_mismatches:
            self.report.checks.append(
                f"{probes.json_mismatches} baseline answers differ from the API's"
            )
        else:
            self.report.checks.append(
                "the baseline's JSON equals the API's for every probed request"
            )

    # -- the small data set -------------------------------------------------------------

    def _small_scenario(self, database: BenchDatabase, alone: LoadResult) -> None:
        stack = self._servers(database, with_baseline=False)
        stack.start()
        try:
            size = min(self.options.cast_size, self.options.small_patients)
            prepared = asyncio.run(self._prepare(stack, size, probe_all=False))
            requests = my_invoices_requests(prepared.cast, baseline=False)
            small = self._measure(stack.app.url, "my-small", requests, MY_INVOICES_OK)
            staff_small = self._measure(
                stack.app.url,
                "staff-small",
                staff_invoices_requests(prepared.desk, baseline=False),
                STAFF_INVOICES_OK,
            )
        finally:
            stack.stop()
        self.report.rows.append(
            Row(f"staff invoices at {self.options.small_invoices:,} invoices", Side(staff_small))
        )
        large = self.large_staff
        if large is not None and staff_small.p50_ms:
            scale = large.p50_ms / staff_small.p50_ms
            self.report.targets.append(
                Target(
                    f"staff invoices p50 at {self.options.invoices:,} <= 1.5x at "
                    f"{self.options.small_invoices:,} invoices",
                    f"p50 {large.p50_ms:.1f} vs {staff_small.p50_ms:.1f} ms ({scale:.2f}x)",
                    scale <= 1.5,
                )
            )
        self.report.rows.append(
            Row(f"myInvoices at {self.options.small_invoices:,} invoices", Side(small))
        )
        p50 = alone.p50_ms / small.p50_ms if small.p50_ms else float("inf")
        p99 = alone.p99_ms / small.p99_ms if small.p99_ms else float("inf")
        self.report.targets.append(
            Target(
                f"myInvoices p50 at {self.options.invoices:,} <= 1.5x at "
                f"{self.options.small_invoices:,} invoices",
                f"p50 {alone.p50_ms:.1f} vs {small.p50_ms:.1f} ms ({p50:.2f}x); "
                f"p99 {alone.p99_ms:.1f} vs {small.p99_ms:.1f} ms ({p99:.2f}x)",
                p50 <= 1.5,
            )
        )

    # -- helpers ------------------------------------------------------------------------

    def _settings(self) -> LoadSettings:
        return LoadSettings(self.options.duration, self.options.connections)

    def _file(self, name: str, requests: list[HttpRequest]) -> Path:
        path = self.folder / "requests" / f"{name}.tsv"
        write_requests(path, requests)
        return path

    def _warm(self, url: str, name: str, requests: list[HttpRequest], expected: str) -> None:
        if self.options.warmup > 0 and requests:
            settings = LoadSettings(self.options.warmup, self.options.connections)
            run_load(url, self._file(name, requests), expected, settings)

    def _measure(
        self, url: str, name: str, requests: list[HttpRequest], expected: str
    ) -> LoadResult:
        path = self._file(name, requests)
        if self.options.warmup > 0:
            run_load(
                url, path, expected, LoadSettings(self.options.warmup, self.options.connections)
            )
        return run_load(url, path, expected, self._settings())

    def _row(
        self,
        name: str,
        api: LoadResult,
        baseline: LoadResult,
        statements: tuple[int, int | None] | None,
        *,
        one_off: bool = False,
    ) -> None:
        api_count, base_count = statements if statements else (None, None)
        self.report.rows.append(
            Row(
                name,
                Side(api, api_count, one_off=one_off),
                Side(baseline, base_count, one_off=one_off),
            )
        )
