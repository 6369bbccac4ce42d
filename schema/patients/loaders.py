"""Per-request DataLoaders for patients: rows, coverages and balances of every patient a
response shows, one query each however many there are. Like every loader, they live for
one request (``patient_loaders(info)``)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from strawberry import Info
from strawberry.dataloader import DataLoader

from billing.patients.coverages import CoverageRecord, coverages_by_patient
from billing.patients.reads import balances_by_patient, patients_by_id
from billing.phi_cipher import PhiCipher
from models.patients import Patient as PatientRow
from schema.context import GraphQLContext
from schema.patients.cipher import phi_cipher


class PatientByIdLoader(DataLoader[int, PatientRow | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    @staticmethod
    async def _load(keys: list[int]) -> list[PatientRow | None]:
        found = await patients_by_id(keys)
        return [found.get(key) for key in keys]


class CoveragesByPatientLoader(DataLoader[int, list[CoverageRecord]]):
    def __init__(self, cipher: PhiCipher) -> None:
        self._cipher = cipher
        super().__init__(load_fn=self._load)

    async def _load(self, keys: list[int]) -> list[list[CoverageRecord]]:
        found = await coverages_by_patient(self._cipher, keys)
        return [found.get(key, []) for key in keys]


class BalanceByPatientLoader(DataLoader[int, int]):
    """What each patient owes in the service's first currency, in minor units."""

    def __init__(self, currency: str) -> None:
        self._currency = currency
        super().__init__(load_fn=self._load)

    async def _load(self, keys: list[int]) -> list[int]:
        found = await balances_by_patient(keys, self._currency)
        return [found.get(key, 0) for key in keys]


class PatientLoaders:
    def __init__(self, cipher: PhiCipher, currency: str) -> None:
        self._cipher = cipher
        self._currency = currency

    @cached_property
    def patient_by_id(self) -> PatientByIdLoader:
        return PatientByIdLoader()

    @cached_property
    def coverages_by_patient(self) -> CoveragesByPatientLoader:
        return CoveragesByPatientLoader(self._cipher)

    @cached_property
    def balance_by_patient(self) -> BalanceByPatientLoader:
        return BalanceByPatientLoader(self._currency)


def primary_currency(currencies: tuple[str, ...]) -> str:
    """Patients have no currency of their own: balances are in the service's first one."""
    return currencies[0] if currencies else "USD"


def patient_loaders(info: Info[GraphQLContext, Any]) -> PatientLoaders:
    """This request's patient loaders, created on first use."""
    context = info.context
    return context.request_scoped(
        PatientLoaders,
        lambda: PatientLoaders(phi_cipher(context), primary_currency(context.settings.currencies)),
    )
