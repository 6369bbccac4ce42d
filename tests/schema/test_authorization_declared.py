"""Declared authorization: every root field names what its caller must hold, and each role
gets in exactly where the scope map lets it.

The fields are read from the built schema, not listed here, so a new field is checked the
day it is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
    is_composite_type,
    is_non_null_type,
    is_required_input_field,
)
from strawberry import relay
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from auth.scopes import ROLE_SCOPES, Scope
from auth.sessions import SessionScope, create_session
from config.settings import load_settings
from models.audit import AuditEvent
from models.enums import Role
from schema import build_schema
from schema.common.permissions import AllowAnyone, ScopePermission
from tests.support.factories.auth import make_patient, make_user
from tests.support.graphql_client import gql

SCHEMA = build_schema(load_settings({"DATABASE_URL": "sqlite://:memory:"}))

# The only operations a caller without a session may use.
OPEN_FIELDS = frozenset(
    {
        "login",
        "verifyMfa",
        "refreshSession",
        "activatePatientAccount",
        "activateOrganizationAccount",
        "requestPasswordReset",
        "resetPassword",
    }
)
# Authorized per type, by each Node type's resolve_nodes.
NODE_FIELD = "node"
REFUSALS = frozenset({"UNAUTHENTICATED", "FORBIDDEN"})

# A well-formed value of each scalar; IDs name nothing that exists.
_SCALAR_SAMPLES: dict[str, Any] = {
    "ID": str(relay.GlobalID("Invoice", "999999")),
    "String": "x",
    "Boolean": False,
    "Int": 1,
    "Float": 1.0,
    "Decimal": "1.00",
    "Date": "2025-01-01",
    "DateTime": "2025-01-01T00:00:00+00:00",
}


@dataclass(frozen=True)
class RootField:
    operation: str
    name: str
    permissions: tuple[type[BasePermission], ...]
    graphql_field: GraphQLField

    @property
    def is_open(self) -> bool:
        return AllowAnyone in self.permissions

    @property
    def scope_permissions(self) -> list[type[ScopePermission]]:
        return [p for p in self.permissions if issubclass(p, ScopePermission)]

    @property
    def required(self) -> frozenset[Scope]:
        return frozenset().union(*(p.required for p in self.scope_permissions))

    def __str__(self) -> str:
        return f"{self.operation}.{self.name}"


def _declared_permissions(field: StrawberryField) -> tuple[type[BasePermission], ...]:
    """``permission_classes=`` and any ``PermissionExtension`` added by hand, once each."""
    declared: list[type[BasePermission]] = list(field.permission_classes)
    for extension in field.extensions:
        if isinstance(extension, PermissionExtension):
            declared += [type(permission) for permission in extension.permissions]
    return tuple(dict.fromkeys(declared))


def _root_fields() -> list[RootField]:
    found = []
    for operation, root in (
        ("query", SCHEMA._schema.query_type),
        ("mutation", SCHEMA._schema.mutation_type),
    ):
        assert root is not None
        definition = SCHEMA.get_type_by_name(root.name)
        assert isinstance(definition, StrawberryObjectDefinition)
        for field in definition.fields:
            name = SCHEMA.config.name_converter.get_graphql_name(field)
            found.append(
                RootField(operation, name, _declared_permissions(field), root.fields[name])
            )
    return found


ROOT_FIELDS = _root_fields()
CHECKED_FIELDS = [field for field in ROOT_FIELDS if field.name != NODE_FIELD]


def test_every_root_field_declares_who_may_call_it() -> None:
    undeclared = [
        str(field)
        for field in CHECKED_FIELDS
        if not field.scope_permissions and field.name not in OPEN_FIELDS
    ]

    assert not undeclared, f"declare permission_classes=[requires(Scope...)] on {undeclared}"


def test_only_sign_in_activation_and_password_reset_are_open_and_say_so() -> None:
    declared_open = {field.name for field in ROOT_FIELDS if field.is_open}
    scoped_open = [str(f) for f in ROOT_FIELDS if f.is_open and f.scope_permissions]

    assert declared_open == OPEN_FIELDS
    assert scoped_open == []


def test_node_types_never_use_strawberrys_unchecked_lookup() -> None:
    # Strawberry's default resolve_nodes fetches by ID with no permission check at all:
    # every type writes its own (tests/schema/test_node_fetch.py checks what each allows).
    unchecked = []
    node_types = []
    for concrete in SCHEMA.schema_converter.type_map.values():
        definition = concrete.definition
        if not isinstance(definition, StrawberryObjectDefinition) or definition.is_interface:
            continue
        origin = definition.origin
        if not issubclass(origin, relay.Node):
            continue
        node_types.append(definition.name)
        if origin.resolve_nodes.__func__ is relay.Node.resolve_nodes.__func__:  # type: ignore[attr-defined]
            unchecked.append(definition.name)

    assert "AuditEvent" in node_types
    assert unchecked == []


# ------------------------------------------------------------------ the role matrix --


def _sample(graphql_type: GraphQLInputType) -> Any:
    """A minimal valid value of ``graphql_type``: required input fields only."""
    if isinstance(graphql_type, GraphQLNonNull):
        return _sample(graphql_type.of_type)
    if isinstance(graphql_type, GraphQLList):
        return [_sample(graphql_type.of_type)]
    if isinstance(graphql_type, GraphQLInputObjectType):
        return {
            name: _sample(field.type)
            for name, field in graphql_type.fields.items()
            if is_required_input_field(field)
        }
    if isinstance(graphql_type, GraphQLEnumType):
        return next(iter(graphql_type.values))
    assert isinstance(graphql_type, GraphQLScalarType)
    assert graphql_type.name in _SCALAR_SAMPLES, f"add a sample {graphql_type.name} value"
    return _SCALAR_SAMPLES[graphql_type.name]


def _document(field: RootField) -> tuple[str, dict[str, Any]]:
    """The smallest valid operation calling ``field``, with its variables."""
    required = {
        name: argument
        for name, argument in field.graphql_field.args.items()
        if is_non_null_type(argument.type)
    }
    definitions = ", ".join(f"${name}: {argument.type}" for name, argument in required.items())
    arguments = ", ".join(f"{name}: ${name}" for name in required)
    selection = (
        " { __typename }" if is_composite_type(get_named_type(field.graphql_field.type)) else ""
    )
    document = (
        f"{field.operation}{f'({definitions})' if definitions else ''} "
        f"{{ {field.name}{f'({arguments})' if arguments else ''}{selection} }}"
    )
    return document, {name: _sample(argument.type) for name, argument in required.items()}


def _is_refused(field: RootField, role: Role | None) -> bool:
    if field.is_open:
        return False
    return role is None or not field.required <= ROLE_SCOPES[role]


async def _caller(role: Role | None) -> tuple[int | None, str | None]:
    """A user of ``role`` with a fresh session (an operation may end its session)."""
    if role is None:
        return None, None
    patient = await make_patient() if role is Role.PATIENT else None
    user = await make_user(f"{role.value}@example.org", role, patient=patient)
    issued = await create_session(user.id, scope=SessionScope.FULL, now=datetime.now(UTC))
    return user.id, issued.access_token


async def _denials(field: RootField, user_id: int | None) -> int:
    return await AuditEvent.filter(
        outcome="DENIED", action="access.denied", resource_type=field.name, actor_id=user_id
    ).count()


@pytest.mark.parametrize("field", CHECKED_FIELDS, ids=str)
async def test_each_role_is_let_in_exactly_where_its_scopes_allow(
    client: httpx.AsyncClient, field: RootField
) -> None:
    if not field.is_open and not field.scope_permissions:
        pytest.fail(f"{field} declares no permission, so no role can be checked against it")
    document, variables = _document(field)

    for role in (None, *Role):
        user_id, token = await _caller(role)
        denials_before = await _denials(field, user_id)

        body = await gql(client, document, variables, token=token)

        codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
        caller = role.value if role else "anonymous"
        if _is_refused(field, role):
            expected = "UNAUTHENTICATED" if role is None else "FORBIDDEN"
            assert codes == [expected], f"{caller} calling {field}: {body}"
            assert (body.get("data") or {}).get(field.name) is None, f"{caller} got data"
            assert await _denials(field, user_id) == denials_before + 1, f"{caller}: no record"
        else:
            assert not REFUSALS & set(codes), f"{caller} calling {field}: {body}"
            assert await _denials(field, user_id) == denials_before
