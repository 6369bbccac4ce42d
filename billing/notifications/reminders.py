"""The reminders scheduler: queues "installment due soon" and "invoice overdue" messages.

Dates are the patient's own (their time zone). Each reminder has a subject key naming
the installment or invoice and its due date, so running the scheduler again (or from two
machines) queues nothing twice. "Installment failed" is queued where the failure is
recorded (``billing.plans.installment_outcomes``). An invoice inside an active payment plan gets
no overdue reminder: the plan is how it is being paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from billing.notifications.clock import local_dates
from billing.notifications.outbox import dedupe_key, queue_notification
from models.enums import InstallmentStatus, InvoiceStatus, PaymentPlanStatus
from models.invoices import Invoice
from models.notifications import Notification, NotificationChannel, NotificationKind
from models.plans import Installment, PaymentPlanInvoice

_LOOKUP_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ReminderReport:
    due_soon: int
    overdue: int


@dataclass(frozen=True, slots=True)
class _Candidate:
    patient_id: int
    subject_key: str


async def queue_reminders(now: datetime, days_before_due: int) -> ReminderReport:
    """Queue the reminders due at ``now``: installments of active plans due within
    ``days_before_due`` days (after today), and overdue invoices outside any active plan.
    The counts are of subjects newly queued."""
    due_soon = await _installments_due_soon(now, days_before_due)
    overdue = await _overdue_invoices(now)
    return ReminderReport(
        due_soon=await _queue_new(NotificationKind.INSTALLMENT_DUE_SOON, due_soon, now),
        overdue=await _queue_new(NotificationKind.INVOICE_OVERDUE, overdue, now),
    )


def installment_due_key(installment_id: int, due_on: date) -> str:
    return f"installment-{installment_id}-due-{due_on.isoformat()}"


def invoice_overdue_key(invoice_id: int, due_at: date) -> str:
    return f"invoice-{invoice_id}-overdue-{due_at.isoformat()}"


async def _installments_due_soon(now: datetime, days_before_due: int) -> list[_Candidate]:
    # Time zones are at most a day apart from UTC: read a day around, then decide locally.
    utc_today = now.astimezone(UTC).date()
    rows = await Installment.filter(
        status=InstallmentStatus.SCHEDULED,
        plan__status=PaymentPlanStatus.ACTIVE,
        due_on__gte=utc_today - timedelta(days=1),
        due_on__lte=utc_today + timedelta(days=days_before_due + 1),
    ).values("id", "due_on", patient_id="plan__patient_id")
    todays = await local_dates(now, [row["patient_id"] for row in rows])
    return [
        _Candidate(row["patient_id"], installment_due_key(row["id"], row["due_on"]))
        for row in rows
        if todays[row["patient_id"]]
        < row["due_on"]
        <= todays[row["patient_id"]] + timedelta(days=days_before_due)
    ]


async def _overdue_invoices(now: datetime) -> list[_Candidate]:
    utc_today = now.astimezone(UTC).date()
    in_plans = {
        int(row["active_invoice_id"])
        for row in await PaymentPlanInvoice.filter(active_invoice_id__isnull=False).values(
            "active_invoice_id"
        )
    }
    rows = (
        # An organization's invoices follow its collections schedule instead.
        await Invoice.filter(due_at__lte=utc_today, balance_minor__gt=0, patient_id__isnull=False)
        .exclude(status=InvoiceStatus.VOID)
        .values("id", "patient_id", "due_at")
    )
    rows = [row for row in rows if row["id"] not in in_plans]
    todays = await local_dates(now, [row["patient_id"] for row in rows])
    return [
        _Candidate(row["patient_id"], invoice_overdue_key(row["id"], row["due_at"]))
        for row in rows
        if row["due_at"] < todays[row["patient_id"]]
    ]


async def _queue_new(
    kind: NotificationKind, candidates: Sequence[_Candidate], now: datetime
) -> int:
    queued = await _already_queued(kind, candidates)
    count = 0
    for candidate in candidates:
        if candidate in queued:
            continue
        if await queue_notification(candidate.patient_id, kind, candidate.subject_key, now=now):
            count += 1
    return count


async def _already_queued(
    kind: NotificationKind, candidates: Sequence[_Candidate]
) -> set[_Candidate]:
    """The candidates with a message of ``kind`` already queued (on any channel)."""
    by_key = {
        dedupe_key(kind, candidate.patient_id, candidate.subject_key, channel): candidate
        for candidate in candidates
        for channel in NotificationChannel
    }
    found: set[_Candidate] = set()
    keys = sorted(by_key)
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        rows = await Notification.filter(dedupe_key__in=keys[start : start + _LOOKUP_CHUNK]).values(
            "dedupe_key"
        )
        found |= {by_key[str(row["dedupe_key"])] for row in rows}
    return found
