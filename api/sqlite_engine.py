"""Tortoise's SQLite client, with write transactions that take the database lock at BEGIN.

SQLite's default ``BEGIN`` is deferred: two processes can both read, then both try to
write, and one fails at once with "database is locked" (waiting cannot help: each holds
what the other needs). ``BEGIN IMMEDIATE`` takes the write lock first, so a second process
waits (``busy_timeout``) and then sees the first one's committed rows. Within one process
Tortoise already runs one transaction at a time. Named in the Tortoise config as the
``engine`` of SQLite connections (``api.database``).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient


def get_client_class(_db_info: dict[str, Any]) -> type[ImmediateSqliteClient]:
    return ImmediateSqliteClient
