"""A `billing` command run as its own process, as cron runs it, without blocking the
test's event loop (no tests here)."""

from __future__ import annotations

import asyncio
import os
import sys

from tests.support.paths import REPOSITORY


async def billing_process(
    database_url: str, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """``billing ARGS`` against ``database_url`` in development, with ``env`` added; its
    exit status and its standard output and error together."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "STRIPE_"))},
        "DATABASE_URL": database_url,
        "BILLING_ENV": "development",
        **(env or {}),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        *args,
        cwd=REPOSITORY,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, output.decode()
