"""The migrations on disk build the database the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tortoise import Tortoise
from tortoise.connection import get_connection

from models.audit import AuditChainHead

_CHANGES_SCRIPT = textwrap.dedent(
    """
    import asyncio
    from tortoise.context import TortoiseContext
    from tortoise.migrations.autodetector import MigrationAutodetector
    from api.database import tortoise_config

    async def main():
        config = tortoise_config("sqlite://:memory:")
        async with TortoiseContext() as ctx:
            await ctx.init(config=config)
            writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
            print(len(writers))

    asyncio.run(main())
    """
)


def test_models_have_no_changes_missing_from_the_migrations() -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _CHANGES_SCRIPT], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "0", "run `.venv/bin/tortoise makemigrations`"


async def test_migrations_create_every_model_table(db: None) -> None:
    connection = get_connection("default")
    for model in Tortoise.apps["models"].values():
        rows = await connection.execute_query_dict(
            f"SELECT COUNT(*) AS n FROM {model._meta.db_table}"  # noqa: S608
        )
        # An empty database holds the access log's signed genesis head, and nothing else.
        assert rows[0]["n"] == (1 if model is AuditChainHead else 0), model.__name__
