"""The databases a run creates for itself and removes afterwards: SQLite files under
``bench/var`` or PostgreSQL databases on the local server."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from bench.processes import python_module


@dataclass(frozen=True, slots=True)
class BenchDatabase:
    """One database: ``url`` as the app reads it from ``DATABASE_URL``."""

    backend: str
    name: str
    url: str
    sqlite_path: Path | None = None
    admin_url: str | None = None

    @classmethod
    def sqlite(cls, folder: Path, name: str) -> BenchDatabase:
        path = folder / f"{name}.sqlite3"
        return cls("sqlite", name, f"sqlite://{path}", sqlite_path=path)

    @classmethod
    def postgres(cls, server_url: str, name: str) -> BenchDatabase:
        server = server_url.rstrip("/")
        return cls("postgres", name, f"{server}/{name}", admin_url=f"{server}/postgres")

    async def recreate(self) -> None:
        """Drop what an earlier run left, then create it empty."""
        await self.drop()
        if self.admin_url is not None:
            connection = await asyncpg.connect(self.admin_url)
            try:
                await connection.execute(f'CREATE DATABASE "{self.name}"')
            finally:
                await connection.close()
        elif self.sqlite_path is not None:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)

    async def drop(self) -> None:
        if self.admin_url is not None:
            connection = await asyncpg.connect(self.admin_url)
            try:
                await connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            finally:
                await connection.close()
        else:
            self._remove_sqlite_files()

    def _remove_sqlite_files(self) -> None:
        if self.sqlite_path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.sqlite_path}{suffix}").unlink(missing_ok=True)

    def migrate(self, env: dict[str, str], log_path: Path) -> None:
        """``billing migrate``, as a release would run it, with the server's environment."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            subprocess.run(  # noqa: S603 (our own command line)
                python_module("api.cli", "migrate"),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=300,
            )
