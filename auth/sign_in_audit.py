"""Putting sign-in attempts on the access log: each attempt once, with ids only.

The domain functions report failures through their ``on_failure`` hooks; failures they do
not report (an unknown ticket, a bad refresh token) are put on record by the API, as the
refusal of the action (``schema.common.payload_errors``). A
failure names the account tried as the resource, not as the actor: whoever tried is not
known. A success makes the user the actor of the request's later records."""

from __future__ import annotations

import dataclasses

from auth.lockout import AuthFailure
from billing.audit.buffer import AuditBuffer, AuditedAction
from models.enums import AuditOutcome
from models.users import User as UserRow

# Failures name no resource type: whoever failed may have named no account at all.
LOGIN = AuditedAction("auth.login")
MFA = AuditedAction("auth.mfa")
REFRESH = AuditedAction("auth.refresh")
LOGOUT = AuditedAction("auth.logout")
ACTIVATE = AuditedAction("account.activate")
ENROLL_START = AuditedAction("mfa.enroll.start")
ENROLL = AuditedAction("mfa.enroll")
CHANGE_PASSWORD = AuditedAction("account.password_change")
RESET_REQUEST = AuditedAction("account.password_reset_request")
RESET = AuditedAction("account.password_reset")
USER = "User"
# Staff acting on a patient's account: the account is the resource.
FORCE_RESET = AuditedAction("account.password_reset_forced", USER)
CLEAR_LOCKOUT = AuditedAction("account.lockout_cleared", USER)


class SignInAudit:
    """The record of one attempt at ``action``, in the request ``audit`` belongs to.

    A failure the ``auth`` functions report to ``on_failure`` is recorded with the account
    and the reason; the API's generic record of the refusal then adds nothing
    (``AuditBuffer.record_failure`` records one failure per action)."""

    def __init__(self, audit: AuditBuffer, action: AuditedAction) -> None:
        self.audit = audit
        self.action = action.name

    async def on_failure(self, failure: AuthFailure) -> None:
        """The ``on_failure`` hook of the ``auth`` functions."""
        self.audit.record(
            self.action,
            AuditOutcome.FAILURE,
            resource_type=USER if failure.user_id is not None else "",
            resource_id=str(failure.user_id) if failure.user_id is not None else "",
            reference=failure.reason.value,
        )

    async def succeeded(self, user_id: int, *, reference: str = "", as_actor: bool) -> None:
        """Record the success; with ``as_actor`` the user is now known to be the caller."""
        if as_actor:
            await _act_as(self.audit, user_id)
        self.audit.record(
            self.action,
            AuditOutcome.SUCCESS,
            resource_type=USER,
            resource_id=str(user_id),
            reference=reference,
        )


async def _act_as(audit: AuditBuffer, user_id: int) -> None:
    roles = await UserRow.filter(id=user_id).first().values_list("roles", flat=True)
    role = roles[0] if isinstance(roles, list) and roles else ""
    audit.actor = dataclasses.replace(audit.actor, user_id=user_id, role=role)
