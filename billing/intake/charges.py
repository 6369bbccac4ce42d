"""Taking the entries of a ChargeItem bundle: a billable charge is held once, whatever
number of times it is sent; ``entered-in-error`` withdraws a held charge, or adjusts the
invoice a charge is already on.

Every function here runs inside the caller's transaction; each entry has its own savepoint,
so one entry refused leaves the others as they are (FHIR ``batch`` semantics).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing.errors import DomainError
from billing.intake.bundles import (
    ChargeEntry,
    ChargeIdentifier,
    ChargeSubmission,
    ChargeWithdrawal,
    EntryIssue,
)
from billing.invoices.rules import adjust_invoice, record_insurance_decision
from billing.ledger.figures import summarize
from billing.money import MAX_AMOUNT_MINOR, to_minor
from billing.patients.search import normal_account_number
from models.intake import HeldCharge, HeldChargeStatus, IntakeLocation
from models.ledger import LedgerEntry
from models.patients import Patient

WITHDRAWN_REASON = "withdrawn by the clinical system"


class EntryOutcome(StrEnum):
    ADDED = "added"  # 201
    ALREADY_HAD = "already_had"  # 200: the same identifier was stored before
    WITHDRAWN = "withdrawn"  # 200: a held charge taken back
    ADJUSTED = "adjusted"  # 200: an invoiced charge taken off its invoice
    ALREADY_WITHDRAWN = "already_withdrawn"  # 200
    REFUSED = "refused"  # 422

    @property
    def http_status(self) -> int:
        if self is EntryOutcome.ADDED:
            return 201
        return 422 if self is EntryOutcome.REFUSED else 200


@dataclass(frozen=True, slots=True)
class EntryAnswer:
    outcome: EntryOutcome
    charge_id: int | None = None
    patient_id: int | None = None
    issue: EntryIssue | None = None


@dataclass(frozen=True, slots=True)
class _Known:
    patients: dict[str, int]  # account number as written -> patient id
    locations: dict[str, int]  # location code -> location id


async def take_entries(
    client_id: int, entries: Sequence[ChargeEntry], *, now: datetime
) -> list[EntryAnswer]:
    """The answer to each entry, in order. Call inside a transaction.

    New charges are inserted in identifier order, not bundle order, so two bundles sent at
    once that share charges take their row locks in one order and cannot deadlock."""
    known = await _resolve(entries)
    answers: dict[int, EntryAnswer] = {}
    order = sorted(
        (index for index, entry in enumerate(entries) if not isinstance(entry, EntryIssue)),
        key=lambda index: _sort_key(entries[index]),
    )
    for index, entry in enumerate(entries):
        if isinstance(entry, EntryIssue):
            answers[index] = EntryAnswer(EntryOutcome.REFUSED, issue=entry)
    for index in order:
        entry = entries[index]
        if isinstance(entry, ChargeWithdrawal):
            answers[index] = await _withdraw(client_id, entry.identifier)
        elif isinstance(entry, ChargeSubmission):
            answers[index] = await _add(client_id, entry, known, now)
    return [answers[index] for index in range(len(entries))]


def _sort_key(entry: ChargeEntry) -> tuple[str, str]:
    assert not isinstance(entry, EntryIssue)
    return entry.identifier.system, entry.identifier.value


async def _resolve(entries: Sequence[ChargeEntry]) -> _Known:
    submissions = [entry for entry in entries if isinstance(entry, ChargeSubmission)]
    numbers: dict[str, str] = {}
    for submission in submissions:
        try:
            numbers[submission.account_number] = normal_account_number(submission.account_number)
        except DomainError:
            continue  # not an account number at all: unknown, like a missing one
    stored = dict(
        await Patient.filter(account_number__in=sorted(set(numbers.values()))).values_list(
            "account_number", "id"
        )
    )
    codes = sorted({submission.location_code for submission in submissions})
    locations = dict(await IntakeLocation.filter(code__in=codes).values_list("code", "location_id"))
    return _Known(
        patients={
            written: int(stored[number]) for written, number in numbers.items() if number in stored
        },
        locations={str(code): int(location_id) for code, location_id in locations.items()},
    )


def _refused(code: str, path: str, what: str) -> EntryAnswer:
    issue = EntryIssue(code, f"ChargeItem.{path}", f"ChargeItem.{path} {what}")
    return EntryAnswer(EntryOutcome.REFUSED, issue=issue)


async def _add(
    client_id: int, submission: ChargeSubmission, known: _Known, now: datetime
) -> EntryAnswer:
    patient_id = known.patients.get(submission.account_number)
    if patient_id is None:
        return _refused("not-found", "subject.identifier", "names no known patient account")
    location_id = known.locations.get(submission.location_code)
    if location_id is None:
        return _refused("not-found", "performingOrganization.identifier", "names no known location")
    try:
        total = to_minor(submission.price, submission.currency, None)
    except DomainError:
        return _refused("value", "priceOverride.value", "has more decimals than its currency")
    if total > MAX_AMOUNT_MINOR:
        return _refused("value", "priceOverride.value", "is too large")
    if total % submission.quantity:
        return _refused(
            "business-rule",
            "priceOverride.value",
            "must divide evenly by quantity.value (it is the line's total)",
        )
    earlier = await _stored(submission.identifier)
    if earlier is not None:
        return EntryAnswer(EntryOutcome.ALREADY_HAD, earlier.id, earlier.patient_id)
    try:
        async with in_transaction():
            charge = await HeldCharge.create(
                identifier_system=submission.identifier.system,
                identifier_value=submission.identifier.value,
                client_id=client_id,
                patient_id=patient_id,
                location_id=location_id,
                encounter=submission.encounter,
                provider_name=submission.provider_name,
                code=submission.code,
                description=submission.description,
                sku=submission.sku,
                quantity=submission.quantity,
                unit_price_minor=total // submission.quantity,
                currency=submission.currency,
                service_date=submission.service_date,
                received_at=now,
            )
    except IntegrityError:
        # Another request stored the same identifier first, and has committed.
        earlier = await _stored(submission.identifier)
        if earlier is None:
            raise
        return EntryAnswer(EntryOutcome.ALREADY_HAD, earlier.id, earlier.patient_id)
    return EntryAnswer(EntryOutcome.ADDED, charge.id, patient_id)


async def _stored(identifier: ChargeIdentifier) -> HeldCharge | None:
    return await HeldCharge.get_or_none(
        identifier_system=identifier.system, identifier_value=identifier.value
    )


async def _withdraw(client_id: int, identifier: ChargeIdentifier) -> EntryAnswer:
    charge = await _stored(identifier)
    # Only the system that sent a charge may withdraw it; another's answers as a missing one.
    if charge is None or charge.client_id != client_id:
        return _refused("not-found", "identifier[0]", "names no charge sent earlier")
    answer = EntryAnswer(EntryOutcome.WITHDRAWN, charge.id, charge.patient_id)
    taken_back = await HeldCharge.filter(id=charge.id, status=HeldChargeStatus.HELD).update(
        status=HeldChargeStatus.WITHDRAWN
    )
    if taken_back:
        return answer
    await charge.refresh_from_db()
    if charge.status is not HeldChargeStatus.INVOICED or charge.invoice_id is None:
        return EntryAnswer(EntryOutcome.ALREADY_WITHDRAWN, charge.id, charge.patient_id)
    try:
        async with in_transaction():
            await _take_off_invoice(charge, charge.invoice_id)
    except DomainError:
        return _refused(
            "business-rule",
            "status",
            "cannot withdraw this charge from its invoice now; billing staff must adjust it",
        )
    return EntryAnswer(EntryOutcome.ADJUSTED, charge.id, charge.patient_id)


async def _take_off_invoice(charge: HeldCharge, invoice_id: int) -> None:
    moved = await HeldCharge.filter(id=charge.id, status=HeldChargeStatus.INVOICED).update(
        status=HeldChargeStatus.ADJUSTED
    )
    if not moved:
        return  # a concurrent withdrawal of the same charge did it
    amount = charge.quantity * charge.unit_price_minor
    if amount == 0:
        return
    key = f"held-charge:{charge.id}:withdrawn"
    # What the payer was still expected to pay for it is no longer asked of them: the
    # insurer's part goes with the charge, and the patient's share stays as it was.
    pending = summarize(await LedgerEntry.filter(invoice_id=invoice_id)).insurance_pending
    if pending > 0:
        await record_insurance_decision(
            invoice_id, 0, min(pending, amount), dedupe_key=f"{key}:insurance"
        )
    await adjust_invoice(invoice_id, -amount, WITHDRAWN_REASON, None, dedupe_key=key)
