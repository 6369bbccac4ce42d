"""A patient's insurance coverages: checking new ones, reading them decrypted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from billing.errors import DomainError, ErrorCode
from billing.patients.purposes import COVERAGE_MEMBER_ID
from billing.phi_cipher import PhiCipher
from models.patients import Coverage

MAX_COVERAGES = 9
_PAYER_MAX = 200
_MEMBER_ID_MAX = 64
_GROUP_MAX = 64


@dataclass(frozen=True, slots=True)
class NewCoverage:
    payer_name: str
    member_id: str
    group_number: str | None
    priority: int


@dataclass(frozen=True, slots=True)
class CoverageRecord:
    """A coverage with its member id decrypted. Holds PHI."""

    id: int
    patient_id: int
    payer_name: str
    member_id: str
    group_number: str | None
    priority: int


def check_coverages(coverages: Sequence[NewCoverage]) -> list[NewCoverage]:
    """The coverages tidied, in priority order. ``INVALID_INPUT`` naming the field of the
    first bad one: a payer or member id missing or too long, a priority outside 1 to 9 or
    given twice, more than nine coverages."""
    if len(coverages) > MAX_COVERAGES:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"At most {MAX_COVERAGES} coverages.", "coverages"
        )
    cleaned: list[NewCoverage] = []
    seen: set[int] = set()
    for index, coverage in enumerate(coverages):
        field = f"coverages.{index}"
        if not 1 <= coverage.priority <= MAX_COVERAGES or coverage.priority in seen:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                f"priority must be 1 to {MAX_COVERAGES}, each used once.",
                f"{field}.priority",
            )
        seen.add(coverage.priority)
        group = " ".join((coverage.group_number or "").split()) or None
        if group is not None and len(group) > _GROUP_MAX:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                f"group_number is at most {_GROUP_MAX} characters.",
                f"{field}.group_number",
            )
        cleaned.append(
            NewCoverage(
                payer_name=_text(coverage.payer_name, _PAYER_MAX, f"{field}.payer_name"),
                member_id=_text(coverage.member_id, _MEMBER_ID_MAX, f"{field}.member_id"),
                group_number=group,
                priority=coverage.priority,
            )
        )
    return sorted(cleaned, key=lambda coverage: coverage.priority)


async def replace_coverages(
    cipher: PhiCipher, patient_id: int, coverages: Sequence[NewCoverage]
) -> None:
    """The patient's coverages become ``coverages`` (checked ones). Call in a transaction."""
    await Coverage.filter(patient_id=patient_id).delete()
    if coverages:
        await Coverage.bulk_create(
            [
                Coverage(
                    patient_id=patient_id,
                    payer_name=coverage.payer_name,
                    member_id_ct=cipher.encrypt(coverage.member_id, COVERAGE_MEMBER_ID),
                    group_number=coverage.group_number,
                    priority=coverage.priority,
                )
                for coverage in coverages
            ]
        )


async def coverages_by_patient(
    cipher: PhiCipher, patient_ids: Sequence[int]
) -> dict[int, list[CoverageRecord]]:
    """Each patient's coverages, primary first, member ids decrypted; one query."""
    rows = await Coverage.filter(patient_id__in=sorted(set(patient_ids))).order_by(
        "patient_id", "priority"
    )
    grouped: dict[int, list[CoverageRecord]] = defaultdict(list)
    for row in rows:
        grouped[row.patient_id].append(
            CoverageRecord(
                id=row.id,
                patient_id=row.patient_id,
                payer_name=row.payer_name,
                member_id=cipher.decrypt(row.member_id_ct, COVERAGE_MEMBER_ID),
                group_number=row.group_number,
                priority=row.priority,
            )
        )
    return grouped


def _text(value: str, limit: int, field: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > limit:
        name = field.rpartition(".")[2]
        raise DomainError(ErrorCode.INVALID_INPUT, f"{name} must be 1-{limit} characters.", field)
    return cleaned


async def primary_payer_names(patient_ids: Sequence[int]) -> dict[int, str]:
    """The payer of each patient's primary (first priority) coverage, for those who have
    one; one query, nothing decrypted."""
    rows = (
        await Coverage.filter(patient_id__in=sorted(set(patient_ids)))
        .order_by("patient_id", "priority")
        .values_list("patient_id", "payer_name")
    )
    payers: dict[int, str] = {}
    for patient_id, payer_name in rows:
        payers.setdefault(int(patient_id), str(payer_name))
    return payers
