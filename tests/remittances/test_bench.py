"""The remittance benchmark runs: it posts its generated file and prints what it measured."""

from __future__ import annotations

import subprocess
import sys

from tests.support.paths import REPOSITORY


def test_the_remittance_benchmark_posts_its_file_and_prints_seconds_and_memory() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.remittance", "--claims", "40"],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "posted: 40 claims, 0 unmatched, status POSTED" in result.stdout
    assert "seconds (validate and post):" in result.stdout
    assert "peak memory:" in result.stdout
