"""Raw SQL for reports that the ORM cannot say (local dates, conditional sums over joins):
parameters in the dialect's style, rows as dicts."""

from __future__ import annotations

from typing import Any

from tortoise.connection import get_connection


class SqlParameters:
    """Collects the values of one statement; ``add`` returns the placeholder to write.
    Add values in the order their placeholders appear in the text: SQLite's ``?`` are
    bound by position."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.dialect == "postgres" else "?"


def current_dialect() -> str:
    """``postgres`` or ``sqlite``: the default connection's."""
    return str(get_connection("default").capabilities.dialect)


async def fetch_rows(sql: str, parameters: SqlParameters) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await get_connection("default").execute_query_dict(
        sql, parameters.values
    )
    return rows


def whole(value: Any) -> int:
    """A SUM as an int: NULL over no rows is 0; PostgreSQL sums BIGINT as NUMERIC."""
    return 0 if value is None else int(value)
