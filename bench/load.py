"""Driving a server with wrk from a second process, bounded in time."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPLAY_SCRIPT = Path(__file__).with_name("replay.lua")
_RESULT_PREFIX = "BENCH_RESULT "


class LoadToolMissing(RuntimeError):
    """wrk is not installed (``make bench`` installs Debian's package)."""


@dataclass(frozen=True, slots=True)
class LoadSettings:
    duration_seconds: int
    connections: int
    threads: int = 1
    timeout_seconds: int = 10


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one wrk run measured. Latencies in milliseconds."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    non_2xx: int
    timeouts: int
    # Answered 200 but not with what the scenario expects (a GraphQL or payload error).
    unexpected: int
    # How often a thread ran out of prepared requests and started over.
    wrapped: int

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failures(self) -> int:
        return self.socket_errors + self.non_2xx + self.timeouts + self.unexpected


class LoadRun:
    """One wrk process replaying ``request_file`` against ``base_url``; ``start`` it, do
    other things (another load, say), then ``result`` waits for it."""

    def __init__(
        self, base_url: str, request_file: Path, expected: str, settings: LoadSettings
    ) -> None:
        wrk = shutil.which("wrk")
        if wrk is None:
            raise LoadToolMissing("wrk is not installed: run `apt-get install -y wrk`")
        self._command = [
            wrk,
            f"--threads={settings.threads}",
            f"--connections={settings.connections}",
            f"--duration={settings.duration_seconds}s",
            f"--timeout={settings.timeout_seconds}s",
            f"--script={REPLAY_SCRIPT}",
            base_url,
            "--",
            str(request_file),
            expected,
            str(settings.threads),
        ]
        self._limit = settings.duration_seconds + settings.timeout_seconds + 60
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> LoadRun:
        self._process = subprocess.Popen(  # noqa: S603 (wrk, found on PATH, our arguments)
            self._command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        return self

    def result(self) -> LoadResult:
        if self._process is None:
            raise RuntimeError("the load run was not started")
        try:
            output, _ = self._process.communicate(timeout=self._limit)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            raise RuntimeError("wrk did not stop in time") from None
        for line in output.splitlines():
            if line.startswith(_RESULT_PREFIX):
                return _parse(json.loads(line[len(_RESULT_PREFIX) :]))
        raise RuntimeError(f"wrk printed no result:\n{output}")


def run_load(
    base_url: str, request_file: Path, expected: str, settings: LoadSettings
) -> LoadResult:
    return LoadRun(base_url, request_file, expected, settings).start().result()


def _parse(raw: dict[str, float]) -> LoadResult:
    return LoadResult(
        requests=int(raw["requests"]),
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        socket_errors=int(raw["socket_errors"]),
        non_2xx=int(raw["non_2xx"]),
        timeouts=int(raw["timeouts"]),
        unexpected=int(raw["unexpected"]),
        wrapped=int(raw["wrapped"]),
    )
