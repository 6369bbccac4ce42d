"""Held charges become invoices (``billing issue-held-charges``): one invoice per patient,
location, encounter (and currency), once the encounter's last charge is ``hold`` old.

Safe twice and from two processes: each group is issued in one transaction that first
moves its charges from HELD to INVOICED with one conditional UPDATE. Of two schedulers,
one moves them all and issues the invoice; the other moves fewer than it read (none on
PostgreSQL, where it waited for the first one's commit; SQLite lets one writer in at a
time) and gives the group up. A charge that came in or was withdrawn meanwhile makes the
group wait for the next run. When the patient has a coverage on file, the whole invoice
is expected from the primary payer (``PENDING_INSURANCE``) until its remittance or a
staff decision says what it pays. The patient is told that a bill is ready, in words that
say nothing more (``billing.notifications.texts``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.functions import Max
from tortoise.transactions import in_transaction

from billing.audit.chain import AuditRecord, append_audit_records
from billing.invoices.rules import NewInsurance, NewInvoiceLine, create_invoice
from billing.notifications.outbox import queue_notification
from billing.patients.coverages import primary_payer_names
from models.enums import AuditOutcome
from models.intake import HeldCharge, HeldChargeStatus
from models.invoices import Invoice
from models.locations import Location
from models.notifications import NotificationKind

ISSUE_ACTION = "invoice.issued_from_charges"
SCHEDULER_ROLE = "scheduler"


@dataclass
class IssueReport:
    invoices: list[int] = field(default_factory=list)
    charges: int = 0
    # Groups another scheduler issued, or that changed while this one looked at them.
    passed_over: int = 0


@dataclass(frozen=True, slots=True)
class _Group:
    patient_id: int
    location_id: int
    encounter: str
    currency: str


class _GroupChanged(Exception):
    """The group's charges are not all HELD any more: leave it to whoever changed them."""


async def issue_held_charges(
    *, now: datetime, hold: timedelta, due_days: int, audit_key: bytes
) -> IssueReport:
    """Issue an invoice for every group of held charges whose last came in ``hold`` ago."""
    cutoff = now - hold
    report = IssueReport()
    for group in await _ready_groups(cutoff):
        try:
            invoice, count = await _issue(group, cutoff, now, due_days, audit_key)
        except _GroupChanged:
            report.passed_over += 1
            continue
        report.invoices.append(invoice.id)
        report.charges += count
    return report


async def _ready_groups(cutoff: datetime) -> list[_Group]:
    rows = (
        await HeldCharge.filter(status=HeldChargeStatus.HELD)
        .annotate(last_received=Max("received_at"))
        .group_by("patient_id", "location_id", "encounter", "currency")
        .filter(last_received__lte=cutoff)
        .values("patient_id", "location_id", "encounter", "currency")
    )
    return sorted(
        (
            _Group(
                int(row["patient_id"]), int(row["location_id"]), row["encounter"], row["currency"]
            )
            for row in rows
        ),
        key=lambda group: (group.patient_id, group.location_id, group.encounter, group.currency),
    )


async def _issue(
    group: _Group, cutoff: datetime, now: datetime, due_days: int, audit_key: bytes
) -> tuple[Invoice, int]:
    async with in_transaction():
        charges = await HeldCharge.filter(
            status=HeldChargeStatus.HELD,
            patient_id=group.patient_id,
            location_id=group.location_id,
            encounter=group.encounter,
            currency=group.currency,
        ).order_by("service_date", "received_at", "id")
        if not charges or any(charge.received_at > cutoff for charge in charges):
            raise _GroupChanged
        ids = [charge.id for charge in charges]
        claimed = await HeldCharge.filter(id__in=ids, status=HeldChargeStatus.HELD).update(
            status=HeldChargeStatus.INVOICED
        )
        if claimed != len(ids):
            raise _GroupChanged  # rolls back what this run claimed
        invoice = await _invoice_for(group, charges, now, due_days)
        for position, charge in enumerate(charges):
            await HeldCharge.filter(id=charge.id).update(
                invoice_id=invoice.id, line_position=position
            )
        record = AuditRecord(
            action=ISSUE_ACTION,
            outcome=AuditOutcome.SUCCESS,
            actor_role=SCHEDULER_ROLE,
            resource_type="Invoice",
            resource_id=str(invoice.id),
            patient_id=group.patient_id,
            reference=f"{len(charges)} charges",
        )
        await append_audit_records([record], key=audit_key, now=now)
        await queue_notification(
            group.patient_id, NotificationKind.INVOICE_READY, f"invoice-{invoice.id}", now=now
        )
    return invoice, len(charges)


async def _invoice_for(
    group: _Group, charges: list[HeldCharge], now: datetime, due_days: int
) -> Invoice:
    location = await Location.get(id=group.location_id)
    issued = now.astimezone(ZoneInfo(location.timezone)).date()
    lines = [
        NewInvoiceLine(
            code=charge.code,
            description=charge.description,
            quantity=charge.quantity,
            unit_price_minor=charge.unit_price_minor,
            sku=charge.sku,
        )
        for charge in charges
    ]
    total = sum(charge.quantity * charge.unit_price_minor for charge in charges)
    payer = (await primary_payer_names([group.patient_id])).get(group.patient_id)
    insurance = NewInsurance(payer, total) if payer and total > 0 else None
    return await create_invoice(
        group.patient_id,
        group.location_id,
        charges[0].provider_name,
        min(charge.service_date for charge in charges),
        issued + timedelta(days=due_days),
        group.currency,
        lines,
        insurance,
        issued_at=issued,
    )
