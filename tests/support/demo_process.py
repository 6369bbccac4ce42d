"""`make run` as a separate process for the tests that drive the demo (no tests here): a
SQLite file migrated and seeded as `make run` does, then `billing serve
--with-stripe-simulator` on free loopback ports, in its own process group."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

SIMULATOR_LINE = re.compile(r"Stripe simulator \(pid (\d+)\) at (http://127\.0\.0\.1:(\d+))")
STARTUP_SECONDS = 30
STOP_SECONDS = 15


@dataclass(frozen=True)
class RunningDemo:
    process: subprocess.Popen[bytes]
    app_url: str
    simulator_url: str
    simulator_pid: int
    simulator_port: int
    database_url: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def demo_environment(database_url: str) -> dict[str, str]:
    """The caller's environment without any billing or Stripe setting, as on a fresh machine."""
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("BILLING_", "STRIPE_", "PUBLIC_BASE_URL"))
        },
        "DATABASE_URL": database_url,
    }


def billing(*args: str) -> list[str]:
    return [sys.executable, "-m", "api.cli", *args]


def seeded_database(folder: Path) -> str:
    """A SQLite file migrated and seeded the way `make run` does it before serving."""
    url = f"sqlite://{folder / 'billing.sqlite3'}"
    for command in ("migrate", "seed-demo"):
        done = subprocess.run(  # noqa: S603
            billing(command),
            env=demo_environment(url),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    return url


@contextlib.contextmanager
def running_demo(database_url: str, log_folder: Path) -> Iterator[RunningDemo]:
    """`billing serve --with-stripe-simulator` on free loopback ports, in its own process
    group so a test can press Ctrl-C on it and nothing it started outlives the test."""
    app_port, simulator_port = free_port(), free_port()
    output_path = log_folder / "serve.log"
    with output_path.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            billing(
                "serve",
                "--port",
                str(app_port),
                "--with-stripe-simulator",
                "--stripe-simulator-port",
                str(simulator_port),
            ),
            env=demo_environment(database_url),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        app_url = f"http://127.0.0.1:{app_port}"
        _wait_until_ready(process, app_url, output_path)
        found = SIMULATOR_LINE.search(output_path.read_text(encoding="utf-8"))
        assert found, output_path.read_text(encoding="utf-8")
        yield RunningDemo(
            process=process,
            app_url=app_url,
            simulator_url=found.group(2),
            simulator_pid=int(found.group(1)),
            simulator_port=int(found.group(3)),
            database_url=database_url,
        )
    finally:
        # The group outlives its leader while a child of the server is still running.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_SECONDS)


def _wait_until_ready(process: subprocess.Popen[bytes], app_url: str, log: Path) -> None:
    with httpx.Client(base_url=app_url, timeout=2) as http:
        for _ in range(STARTUP_SECONDS * 10):
            assert process.poll() is None, log.read_text(encoding="utf-8")
            try:
                if http.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise AssertionError(f"the demo was not ready in {STARTUP_SECONDS}s")
