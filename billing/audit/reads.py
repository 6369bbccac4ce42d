"""Reading the access log: filtered, newest first, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.audit import AuditEvent


@dataclass(frozen=True, slots=True)
class AuditEventFilter:
    """Conditions on the events to list; ``None`` means any. Every given one must hold."""

    actor_id: int | None = None
    patient_id: int | None = None
    action: str | None = None
    occurred_from: datetime | None = None
    occurred_before: datetime | None = None


async def audit_events_page(
    conditions: AuditEventFilter, *, before_id: int | None, limit: int
) -> list[AuditEvent]:
    """Up to ``limit`` events matching ``conditions``, newest first.

    Pages are keyed on the id, which grows with the chain: the next page is the events
    before the last one shown (``before_id``), so rows appended meanwhile never shift it.
    """
    query = AuditEvent.all()
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    if conditions.actor_id is not None:
        query = query.filter(actor_id=conditions.actor_id)
    if conditions.patient_id is not None:
        query = query.filter(patient_id=conditions.patient_id)
    if conditions.action is not None:
        query = query.filter(action=conditions.action)
    if conditions.occurred_from is not None:
        query = query.filter(occurred_at__gte=conditions.occurred_from)
    if conditions.occurred_before is not None:
        query = query.filter(occurred_at__lt=conditions.occurred_before)
    return await query.order_by("-id").limit(limit)
