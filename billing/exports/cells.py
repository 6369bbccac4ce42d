"""CSV text that is safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which
some spreadsheets skip before reading a formula) would run as a formula in Excel, LibreOffice
or Google Sheets (OWASP's "CSV injection"). Such a cell is written with a leading
apostrophe, which the spreadsheet shows as text; the csv module does the quoting.
Numbers we write ourselves (amounts, counts) are never text from a user and stay as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from datetime import date, datetime
from decimal import Decimal

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows per chunk handed to the HTTP response.
CHUNK_ROWS = 500

Cell = str | int | Decimal | date | datetime | bool | None


def safe_cell(value: Cell) -> str:
    """The text of one cell; text that a spreadsheet would read as a formula is defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


async def csv_chunks(
    header: Sequence[str], rows: AsyncIterable[Sequence[Cell]]
) -> AsyncIterator[str]:
    """The CSV document, a few hundred rows at a time, as the rows arrive: nothing holds
    more than one chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    pending = 0
    async for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        pending += 1
        if pending >= CHUNK_ROWS:
            yield _take(buffer)
            pending = 0
    yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text
