"""What every resolver can reach through ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from auth.viewer import Viewer
from billing.audit import AuditBuffer
from models.enums import AuditOutcome

if TYPE_CHECKING:
    from api.settings import Settings


@dataclass
class GraphQLContext:
    request: Request
    response: Response
    settings: Settings
    request_id: str
    client_ip: str
    viewer: Viewer
    # What this request touched; written to the access log when the operation ends.
    audit: AuditBuffer

    def record_denial(self, field: str) -> None:
        self.audit.record("access.denied", AuditOutcome.DENIED, resource_type=field)

    def record_read(self, resource_type: str, resource_id: int, patient_id: int | None) -> None:
        self.audit.record_read(resource_type, resource_id, patient_id)
