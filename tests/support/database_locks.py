"""Locks a test takes on the database from a connection of its own, to stop the app at a
known point of a request: on PostgreSQL the app's statement waits for the table lock; on
SQLite the app's transaction waits for the database's write lock until its busy timeout,
then fails. No tests here."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

WAIT_SECONDS = 20.0


@dataclass
class PostgresLock:
    """A table lock held in an open transaction of the test's own connection."""

    connection: Any

    async def waiting_backend(self, statement_prefix: str = "") -> int:
        """The pid of the first other backend of this database waiting for a lock, whose
        statement starts with ``statement_prefix``; fails after ``WAIT_SECONDS``."""
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                # Inside a transaction the activity view is a snapshot: take a fresh one.
                await self.connection.execute("SELECT pg_stat_clear_snapshot()")
                pid = await self.connection.fetchval(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND wait_event_type = 'Lock' AND query LIKE $1 ORDER BY pid LIMIT 1",
                    f"{statement_prefix}%",
                )
                if pid is not None:
                    return int(pid)
                await asyncio.sleep(0.02)

    async def terminate(self, pid: int) -> None:
        """End that backend as an administrator or a failover does: its client's
        connection drops mid-statement and its transaction is rolled back."""
        assert await self.connection.fetchval("SELECT pg_terminate_backend($1)", pid)


@asynccontextmanager
async def postgres_table_lock(
    database_url: str, table: str, mode: str
) -> AsyncIterator[PostgresLock]:
    """Hold ``LOCK TABLE table IN mode MODE`` until the block ends."""
    connection = await asyncpg.connect(database_url)
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute(f'LOCK TABLE "{table}" IN {mode} MODE')
        yield PostgresLock(connection)
        await transaction.rollback()
    finally:
        await connection.close()


@contextmanager
def sqlite_write_lock(path: Path) -> Iterator[None]:
    """Hold the write lock of the SQLite database at ``path`` until the block ends."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()
