"""Queries about organizations: staff list them; an organization's user reads their own."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import Info

from auth.scopes import Scope
from models.organizations import Organization as OrganizationRow
from schema.common import fields
from schema.common.pagination import AfterArgument, FirstArgument, page_of, page_request
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.organizations.types import RESOURCE_TYPE, Organization, OrganizationConnection


@strawberry.type
class OrganizationQuery:
    @fields.field(
        description="Every organization (business customer), by name. Staff only.",
        permission_classes=[requires(Scope.ORGANIZATIONS_READ)],
    )
    async def organizations(
        self,
        info: Info[GraphQLContext, Any],
        first: FirstArgument = None,
        after: AfterArgument = None,
    ) -> OrganizationConnection:
        page = page_request(first, after)
        rows = (
            await OrganizationRow.all()
            .order_by("name", "id")
            .offset(page.offset)
            .limit(page.fetch_limit)
        )
        for row in rows[: page.limit]:
            info.context.record_read(RESOURCE_TYPE, row.id, None)
        edges, page_info = page_of([Organization.from_model(row) for row in rows], page)
        return OrganizationConnection(edges=edges, page_info=page_info)

    @fields.field(
        description=(
            "The organization the signed-in billing user acts for; null for an account "
            "that acts for none."
        ),
        permission_classes=[requires(Scope.ORGANIZATION_OWN_READ)],
    )
    async def my_organization(self, info: Info[GraphQLContext, Any]) -> Organization | None:
        organization_id = info.context.viewer.organization_id
        row = (
            None
            if organization_id is None
            else await OrganizationRow.get_or_none(id=organization_id)
        )
        if row is None:
            return None
        info.context.record_read(RESOURCE_TYPE, row.id, None)
        return Organization.from_model(row)
