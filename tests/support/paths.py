"""Where the repository and the client contract beside it are."""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
# ../shared/contract, as CI checks the repository out beside ../shared.
CONTRACT_DIR = REPOSITORY.parent / "shared" / "contract"
