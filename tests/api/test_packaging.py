"""The image installs the packages into its virtualenv and copies web/ into its working
folder (Dockerfile): the data files the code reads at run time must be installed with it,
or production would start without its registered documents or the statement font."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from schema.documents.console import console_folder
from schema.documents.registry import bundled_documents
from tests.support.paths import REPOSITORY

COUNT_DOCUMENTS = (
    "from schema.documents.registry import bundled_documents; "
    "print(len(bundled_documents().manifest()))"
)


def _installed_packages(into: Path) -> Path:
    """The packages as setuptools installs them (pyproject's packages and package data)."""
    subprocess.run(  # noqa: S603 (our own interpreter and repository)
        [
            sys.executable,
            "-c",
            "from setuptools import setup; setup()",
            "-q",
            "build_py",
            "--build-lib",
            str(into),
        ],
        cwd=REPOSITORY,
        check=True,
        capture_output=True,
    )
    return into


def _documents_seen(packages: Path, working_folder: Path) -> int:
    environment = {**os.environ, "PYTHONPATH": str(packages)}
    printed = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", COUNT_DOCUMENTS],
        cwd=working_folder,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(printed)


def test_installed_packages_carry_their_documents_and_find_the_console_in_the_working_folder(
    tmp_path: Path,
) -> None:
    packages = _installed_packages(tmp_path / "site-packages")
    fonts = packages / "billing" / "statements" / "fonts"
    assert (fonts / "LICENSE").is_file()
    assert list(fonts.glob("*.ttf"))
    bare, app = tmp_path / "bare", tmp_path / "app"
    bare.mkdir()
    shutil.copytree(REPOSITORY / "web", app / "web")

    # As in the image: every registered document, the console's included.
    assert _documents_seen(packages, app) == len(bundled_documents().manifest())
    # Without web/ the contract's documents are still there, the console's are not.
    assert 0 < _documents_seen(packages, bare) < len(bundled_documents().manifest())


def test_the_console_is_found_beside_the_packages_or_in_the_working_folder(
    tmp_path: Path,
) -> None:
    installed, working = tmp_path / "site-packages" / "web", tmp_path / "app" / "web"
    working.mkdir(parents=True)
    (working / "index.html").write_text("<!doctype html>")

    assert console_folder((installed, working)) == working
    assert console_folder((installed,)) is None
    assert console_folder() == REPOSITORY / "web"
