"""Declared authorization: every root field names what the caller must hold.

``Allow.anyone`` marks the few operations a caller without a session may use (signing in,
activating an account); every other root field declares ``requires(Scope...)``. A test walks
the schema and fails on a root field that declares neither.
"""

from __future__ import annotations

import functools
from typing import Any

from strawberry import Info
from strawberry.permission import BasePermission, PermissionExtension

from auth.scopes import Scope, scopes_for_roles
from auth.viewer import Viewer
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.context import GraphQLContext


class AllowAnyone(BasePermission):
    """Open to callers without a session: sign-in and account activation only."""

    message = "Allowed to anyone."

    def has_permission(self, source: Any, info: Info[GraphQLContext, Any], **kwargs: Any) -> bool:
        return True


class ScopePermission(BasePermission):
    """Grants access when the caller's session holds every scope in ``required``.

    A refusal is raised here rather than in ``on_unauthorized`` because only here is the
    request at hand: the denial goes on record and the caller learns whether to sign in.
    """

    required: frozenset[Scope] = frozenset()
    message = "You are not allowed to do this."

    def has_permission(self, source: Any, info: Info[GraphQLContext, Any], **kwargs: Any) -> bool:
        context = info.context
        viewer = context.viewer
        if viewer.is_authenticated and self.required <= viewer.scopes:
            return True
        context.record_denial(field=info.field_name)
        if not viewer.is_authenticated:
            raise sign_in_required(viewer)
        if viewer.mfa_enrollment_pending and self.required <= scopes_for_roles(viewer.roles):
            raise ExpectedError(RequestErrorCode.MFA_ENROLLMENT_REQUIRED, MFA_ENROLLMENT_MESSAGE)
        raise ExpectedError(RequestErrorCode.FORBIDDEN, self.message)


MFA_ENROLLMENT_MESSAGE = (
    "Set up two-factor sign-in first: call startTotpEnrollment, then confirmTotpEnrollment "
    "with a code from the authenticator app. This session then has your role's full access."
)
SESSION_EXPIRED_MESSAGE = (
    "The access token has expired: call refreshSession with the refresh token and send the "
    "new access token; if that answers INVALID_TOKEN, sign in again."
)


def sign_in_required(viewer: Viewer) -> ExpectedError:
    """The refusal for a caller without a session: ``SESSION_EXPIRED`` when the access token
    sent only ran out of time (the app refreshes), ``UNAUTHENTICATED`` otherwise."""
    if viewer.session_expired:
        return ExpectedError(RequestErrorCode.SESSION_EXPIRED, SESSION_EXPIRED_MESSAGE)
    return ExpectedError(RequestErrorCode.UNAUTHENTICATED, "Sign in first.")


class HiddenWithoutScope(BasePermission):
    """For a nullable field some roles may not see: they get null, not an error."""

    required: frozenset[Scope] = frozenset()
    message = "Hidden."

    def has_permission(self, source: Any, info: Info[GraphQLContext, Any], **kwargs: Any) -> bool:
        return self.required <= info.context.viewer.scopes


@functools.cache
def requires(*scopes: Scope) -> type[ScopePermission]:
    """A permission class for fields that need all of ``scopes`` (one class per set)."""
    name = "Requires_" + "_".join(scope.name for scope in scopes)
    return type(name, (ScopePermission,), {"required": frozenset(scopes)})


def hidden_without(*scopes: Scope) -> PermissionExtension:
    """A field extension that resolves a nullable field to null for callers lacking
    ``scopes`` (for example procedure codes for accountants). The permission class is
    shared per set of scopes, the extension
    is new per field (Strawberry configures it for the field it is applied to). No schema
    directive is added: the exported SDL is what clients see, and the rule is ours alone."""
    return PermissionExtension(
        permissions=[_hidden_without_class(*scopes)()], fail_silently=True, use_directives=False
    )


@functools.cache
def _hidden_without_class(*scopes: Scope) -> type[HiddenWithoutScope]:
    name = "HiddenWithout_" + "_".join(scope.name for scope in scopes)
    return type(name, (HiddenWithoutScope,), {"required": frozenset(scopes)})
