"""Emptying the test database between tests, as a fresh ``billing migrate`` leaves it: no
rows, and the access log's signed genesis head (no tests here)."""

from __future__ import annotations

from tortoise.contrib.test import truncate_all_models

from billing.audit.chain import audit_chain_key, initialize_audit_chain
from config.settings import Settings


async def reset_database(settings: Settings) -> None:
    """Every table emptied, then the chain head signed with ``settings``' key."""
    await truncate_all_models()
    await initialize_audit_chain(audit_chain_key(settings.secret_key.reveal()))
