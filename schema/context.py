"""What every resolver can reach through ``info.context``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from starlette.requests import Request
from starlette.responses import Response

from auth.viewer import Viewer
from billing.audit.buffer import AuditBuffer
from billing.errors import DomainError, ErrorCode
from models.enums import AuditOutcome

if TYPE_CHECKING:
    from config.settings import Settings

_T = TypeVar("_T")

# A browser asks for its refresh token in a cookie with this header (see CookieSession).
SESSION_TRANSPORT_HEADER = "x-session-transport"
REFRESH_COOKIE = "billing_refresh"
# The cookie goes only to the GraphQL endpoint, never to the console's files or the links.
REFRESH_COOKIE_PATH = "/graphql"


@dataclass(frozen=True)
class CookieSession:
    """A browser that opted in to the cookie session: sign-ins set the refresh token in an
    HttpOnly cookie instead of the answer, and ``refreshSession`` reads it from there.
    ``refresh_token`` is the cookie's value, only when the request passed the CSRF rule
    (the opt-in header and an allowed ``Origin``); ``secure`` marks the cookie Secure."""

    refresh_token: str | None
    secure: bool


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
    cookie_session: CookieSession | None = None
    _per_request: dict[type[Any], Any] = field(default_factory=dict, repr=False)

    def request_scoped(self, kind: type[_T], build: Callable[[], _T]) -> _T:
        """The one ``kind`` of this request (data loaders), built on first use. It dies with
        the request, so no cache ever serves one caller's rows to another."""
        if kind not in self._per_request:
            self._per_request[kind] = build()
        return cast(_T, self._per_request[kind])

    def own_patient_id(self, refusal: str) -> int:
        """The signed-in patient's id; ``DomainError(FORBIDDEN, refusal)`` for a user who
        is not a patient, for a mutation to return in its payload."""
        patient_id = self.viewer.patient_id
        if patient_id is None:
            raise DomainError(ErrorCode.FORBIDDEN, refusal)
        return patient_id

    def record_denial(self, field: str) -> None:
        self.audit.record("access.denied", AuditOutcome.DENIED, resource_type=field)

    def record_read(self, resource_type: str, resource_id: int, patient_id: int | None) -> None:
        self.audit.record_read(resource_type, resource_id, patient_id)
