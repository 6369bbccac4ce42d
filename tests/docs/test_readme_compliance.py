"""The README's compliance table maps every HIPAA technical safeguard (45 CFR 164.312) and
every PCI DSS SAQ A expectation to the tests that prove it, and every test the README names
still exists: renaming or deleting one fails here, not silently in the documentation."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from tests.support.paths import REPOSITORY

README = REPOSITORY / "README.md"
_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")

REQUIREMENTS = (
    "unique user identification",
    "emergency access procedure",
    "automatic logoff",
    "encryption and decryption",
    "audit controls",
    "integrity",
    "person or entity authentication",
    "transmission security",
    "no card data stored, processed or transmitted",
    "the payment page's scripts come from the processor",
)


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _table_rows() -> list[list[str]]:
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in _section("Compliance evidence").splitlines()
        if line.startswith("| ") and not line.startswith("| requirement")
    ]
    return [row for row in rows if not set(row[0]) <= {"-"}]


@cache
def _tests_in(path: str) -> frozenset[str]:
    tree = ast.parse((REPOSITORY / path).read_text(encoding="utf-8"))
    return frozenset(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    )


@pytest.mark.parametrize("requirement", REQUIREMENTS)
def test_every_requirement_has_a_row_with_tests(requirement: str) -> None:
    rows = [row for row in _table_rows() if requirement in row[0].lower()]

    assert len(rows) == 1, f"no row (or several) for {requirement!r}"
    [row] = rows
    assert len(row) == 4, row
    assert _REFERENCE.findall(row[2]), f"{requirement!r} names no test"


def _missing(references: list[tuple[str, str]]) -> list[str]:
    return [
        f"{path}::{name}"
        for path, name in references
        if not Path(REPOSITORY / path).is_file() or name not in _tests_in(path)
    ]


def test_every_test_the_readme_names_exists() -> None:
    references = _REFERENCE.findall(README.read_text(encoding="utf-8"))

    assert len(references) > 20
    assert _missing(references) == []


def test_a_test_renamed_or_a_file_moved_is_reported() -> None:
    this = "tests/docs/test_readme_compliance.py"

    assert _missing([(this, "test_every_test_the_readme_names_exists")]) == []
    assert _missing([(this, "test_renamed_meanwhile"), ("tests/gone.py", "test_x")]) == [
        f"{this}::test_renamed_meanwhile",
        "tests/gone.py::test_x",
    ]
