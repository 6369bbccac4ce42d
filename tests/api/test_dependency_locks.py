"""The locks the install checks: every package pinned with its hashes, the image's runtime
lock the same versions as the test environment's, and pyproject's pins in both."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from tests.support.paths import REPOSITORY

_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)")


def _locked(name: str) -> dict[str, tuple[str, int]]:
    """Package -> (version, number of hashes) of a pip-compile lock file."""
    locked: dict[str, tuple[str, int]] = {}
    current: str | None = None
    for line in (REPOSITORY / name).read_text().splitlines():
        pin = _PIN.match(line)
        if pin:
            current = pin.group(1).lower().replace("_", "-")
            locked[current] = (pin.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = locked[current]
            locked[current] = (version, hashes + 1)
    return locked


def _pyproject_pins(extra: str | None = None) -> dict[str, str]:
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    declared = project["optional-dependencies"][extra] if extra else project["dependencies"]
    pins = {}
    for text in declared:
        requirement = Requirement(text)
        [specifier] = requirement.specifier
        assert specifier.operator == "==", f"{text} is not pinned exactly"
        pins[requirement.name.lower().replace("_", "-")] = specifier.version
    return pins


def test_every_locked_package_carries_its_hashes() -> None:
    for name in ("requirements.lock", "requirements-dev.lock"):
        locked = _locked(name)
        assert locked, name
        assert [package for package, (_, hashes) in locked.items() if hashes == 0] == []


def test_the_test_environment_runs_the_images_versions() -> None:
    runtime, dev = _locked("requirements.lock"), _locked("requirements-dev.lock")

    assert {package: dev.get(package, ("missing", 0))[0] for package in runtime} == {
        package: version for package, (version, _) in runtime.items()
    }


def test_pyprojects_pins_are_what_is_locked() -> None:
    runtime, dev = _locked("requirements.lock"), _locked("requirements-dev.lock")

    for package, version in _pyproject_pins().items():
        assert runtime[package][0] == version, package
    for package, version in _pyproject_pins("dev").items():
        assert dev[package][0] == version, package


def _lock_entry(package: str) -> str:
    """The lines of one package in requirements-dev.lock, its hashes with it."""
    lines = (REPOSITORY / "requirements-dev.lock").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.lower().startswith(f"{package}=="))
    entry = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.strip().startswith("--hash="):
            break
        entry.append(line)
    return "\n".join(entry).rstrip(" \\") + "\n"


def _download(lock: Path, into: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--require-hashes",
            "--dest",
            str(into),
            "-r",
            str(lock),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_a_package_whose_file_does_not_match_its_hash_is_refused(tmp_path: Path) -> None:
    entry = _lock_entry("iniconfig")
    good, tampered = tmp_path / "good.lock", tmp_path / "tampered.lock"
    good.write_text(entry)
    tampered.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, entry))

    accepted = _download(good, tmp_path / "good")
    refused = _download(tampered, tmp_path / "tampered")

    assert accepted.returncode == 0, accepted.stderr
    assert refused.returncode != 0
    assert "DO NOT MATCH THE HASHES" in refused.stderr
