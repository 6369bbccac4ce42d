"""Putting sign-in attempts on the access log: each attempt once, with ids only.

The domain functions report failures through their ``on_failure`` hooks; failures they do
not report (an unknown ticket, a bad refresh token) are put on record by ``failed``. A
failure names the account tried as the resource, not as the actor: whoever tried is not
known. A success makes the user the actor of the request's later records."""

from __future__ import annotations

import dataclasses

from auth.lockout import AuthFailure
from billing.errors import DomainError
from models.enums import AuditOutcome
from models.users import User as UserRow
from schema.context import GraphQLContext

LOGIN = "auth.login"
MFA = "auth.mfa"
REFRESH = "auth.refresh"
LOGOUT = "auth.logout"
ACTIVATE = "account.activate"
ENROLL_START = "mfa.enroll.start"
ENROLL = "mfa.enroll"
USER = "User"


class SignInAudit:
    """The record of one attempt at ``action`` in the request of ``context``."""

    def __init__(self, context: GraphQLContext, action: str) -> None:
        self.context = context
        self.action = action
        self._reported = False

    async def on_failure(self, failure: AuthFailure) -> None:
        """The ``on_failure`` hook of the ``auth`` functions."""
        self._reported = True
        self.context.audit.record(
            self.action,
            AuditOutcome.FAILURE,
            resource_type=USER if failure.user_id is not None else "",
            resource_id=str(failure.user_id) if failure.user_id is not None else "",
            reference=failure.reason.value,
        )

    def failed(self, error: DomainError) -> None:
        """Record ``error`` unless the domain already reported this failure to the hook."""
        if not self._reported:
            self.context.audit.record_failure(self.action, error)

    async def succeeded(self, user_id: int, *, reference: str = "", as_actor: bool) -> None:
        """Record the success; with ``as_actor`` the user is now known to be the caller."""
        if as_actor:
            await _act_as(self.context, user_id)
        self.context.audit.record(
            self.action,
            AuditOutcome.SUCCESS,
            resource_type=USER,
            resource_id=str(user_id),
            reference=reference,
        )


async def _act_as(context: GraphQLContext, user_id: int) -> None:
    roles = await UserRow.filter(id=user_id).first().values_list("roles", flat=True)
    role = roles[0] if isinstance(roles, list) and roles else ""
    context.audit.actor = dataclasses.replace(context.audit.actor, user_id=user_id, role=role)
