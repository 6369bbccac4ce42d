"""Per-request DataLoaders for organizations: the rows and balances of every organization a
response shows, one query each however many there are (``organization_loaders(info)``)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from strawberry import Info
from strawberry.dataloader import DataLoader

from billing.organizations.rules import OrganizationFigures, organization_figures
from models.organizations import Organization as OrganizationRow
from schema.context import GraphQLContext


class OrganizationByIdLoader(DataLoader[int, OrganizationRow | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    @staticmethod
    async def _load(keys: list[int]) -> list[OrganizationRow | None]:
        rows = {row.id: row for row in await OrganizationRow.filter(id__in=keys)}
        return [rows.get(key) for key in keys]


class FiguresByOrganizationLoader(DataLoader[int, OrganizationFigures]):
    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    @staticmethod
    async def _load(keys: list[int]) -> list[OrganizationFigures]:
        found = await organization_figures(keys)
        return [found[key] for key in keys]


class OrganizationLoaders:
    """One request's organization loaders, each built the first time it is asked for."""

    @cached_property
    def organization_by_id(self) -> OrganizationByIdLoader:
        return OrganizationByIdLoader()

    @cached_property
    def figures_by_organization(self) -> FiguresByOrganizationLoader:
        return FiguresByOrganizationLoader()


def organization_loaders(info: Info[GraphQLContext, Any]) -> OrganizationLoaders:
    """This request's loaders, created on first use."""
    return info.context.request_scoped(OrganizationLoaders, OrganizationLoaders)
