"""Per-request DataLoaders of payment plans: the installments of a page of plans cost one
query, and a plan fetched by id is one the caller may see (``audience_for``)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from strawberry import Info
from strawberry.dataloader import DataLoader

from auth.viewer import Viewer
from billing.invoices.reads import Audience
from billing.plans.reads import installments_by_id, installments_by_plan, plans_by_id
from models.plans import Installment as InstallmentRow
from models.plans import PaymentPlan as PaymentPlanRow
from schema.context import GraphQLContext
from schema.invoices.loaders import audience_for


class InstallmentsByPlanLoader(DataLoader[int, list[InstallmentRow]]):
    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    @staticmethod
    async def _load(keys: list[int]) -> list[list[InstallmentRow]]:
        found = await installments_by_plan(keys)
        return [found.get(key, []) for key in keys]


class PlanByIdLoader(DataLoader[int, PaymentPlanRow | None]):
    def __init__(self, audience: Audience | None) -> None:
        self._audience = audience
        super().__init__(load_fn=self._load)

    async def _load(self, keys: list[int]) -> list[PaymentPlanRow | None]:
        if self._audience is None:
            return [None] * len(keys)
        found = await plans_by_id(self._audience, keys)
        return [found.get(key) for key in keys]


class InstallmentByIdLoader(DataLoader[int, InstallmentRow | None]):
    """Installments with their plan loaded, when the caller may see the plan."""

    def __init__(self, audience: Audience | None) -> None:
        self._audience = audience
        super().__init__(load_fn=self._load)

    async def _load(self, keys: list[int]) -> list[InstallmentRow | None]:
        if self._audience is None:
            return [None] * len(keys)
        found = await installments_by_id(self._audience, keys)
        return [found.get(key) for key in keys]


class PlanLoaders:
    """One request's plan loaders, each built the first time it is asked for."""

    def __init__(self, viewer: Viewer) -> None:
        self.audience = audience_for(viewer)

    @cached_property
    def installments_by_plan(self) -> InstallmentsByPlanLoader:
        return InstallmentsByPlanLoader()

    @cached_property
    def plan_by_id(self) -> PlanByIdLoader:
        return PlanByIdLoader(self.audience)

    @cached_property
    def installment_by_id(self) -> InstallmentByIdLoader:
        return InstallmentByIdLoader(self.audience)


def plan_loaders(info: Info[GraphQLContext, Any]) -> PlanLoaders:
    """This request's plan loaders, created on first use."""
    context = info.context
    return context.request_scoped(PlanLoaders, lambda: PlanLoaders(context.viewer))
