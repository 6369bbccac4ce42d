"""The schema, assembled explicitly from each domain's queries and mutations."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import ASTValidationRule, GraphQLInterfaceType, GraphQLSchema
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as create_alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as create_depth_rule

from schema.accounts.mutations import AccountMutation
from schema.accounts.queries import AccountQuery
from schema.audit.queries import AuditQuery
from schema.common.access_log import AccessLog
from schema.common.masking import HideSuggestions, MaskUnexpectedErrors, is_unexpected_error
from schema.common.node import InterfaceIdsNameNothing
from schema.common.scalars import DESCRIBED_SCALARS
from schema.exports.mutations import ExportMutation
from schema.invoices.mutations import InvoiceMutation
from schema.invoices.queries import InvoiceQuery
from schema.locations.mutations import LocationMutation
from schema.locations.queries import LocationQuery
from schema.notifications.mutations import NotificationMutation
from schema.organizations.mutations import OrganizationMutation
from schema.organizations.queries import OrganizationQuery
from schema.patients.mutations import PatientMutation
from schema.patients.queries import PatientQuery
from schema.payments.mutations import PaymentMutation
from schema.payments.queries import PaymentQuery
from schema.plans.mutations import PlanMutation
from schema.plans.queries import PlanQuery
from schema.remittances.mutations import RemittanceMutation
from schema.remittances.queries import RemittanceQuery
from schema.reports.queries import ReportQuery
from schema.shipments.mutations import ShipmentMutation
from schema.shipments.queries import ShipmentQuery
from schema.statements.mutations import StatementMutation
from schema.statements.queries import StatementQuery

if TYPE_CHECKING:
    from graphql import GraphQLError
    from strawberry.types import ExecutionContext

    from config.settings import Settings

MAX_QUERY_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000

ExtensionFactory = type[SchemaExtension] | Callable[[], SchemaExtension]


def _query_type() -> type:
    """A fresh root query type for each schema: the field ``relay.node()`` makes can join
    only one schema (strawberry-graphql/strawberry#3360), and tests build many."""

    @strawberry.type(name="Query", description="What can be read.")
    class Query(
        AccountQuery,
        PatientQuery,
        InvoiceQuery,
        PaymentQuery,
        PlanQuery,
        ShipmentQuery,
        LocationQuery,
        ReportQuery,
        AuditQuery,
        StatementQuery,
        RemittanceQuery,
        OrganizationQuery,
    ):
        node: relay.Node | None = relay.node(
            description="Fetch any object by its ID.", extensions=[InterfaceIdsNameNothing()]
        )

    return Query


@strawberry.type(description="What can be changed.")
class Mutation(
    AccountMutation,
    PatientMutation,
    LocationMutation,
    InvoiceMutation,
    PaymentMutation,
    PlanMutation,
    NotificationMutation,
    ShipmentMutation,
    StatementMutation,
    RemittanceMutation,
    ExportMutation,
    OrganizationMutation,
):
    pass


@functools.cache
def limit_rules() -> tuple[type[ASTValidationRule], ...]:
    """The depth and alias limits, as validation rules built once per process.

    ``ValidationCache`` keys on the rule classes, and ``QueryDepthLimiter`` and
    ``MaxAliasesLimiter`` build new classes per instance, that is per request, so with
    them the cache would never hit. These shared classes keep it hitting.
    """
    return (
        create_depth_rule(MAX_QUERY_DEPTH, should_ignore=None),
        create_alias_rule(MAX_ALIASES),
    )


def schema_extensions(settings: Settings) -> list[ExtensionFactory]:
    """The extensions every request runs, as classes or factories (one instance per request)."""
    extensions: list[ExtensionFactory] = [
        AccessLog,
        MaskUnexpectedErrors,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(list(limit_rules())),
    ]
    if settings.is_production:
        extensions += [DisableIntrospection, HideSuggestions]
    extensions += [ParserCache, ValidationCache]
    return extensions


class BillingSchema(strawberry.Schema):
    """Logs only unexpected errors: an expected one is the client's business, not ours.
    Describes its scalars and each type's ``id`` for app developers, not with Strawberry's
    generic words."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("scalar_overrides", DESCRIBED_SCALARS)
        super().__init__(*args, **kwargs)
        _describe_ids(self._schema)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        super().process_errors(
            [error for error in errors if is_unexpected_error(error)], execution_context
        )


def _describe_ids(schema: GraphQLSchema) -> None:
    node = schema.get_type("Node")
    if not isinstance(node, GraphQLInterfaceType):
        return
    node.fields[
        "id"
    ].description = "An opaque global ID (a Relay global ID): node(id:) fetches the object by it."
    for implementation in schema.get_implementations(node).objects:
        implementation.fields[
            "id"
        ].description = f"The {implementation.name}'s opaque global ID; node(id:) fetches it again."


def build_schema(settings: Settings) -> strawberry.Schema:
    return BillingSchema(
        query=_query_type(), mutation=Mutation, extensions=schema_extensions(settings)
    )
