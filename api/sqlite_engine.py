"""Tortoise's SQLite client, with write transactions that take the database lock at BEGIN.

SQLite's default ``BEGIN`` is deferred: two processes can both read, then both try to
write, and one fails at once with "database is locked" (waiting cannot help: each holds
what the other needs). ``BEGIN IMMEDIATE`` takes the write lock first, so a second process
waits (``busy_timeout``) and then sees the first one's committed rows. Within one process
Tortoise already runs one transaction at a time. Each connection also gets the
``local_period`` function the reports use (``billing.reports.local_time``). Named in the
Tortoise config as the ``engine`` of SQLite connections (``api.database``).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionalDBClient, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

from billing.reports.local_time import SQLITE_LOCAL_PERIOD, local_period


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateTransactionContext(SqliteTransactionContext):
    async def __aenter__(self) -> TransactionalDBClient:
        # Tortoise takes the process's transaction lock before BEGIN and gives it back only in
        # __aexit__, which never runs when BEGIN fails (busy_timeout passed): release it here,
        # or every later query of this process waits for it forever.
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        client: TransactionalDBClient = self.connection
        return client


class ImmediateSqliteClient(SqliteClient):
    async def _post_connect(self) -> None:
        await super()._post_connect()
        # Reports group by local dates; SQLite has no time zones of its own.
        connection = self._connection
        if connection is not None:
            await connection.create_function(
                SQLITE_LOCAL_PERIOD, 3, local_period, deterministic=True
            )

    def _in_transaction(self) -> TransactionContext:
        return ImmediateTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient


def get_client_class(_db_info: dict[str, Any]) -> type[ImmediateSqliteClient]:
    return ImmediateSqliteClient
