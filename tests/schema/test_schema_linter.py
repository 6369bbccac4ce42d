"""graphql-schema-linter (npm, pinned in conformance/) over the SDL `billing export-schema`
prints: every rule but the sorting ones (conformance/package.json), zero findings."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from config.settings import Settings
from schema import build_schema
from tests.support.paths import CONFORMANCE, NODE

LINTER = CONFORMANCE / "node_modules" / "graphql-schema-linter" / "lib" / "cli.js"
SORTING_RULES = {
    "enum-values-sorted-alphabetically",
    "input-object-fields-sorted-alphabetically",
    "interface-fields-sorted-alphabetically",
    "type-fields-sorted-alphabetically",
}


def _lint(sdl: Path) -> list[dict[str, object]]:
    if not LINTER.exists():
        pytest.fail(
            "conformance/node_modules is missing: run `make test`, which installs it with "
            "`npm ci --prefix conformance`"
        )
    done = subprocess.run(  # noqa: S603 - our pinned linter, on a file we wrote
        [NODE, str(LINTER), "--config-directory", str(CONFORMANCE), "--format", "json", str(sdl)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    errors: list[dict[str, object]] = json.loads(done.stdout)["errors"]
    return errors


def test_the_configured_rules_are_every_rule_but_sorting() -> None:
    configured = json.loads((CONFORMANCE / "package.json").read_text(encoding="utf-8"))
    rules = set(configured["graphql-schema-linter"]["rules"])
    shipped = {
        path.stem.replace("_", "-")
        for path in (CONFORMANCE / "node_modules/graphql-schema-linter/lib/rules").glob("*.js")
    }

    assert rules == shipped - SORTING_RULES


def test_the_exported_schema_has_no_finding(settings: Settings, tmp_path: Path) -> None:
    sdl = tmp_path / "schema.graphql"
    sdl.write_text(build_schema(settings).as_str(), encoding="utf-8")

    findings = _lint(sdl)

    assert findings == [], "\n".join(str(finding["message"]) for finding in findings)


def test_the_linter_reports_an_undescribed_field(tmp_path: Path) -> None:
    sdl = tmp_path / "gap.graphql"
    sdl.write_text('"""The root."""\ntype Query {\n  hello: String\n}\n', encoding="utf-8")

    rules = {str(finding["rule"]) for finding in _lint(sdl)}

    assert "fields-have-descriptions" in rules
