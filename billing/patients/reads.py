"""Reading patients for the API: rows by id and balances, a batch per query."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.expressions import Q
from tortoise.functions import Sum

from models.enums import InvoiceStatus
from models.invoices import Invoice
from models.patients import Patient


async def patients_by_id(ids: Iterable[int]) -> dict[int, Patient]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {row.id: row for row in await Patient.filter(id__in=wanted)}


async def balances_by_patient(patient_ids: Iterable[int], currency: str) -> dict[int, int]:
    """What each patient owes on invoices in ``currency`` that are not void, in minor units."""
    wanted = sorted(set(patient_ids))
    if not wanted:
        return {}
    rows = (
        await Invoice.filter(
            Q(patient_id__in=wanted, currency=currency) & ~Q(status=InvoiceStatus.VOID)
        )
        .annotate(owed=Sum("balance_minor"))
        .group_by("patient_id")
        .values_list("patient_id", "owed")
    )
    found = {int(patient_id): int(owed or 0) for patient_id, owed in rows}
    return {patient_id: found.get(patient_id, 0) for patient_id in wanted}
