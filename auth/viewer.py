"""Who is calling: the user behind a request's access token, or nobody."""

from __future__ import annotations

from dataclasses import dataclass

from auth.scopes import ENROLLMENT_ONLY_SCOPES, Scope, scopes_for_roles
from auth.sessions import AuthenticatedSession, SessionScope


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int | None
    roles: tuple[str, ...]
    patient_id: int | None
    session_id: int | None
    scopes: frozenset[Scope]
    # The caller sent an access token that ran out of time: refresh, then try again.
    session_expired: bool = False
    # A staff session opened before TOTP was enrolled: it may only enroll.
    mfa_enrollment_pending: bool = False
    # The organization an organization_billing user acts for.
    organization_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def role(self) -> str:
        """The role written to the access log: the first of the user's roles."""
        return self.roles[0] if self.roles else ""

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes

    def owns_patient_record(self, patient_id: int) -> bool:
        return self.patient_id is not None and self.patient_id == patient_id


ANONYMOUS = Viewer(user_id=None, roles=(), patient_id=None, session_id=None, scopes=frozenset())
# Anonymous, but because the access token expired rather than because none was sent.
EXPIRED = Viewer(
    user_id=None,
    roles=(),
    patient_id=None,
    session_id=None,
    scopes=frozenset(),
    session_expired=True,
)


def viewer_for_session(session: AuthenticatedSession) -> Viewer:
    """The viewer of an authenticated session, with the scopes its roles grant (only MFA
    enrollment for a staff session that has not enrolled yet)."""
    scopes = scopes_for_roles(session.roles)
    enrollment_only = session.scope is SessionScope.MFA_ENROLLMENT
    if enrollment_only:
        scopes = scopes & ENROLLMENT_ONLY_SCOPES
    return Viewer(
        user_id=session.user_id,
        roles=session.roles,
        patient_id=session.patient_id,
        session_id=session.session_id,
        scopes=scopes,
        mfa_enrollment_pending=enrollment_only,
        organization_id=session.organization_id,
    )
