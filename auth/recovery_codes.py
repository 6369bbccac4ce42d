"""Recovery codes: ten single-use second factors, for a lost authenticator.

Each has 50 random bits, so a keyed hash (HMAC-SHA256 with the secret key) stores it
safely without a slow password hash."""

from __future__ import annotations

from datetime import datetime

from auth.tokens import keyed_hash, new_human_code, normalize_human_code
from models.users import RecoveryCode

RECOVERY_CODE_COUNT = 10
_PURPOSE = "recovery-code"


async def replace_recovery_codes(user_id: int, *, secret_key: str) -> list[str]:
    """Ten new codes for ``user_id``, shown once; the old ones stop working."""
    codes = [new_human_code(10, group=5) for _ in range(RECOVERY_CODE_COUNT)]
    await RecoveryCode.filter(user_id=user_id).delete()
    await RecoveryCode.bulk_create(
        [RecoveryCode(user_id=user_id, code_hash=_hash(secret_key, code)) for code in codes]
    )
    return codes


async def use_recovery_code(user_id: int, code: str, *, secret_key: str, now: datetime) -> bool:
    """Whether ``code`` is an unused recovery code of ``user_id``; it is used up if so.

    A conditional update, so two requests racing with one code cannot both pass."""
    used: int = await RecoveryCode.filter(
        user_id=user_id, code_hash=_hash(secret_key, code), used_at__isnull=True
    ).update(used_at=now)
    return used == 1


async def count_unused_recovery_codes(user_id: int) -> int:
    """How many recovery codes ``user_id`` has left (to warn when few remain)."""
    remaining: int = await RecoveryCode.filter(user_id=user_id, used_at__isnull=True).count()
    return remaining


def looks_like_recovery_code(code: str) -> bool:
    """Whether ``code`` has the shape of a recovery code rather than a TOTP code."""
    return len(normalize_human_code(code)) == 10


def _hash(secret_key: str, code: str) -> str:
    return keyed_hash(secret_key, _PURPOSE, normalize_human_code(code))
