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

from auth.scopes import Scope
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
            raise ExpectedError(RequestErrorCode.UNAUTHENTICATED, "Sign in first.")
        raise ExpectedError(RequestErrorCode.FORBIDDEN, self.message)


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
    shared per set of scopes (Strawberry names a schema directive after it), the extension
    is new per field (Strawberry configures it for the field it is applied to)."""
    return PermissionExtension(permissions=[_hidden_without_class(*scopes)()], fail_silently=True)


@functools.cache
def _hidden_without_class(*scopes: Scope) -> type[HiddenWithoutScope]:
    name = "HiddenWithout_" + "_".join(scope.name for scope in scopes)
    return type(name, (HiddenWithoutScope,), {"required": frozenset(scopes)})
