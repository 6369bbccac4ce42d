"""The service as its own process, the way it runs in production (no tests here).

``app_process`` starts ``billing serve`` (``python -m api.cli serve``) on a loopback port
with the environment given, waits until ``/readyz`` answers, and stops the process when the
block ends, however it ends. ``AppProcess.kill`` ends it at once with SIGKILL, as a crashed or
OOM-killed worker ends. The process writes its log to a file, so a failed start can say why.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.paths import REPOSITORY

STARTUP_SECONDS = 30.0
STOP_SECONDS = 10.0
# Variables of the test process that would change how the served app behaves.
_DROPPED_VARIABLES = (
    "DATABASE_URL",
    "BILLING_ENV",
    "BILLING_SECRET_KEY",
    "PHI_ENCRYPTION_KEY",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "SHIPPING_WEBHOOK_SECRET",
    "PUBLIC_BASE_URL",
    "SESSION_IDLE_MINUTES",
    "ALLOW_SQLITE_IN_PRODUCTION",
    "SMTP_URL",
    "CORS_ALLOWED_ORIGINS",
    "CONSOLE_IDLE_SECONDS",
    "GRAPHQL_DOCUMENTS",
)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class AppProcess:
    process: asyncio.subprocess.Process
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback by the app, nothing flushed."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                async with asyncio.timeout(STOP_SECONDS):
                    await self.process.wait()
            except TimeoutError:
                await self.kill()
        await self.process.wait()


@contextlib.asynccontextmanager
async def app_process(
    environment: Mapping[str, str], log_path: Path, port: int | None = None
) -> AsyncIterator[AppProcess]:
    """``billing serve`` on ``port`` (a free one by default) with ``environment`` on top of
    this process's environment less the service's own variables."""
    env = {key: value for key, value in os.environ.items() if key not in _DROPPED_VARIABLES}
    env.update(environment)
    chosen_port = port or free_port()
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "api.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(chosen_port),
            env=env,
            cwd=REPOSITORY,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    served = AppProcess(process, chosen_port, log_path)
    try:
        await _wait_until_healthy(served)
        yield served
    finally:
        await served.stop()


async def _wait_until_healthy(served: AppProcess) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=2) as http:
        try:
            async with asyncio.timeout(STARTUP_SECONDS):
                while True:
                    if served.process.returncode is not None:
                        break
                    with contextlib.suppress(httpx.TransportError):
                        if (await http.get("/readyz")).status_code == 200:
                            return
                    await asyncio.sleep(0.1)
        except TimeoutError:
            pass
    raise AssertionError(
        f"billing serve did not become healthy on port {served.port} "
        f"(exit code {served.process.returncode}); its log ends with:\n{served.log_tail()}"
    )
