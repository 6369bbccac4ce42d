"""Collections: the dunning steps of organizations' unpaid invoices, run by cron.

Each tier's schedule (``config.settings.CollectionsSettings``) lists steps at a number of
days from the due date: a reminder by email to the organization's billing address (through
the notification outbox, never sent from here), or a flag for a person. A step is taken
once per invoice: its row (unique per invoice and step) is inserted first in the step's
transaction, so a second run, or a run in a second process at the same moment, takes
nothing twice. When several steps fell due since the last run (the command did not run,
or collections were paused), only the latest is taken and the earlier ones are recorded as
skipped: an organization never gets a burst of reminders. Nothing is taken while the
organization's collections are paused or while the invoice is disputed; every step taken is
on the access log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing.audit.chain import AuditRecord, append_audit_records
from config.settings import CollectionsSettings, CollectionsStepSetting
from models.enums import AuditOutcome, InvoiceStatus
from models.invoices import Invoice
from models.notifications import Notification, NotificationChannel, NotificationKind
from models.organizations import CollectionsOutcome, CollectionsStep, CollectionsTier, Organization

COLLECTIONS_ROLE = "collections"
REMIND_ACTION = "collections.reminder"
FLAG_ACTION = "collections.flag"


@dataclass(frozen=True, slots=True)
class Step:
    kind: str
    offset_days: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.offset_days}"

    def due_on(self, invoice_due: date) -> date:
        return invoice_due + timedelta(days=self.offset_days)


@dataclass
class CollectionsReport:
    """What one run did: reminders queued, invoices flagged, steps skipped as superseded,
    and invoices left alone because their organization is paused or they are disputed."""

    reminded: list[int] = field(default_factory=list)
    flagged: list[int] = field(default_factory=list)
    skipped: int = 0
    paused: int = 0


def schedule_for(settings: CollectionsSettings, tier: CollectionsTier) -> tuple[Step, ...]:
    """The steps of ``tier``, in date order."""
    steps: Sequence[CollectionsStepSetting] = (
        settings.enterprise if tier is CollectionsTier.ENTERPRISE else settings.standard
    )
    return tuple(Step(kind, offset) for kind, offset in steps)


async def run_collections(
    settings: CollectionsSettings, *, today: date, audit_key: bytes, now: datetime | None = None
) -> CollectionsReport:
    """Take the collections steps due on ``today`` for every open invoice of an
    organization. Safe to run again, and from two processes at once."""
    moment = now or datetime.now(UTC)
    report = CollectionsReport()
    invoices = (
        await Invoice.filter(organization_id__isnull=False, balance_minor__gt=0)
        .exclude(status=InvoiceStatus.VOID)
        .order_by("id")
    )
    organizations = {
        row.id: row
        for row in await Organization.filter(
            id__in=sorted(
                {invoice.organization_id for invoice in invoices if invoice.organization_id}
            )
        )
    }
    taken = await _taken_steps([invoice.id for invoice in invoices])
    for invoice in invoices:
        organization = organizations[invoice.organization_id or 0]
        steps = schedule_for(settings, organization.collections_tier)
        pending = [
            step
            for step in steps
            if step.due_on(invoice.due_at) <= today and step.key not in taken.get(invoice.id, ())
        ]
        if not pending:
            continue
        if organization.collections_paused or invoice.collections_disputed or invoice.disputed:
            report.paused += 1
            continue
        if await _take(invoice, organization, pending, today, moment, audit_key):
            latest = pending[-1]
            (report.reminded if latest.kind == "remind" else report.flagged).append(invoice.id)
            report.skipped += len(pending) - 1
    return report


async def _taken_steps(invoice_ids: list[int]) -> dict[int, set[str]]:
    taken: dict[int, set[str]] = {}
    rows = await CollectionsStep.filter(invoice_id__in=invoice_ids).values_list(
        "invoice_id", "step"
    )
    for invoice_id, step in rows:
        taken.setdefault(int(invoice_id), set()).add(str(step))
    return taken


async def _take(
    invoice: Invoice,
    organization: Organization,
    pending: list[Step],
    today: date,
    now: datetime,
    audit_key: bytes,
) -> bool:
    """The latest pending step, and the earlier ones as skipped, in one transaction; False
    when another run took them first (or the organization paused meanwhile)."""
    latest = pending[-1]
    remind = latest.kind == "remind"
    try:
        async with in_transaction():
            await CollectionsStep.bulk_create(
                [
                    CollectionsStep(
                        organization_id=organization.id,
                        invoice_id=invoice.id,
                        step=step.key,
                        outcome=_outcome(step, step is latest),
                        taken_on=today,
                    )
                    for step in pending
                ]
            )
            # Read again under the step rows' lock: a pause committed meanwhile wins.
            if not await _still_collectible(invoice.id, organization.id):
                raise _Paused
            if remind:
                await Notification.create(
                    organization_id=organization.id,
                    kind=NotificationKind.ORGANIZATION_PAYMENT_REMINDER,
                    channel=NotificationChannel.EMAIL,
                    subject_id=invoice.id,
                    dedupe_key=f"collections:invoice-{invoice.id}:{latest.key}",
                    send_after=now,
                )
            record = AuditRecord(
                action=REMIND_ACTION if remind else FLAG_ACTION,
                outcome=AuditOutcome.SUCCESS,
                actor_role=COLLECTIONS_ROLE,
                resource_type="Invoice",
                resource_id=str(invoice.id),
                reference=f"organization:{organization.id} step:{latest.key}",
            )
            await append_audit_records([record], key=audit_key, now=now)
    except (IntegrityError, _Paused):
        return False
    return True


async def _still_collectible(invoice_id: int, organization_id: int) -> bool:
    paused = await Organization.filter(id=organization_id, collections_paused=True).exists()
    disputed = await Invoice.filter(id=invoice_id, collections_disputed=True).exists()
    return not paused and not disputed


def _outcome(step: Step, is_latest: bool) -> CollectionsOutcome:
    if not is_latest:
        return CollectionsOutcome.SKIPPED
    return CollectionsOutcome.SENT if step.kind == "remind" else CollectionsOutcome.FLAGGED


class _Paused(Exception):
    """Rolls the step back: the organization paused, or the invoice was disputed."""
