"""The tries a one-time code from staff gives at its second proof (a patient's date of
birth, an invited user's address): one is reserved before the proof is checked, so parallel
guesses never get more than ``MAX_WRONG_PROOFS_PER_CODE``, and given back when the proof was
right. Both code tables (``EnrollmentCode``, ``OrganizationInvitation``) have the columns
this needs: ``used_at``, ``expires_at`` and ``failed_attempts``."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F
from tortoise.models import Model

MAX_WRONG_PROOFS_PER_CODE = 5


async def claim_code_try(code_table: type[Model], row_id: int, now: datetime) -> bool:
    """Reserve one of the code's tries; False when the code is used, expired or out of tries."""
    claimed: int = await code_table.filter(
        id=row_id,
        used_at__isnull=True,
        expires_at__gt=now,
        failed_attempts__lt=MAX_WRONG_PROOFS_PER_CODE,
    ).update(failed_attempts=F("failed_attempts") + 1)
    return claimed == 1


async def give_code_try_back(code_table: type[Model], row_id: int) -> None:
    """The proof was right: the reserved try was no failure."""
    await code_table.filter(id=row_id, failed_attempts__gt=0).update(
        failed_attempts=F("failed_attempts") - 1
    )
