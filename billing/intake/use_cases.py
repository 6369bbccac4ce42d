"""What the clinical system and the operators ask of the intake, one function per request.

``receive_charge_bundle`` takes a whole Bundle in one transaction, its access-log records
inside it: the request itself (who sent it, how many entries had which answer) and, per
patient, the charges it added or withdrew. The actor is the API client.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.errors import DomainError, ErrorCode
from billing.intake.bundles import ChargeEntry
from billing.intake.charges import EntryAnswer, EntryOutcome, take_entries
from models.enums import AuditOutcome
from models.intake import IntakeLocation
from models.locations import Location

RECEIVE_BUNDLE = AuditedAction("intake.bundle", "Bundle")
CHARGE_RESOURCE = "HeldCharge"
_CHARGE_ACTIONS = {
    EntryOutcome.ADDED: "charge.received",
    EntryOutcome.WITHDRAWN: "charge.withdrawn",
    EntryOutcome.ADJUSTED: "charge.withdrawn_from_invoice",
}


async def receive_charge_bundle(
    audit: AuditBuffer, entries: Sequence[ChargeEntry], *, now: datetime | None = None
) -> list[EntryAnswer]:
    """Hold, recognise or withdraw each charge of the bundle; one answer per entry."""
    client_id = audit.actor.user_id
    assert client_id is not None
    async with in_transaction():
        answers = await take_entries(client_id, entries, now=now or datetime.now(UTC))
        _record_charges(audit, answers)
        counts = {outcome: 0 for outcome in EntryOutcome}
        for answer in answers:
            counts[answer.outcome] += 1
        audit.record(
            RECEIVE_BUNDLE.name,
            AuditOutcome.SUCCESS,
            resource_type=RECEIVE_BUNDLE.resource_type,
            reference=" ".join(f"{outcome.value}={n}" for outcome, n in counts.items() if n),
        )
        await audit.flush()
    return answers


async def record_refused_bundle(audit: AuditBuffer, reason: str) -> None:
    """Put a request the client may not make, or that is no Bundle, on the access log."""
    await audit.write_now(
        RECEIVE_BUNDLE.name,
        AuditOutcome.FAILURE,
        resource_type=RECEIVE_BUNDLE.resource_type,
        reference=reason,
    )


def _record_charges(audit: AuditBuffer, answers: Sequence[EntryAnswer]) -> None:
    grouped: dict[tuple[str, int | None], list[str]] = {}
    for answer in answers:
        action = _CHARGE_ACTIONS.get(answer.outcome)
        if action is not None and answer.charge_id is not None:
            grouped.setdefault((action, answer.patient_id), []).append(str(answer.charge_id))
    for (action, patient_id), ids in grouped.items():
        audit.record(
            action,
            AuditOutcome.SUCCESS,
            resource_type=CHARGE_RESOURCE,
            resource_id=",".join(ids),
            patient_id=patient_id,
        )


async def set_location_code(code: str, location_name: str) -> IntakeLocation:
    """The clinical system names the location ``location_name`` by ``code`` from now on
    (a code named before moves to it)."""
    clean = code.strip()
    if not clean or len(clean) > 64:
        raise DomainError(ErrorCode.INVALID_INPUT, "A code of 1-64 characters is required.", "code")
    location = await Location.get_or_none(name__iexact=" ".join(location_name.split()))
    if location is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No location has this name.", "location")
    async with in_transaction():
        existing = await IntakeLocation.get_or_none(code=clean)
        if existing is not None:
            existing.location_id = location.id
            await existing.save(update_fields=["location_id"])
            return existing
        try:
            return await IntakeLocation.create(code=clean, location_id=location.id)
        except IntegrityError:
            raise DomainError(ErrorCode.CONFLICT, "The code was just taken.", "code") from None
