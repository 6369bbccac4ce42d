"""What staff read of remittances: the list (or the worklist of those with unmatched
claims), one remittance's claims, and remittances or claims by id."""

from __future__ import annotations

from collections.abc import Sequence

from models.remittances import Remittance, RemittanceClaim


async def remittance_page(*, unmatched_only: bool, offset: int, limit: int) -> list[Remittance]:
    """Newest first; with ``unmatched_only``, only those with a claim still unmatched."""
    query = Remittance.all()
    if unmatched_only:
        query = query.filter(unmatched_count__gt=0)
    return await query.order_by("-id").offset(offset).limit(limit)


async def count_remittances(*, unmatched_only: bool) -> int:
    query = Remittance.all()
    if unmatched_only:
        query = query.filter(unmatched_count__gt=0)
    return await query.count()


async def claims_of(remittance_id: int) -> list[RemittanceClaim]:
    """A remittance's claims in the file's order."""
    return await RemittanceClaim.filter(remittance_id=remittance_id).order_by("position")


async def remittances_by_id(ids: Sequence[int]) -> dict[int, Remittance]:
    return {row.id: row for row in await Remittance.filter(id__in=list(ids))}


async def claims_by_id(ids: Sequence[int]) -> dict[int, RemittanceClaim]:
    return {row.id: row for row in await RemittanceClaim.filter(id__in=list(ids))}
