"""The records of one request: who is acting, what they touched, written at the end of the
request or at once inside the transaction of a change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict, Unpack

from billing.audit.chain import AuditRecord, append_audit_records
from billing.errors import DomainError
from models.enums import AuditOutcome


class AuditTarget(TypedDict, total=False):
    """What a record is about; every key is optional."""

    resource_type: str
    resource_id: str
    patient_id: int | None


class AuditSubject(AuditTarget, total=False):
    reference: str


@dataclass(frozen=True, slots=True)
class AuditedAction:
    """An action a use case puts on the access log: its name (``payment.started``) and the
    type of resource it acts on. The use case records its success; the API records a
    refused attempt under the same action (``AuditBuffer.record_refusal``)."""

    name: str
    resource_type: str = ""


@dataclass(frozen=True, slots=True)
class AuditActor:
    """The who and where of a request, stamped on every record it writes."""

    user_id: int | None
    role: str
    ip_address: str
    request_id: str


class AuditBuffer:
    """The records of one request, written together at its end.

    Reads of patient data are folded into one record per resource type and patient, so a
    page of 50 invoices is a single row that lists all 50 ids; nothing read is left out.
    """

    def __init__(self, actor: AuditActor, *, key: bytes) -> None:
        self.actor = actor
        self._key = key
        self._records: list[AuditRecord] = []
        self._reads: dict[tuple[str, int | None], list[str]] = {}
        self._failed_actions: set[str] = set()

    def record(self, action: str, outcome: AuditOutcome, **subject: Unpack[AuditSubject]) -> None:
        """Buffer a record, written when the request's operation ends."""
        if outcome is AuditOutcome.FAILURE:
            self._failed_actions.add(action)
        self._records.append(self.make_record(action, outcome, **subject))

    def record_failure(
        self, action: str, error: DomainError, **target: Unpack[AuditTarget]
    ) -> None:
        """Buffer a refused attempt at ``action``, its error code as the reference, unless
        the attempt is on record already (a domain rule may record it in more detail)."""
        if action not in self._failed_actions:
            self.record(action, AuditOutcome.FAILURE, reference=error.code.value, **target)

    def record_refusal(
        self, action: AuditedAction, error: DomainError, *, patient_id: int | None
    ) -> None:
        """Buffer the refused attempt at ``action`` that ``error`` ended."""
        self.record_failure(
            action.name, error, resource_type=action.resource_type, patient_id=patient_id
        )

    async def record_success(
        self,
        action: AuditedAction,
        *,
        resource_id: int | str = "",
        patient_id: int | None = None,
        reference: str = "",
    ) -> None:
        """Append the record of ``action``'s success at once. Call it inside the transaction
        of the change it records, so the change and its record commit together or not at all."""
        await self.write_now(
            action.name,
            AuditOutcome.SUCCESS,
            resource_type=action.resource_type,
            resource_id=str(resource_id),
            patient_id=patient_id,
            reference=reference,
        )

    async def write_now(
        self, action: str, outcome: AuditOutcome, **subject: Unpack[AuditSubject]
    ) -> None:
        """Append one record at once. Call it inside the transaction of the change it
        records, so the change and its record commit together or not at all."""
        await append_audit_records([self.make_record(action, outcome, **subject)], key=self._key)

    async def write_many_now(self, records: list[AuditRecord]) -> None:
        """Append ``records`` (made with ``make_record``) at once, in one append of the
        chain; call it inside the transaction of the changes they record."""
        await append_audit_records(records, key=self._key)

    def record_read(
        self, resource_type: str, resource_id: int | str, patient_id: int | None
    ) -> None:
        ids = self._reads.setdefault((resource_type, patient_id), [])
        text = str(resource_id)
        if text not in ids:
            ids.append(text)

    def make_record(
        self, action: str, outcome: AuditOutcome, **subject: Unpack[AuditSubject]
    ) -> AuditRecord:
        """A record stamped with this request's actor, not buffered."""
        return AuditRecord(
            action=action,
            outcome=outcome,
            actor_id=self.actor.user_id,
            actor_role=self.actor.role,
            ip_address=self.actor.ip_address,
            request_id=self.actor.request_id,
            **subject,
        )

    def pending(self) -> list[AuditRecord]:
        reads = [
            self.make_record(
                f"{resource_type.lower()}.read",
                AuditOutcome.SUCCESS,
                resource_type=resource_type,
                resource_id=",".join(ids),
                patient_id=patient_id,
            )
            for (resource_type, patient_id), ids in self._reads.items()
        ]
        return [*self._records, *reads]

    async def flush(self) -> None:
        """Write what was recorded; raises ``AuditWriteError`` when it cannot."""
        records = self.pending()
        await append_audit_records(records, key=self._key)
        self._records.clear()
        self._reads.clear()
