"""CSV cells that a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import date
from decimal import Decimal

import pytest

from billing.exports.cells import Cell, csv_chunks, safe_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Dr. Adams", "Dr. Adams"),
        ("a=b", "a=b"),
        (None, ""),
        (True, "true"),
        (Decimal("-12.50"), "-12.50"),
        (42, "42"),
        (date(2025, 1, 5), "2025-01-05"),
    ],
)
def test_cells(value: Cell, written: str) -> None:
    assert safe_cell(value) == written


async def _rows(rows: Sequence[Sequence[Cell]]) -> AsyncIterator[Sequence[Cell]]:
    for row in rows:
        yield row


async def test_the_document_quotes_what_needs_quoting_and_reads_back() -> None:
    rows: list[list[Cell]] = [
        ["=cmd|' /C calc'!A0", 'He said "hi", twice'],
        ["line\nbreak", Decimal("1.00")],
    ]

    text = "".join([chunk async for chunk in csv_chunks(["a", "b"], _rows(rows))])

    assert list(csv.reader(io.StringIO(text))) == [
        ["a", "b"],
        ["'=cmd|' /C calc'!A0", 'He said "hi", twice'],
        ["line\nbreak", "1.00"],
    ]


async def test_a_long_document_comes_in_chunks() -> None:
    rows = [[str(index), "x"] for index in range(1201)]

    chunks = [chunk async for chunk in csv_chunks(["n", "x"], _rows(rows))]

    assert len(chunks) == 3
    assert sum(chunk.count("\r\n") for chunk in chunks) == 1202
