"""Per-request DataLoaders for invoices and what hangs off them: each child list of a page
of invoices (lines, payments, shipments, their items and events) costs one query, however
long the page.

Loaders live for one request only (their caches must not outlive the caller's rights):
``loaders_for(info)`` creates them lazily and keeps them in the request's state. The
loaders that look rows up by their own id are bound to the caller's ``Audience`` and answer
``None`` for rows outside it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import date
from functools import cached_property
from typing import Any, TypeVar

from strawberry import Info
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from auth.viewer import Viewer
from billing.invoices.reads import (
    Audience,
    InvoiceLineRecord,
    InvoiceRecord,
    invoices_by_id,
    lines_by_invoice,
    patient_responsibility_by_invoice,
    todays_by_patient,
    visible_lines_by_id,
)
from billing.payments.reads import (
    PaymentAllocationRecord,
    PaymentMethodRecord,
    PaymentRecord,
    RefundRecord,
    allocations_by_payment,
    payment_methods_by_id,
    payments_by_id,
    payments_by_invoice,
    refunds_by_id,
    refunds_by_payment,
)
from billing.shipments.reads import (
    ShipmentEventRecord,
    ShipmentItemRecord,
    ShipmentRecord,
    events_by_shipment,
    items_by_shipment,
    shipments_by_id,
    shipments_by_invoice,
)
from models.locations import Location as LocationRow
from schema.context import GraphQLContext

RecordT = TypeVar("RecordT")


def audience_for(viewer: Viewer) -> Audience | None:
    """Whose bills ``viewer`` may read: everyone's for staff with ``BILLING_ALL_READ``, a
    patient's own with ``BILLING_OWN_READ``, nobody's otherwise (``None``)."""
    if viewer.can(Scope.BILLING_ALL_READ):
        return Audience.everyone()
    if viewer.can(Scope.BILLING_OWN_READ) and viewer.patient_id is not None:
        return Audience.patient(viewer.patient_id)
    if viewer.can(Scope.ORGANIZATION_OWN_READ) and viewer.organization_id is not None:
        return Audience.organization(viewer.organization_id)
    return None


def _children(
    fetch: Callable[[Sequence[int]], Awaitable[Mapping[int, list[RecordT]]]],
) -> Callable[[list[int]], Awaitable[list[list[RecordT]]]]:
    async def load(keys: list[int]) -> list[list[RecordT]]:
        found = await fetch(keys)
        return [found.get(key, []) for key in keys]

    return load


def _visible(
    fetch: Callable[[Audience, Iterable[int]], Awaitable[Mapping[int, RecordT]]],
    audience: Audience | None,
) -> Callable[[list[int]], Awaitable[list[RecordT | None]]]:
    async def load(keys: list[int]) -> list[RecordT | None]:
        if audience is None:
            return [None] * len(keys)
        found = await fetch(audience, keys)
        return [found.get(key) for key in keys]

    return load


class LinesByInvoiceLoader(DataLoader[int, list[InvoiceLineRecord]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_children(lines_by_invoice))


class PaymentsByInvoiceLoader(DataLoader[int, list[PaymentRecord]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_children(payments_by_invoice))


class ShipmentsByInvoiceLoader(DataLoader[int, list[ShipmentRecord]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_children(shipments_by_invoice))


class ItemsByShipmentLoader(DataLoader[int, list[ShipmentItemRecord]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_children(items_by_shipment))


class EventsByShipmentLoader(DataLoader[int, list[ShipmentEventRecord]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_children(events_by_shipment))


class AllocationsByPaymentLoader(DataLoader[int, list[PaymentAllocationRecord]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_children(allocations_by_payment))


class RefundsByPaymentLoader(DataLoader[int, list[RefundRecord]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_children(refunds_by_payment))


class ResponsibilityByInvoiceLoader(DataLoader[int, int]):
    """What the patient owes on each invoice, insurance aside, in minor units."""

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    @staticmethod
    async def _load(keys: list[int]) -> list[int]:
        found = await patient_responsibility_by_invoice(keys)
        return [found[key] for key in keys]


class TodayByPatientLoader(DataLoader[int, date]):
    """Today's date where each patient lives, which decides what is overdue for them."""

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    @staticmethod
    async def _load(keys: list[int]) -> list[date]:
        found = await todays_by_patient(keys)
        return [found[key] for key in keys]


class LocationByIdLoader(DataLoader[int, LocationRow | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    @staticmethod
    async def _load(keys: list[int]) -> list[LocationRow | None]:
        found = {row.id: row for row in await LocationRow.filter(id__in=sorted(set(keys)))}
        return [found.get(key) for key in keys]


class InvoiceByIdLoader(DataLoader[int, InvoiceRecord | None]):
    def __init__(self, audience: Audience | None) -> None:
        super().__init__(load_fn=_visible(invoices_by_id, audience))


class LineByIdLoader(DataLoader[int, InvoiceLineRecord | None]):
    def __init__(self, audience: Audience | None) -> None:
        super().__init__(load_fn=_visible(visible_lines_by_id, audience))


class PaymentByIdLoader(DataLoader[int, PaymentRecord | None]):
    def __init__(self, audience: Audience | None) -> None:
        super().__init__(load_fn=_visible(payments_by_id, audience))


class RefundByIdLoader(DataLoader[int, RefundRecord | None]):
    def __init__(self, audience: Audience | None) -> None:
        super().__init__(load_fn=_visible(refunds_by_id, audience))


class PaymentMethodByIdLoader(DataLoader[int, PaymentMethodRecord | None]):
    def __init__(self, audience: Audience | None) -> None:
        super().__init__(load_fn=_visible(payment_methods_by_id, audience))


class ShipmentByIdLoader(DataLoader[int, ShipmentRecord | None]):
    def __init__(self, audience: Audience | None) -> None:
        super().__init__(load_fn=_visible(shipments_by_id, audience))


class BillingLoaders:
    """One request's loaders, each built the first time it is asked for."""

    def __init__(self, viewer: Viewer) -> None:
        self.audience = audience_for(viewer)

    @cached_property
    def lines_by_invoice(self) -> LinesByInvoiceLoader:
        return LinesByInvoiceLoader()

    @cached_property
    def payments_by_invoice(self) -> PaymentsByInvoiceLoader:
        return PaymentsByInvoiceLoader()

    @cached_property
    def shipments_by_invoice(self) -> ShipmentsByInvoiceLoader:
        return ShipmentsByInvoiceLoader()

    @cached_property
    def items_by_shipment(self) -> ItemsByShipmentLoader:
        return ItemsByShipmentLoader()

    @cached_property
    def events_by_shipment(self) -> EventsByShipmentLoader:
        return EventsByShipmentLoader()

    @cached_property
    def allocations_by_payment(self) -> AllocationsByPaymentLoader:
        return AllocationsByPaymentLoader()

    @cached_property
    def refunds_by_payment(self) -> RefundsByPaymentLoader:
        return RefundsByPaymentLoader()

    @cached_property
    def responsibility_by_invoice(self) -> ResponsibilityByInvoiceLoader:
        return ResponsibilityByInvoiceLoader()

    @cached_property
    def today_by_patient(self) -> TodayByPatientLoader:
        return TodayByPatientLoader()

    @cached_property
    def location_by_id(self) -> LocationByIdLoader:
        return LocationByIdLoader()

    @cached_property
    def invoice_by_id(self) -> InvoiceByIdLoader:
        return InvoiceByIdLoader(self.audience)

    @cached_property
    def line_by_id(self) -> LineByIdLoader:
        return LineByIdLoader(self.audience)

    @cached_property
    def payment_by_id(self) -> PaymentByIdLoader:
        return PaymentByIdLoader(self.audience)

    @cached_property
    def refund_by_id(self) -> RefundByIdLoader:
        return RefundByIdLoader(self.audience)

    @cached_property
    def payment_method_by_id(self) -> PaymentMethodByIdLoader:
        return PaymentMethodByIdLoader(self.audience)

    @cached_property
    def shipment_by_id(self) -> ShipmentByIdLoader:
        return ShipmentByIdLoader(self.audience)


def loaders_for(info: Info[GraphQLContext, Any]) -> BillingLoaders:
    """This request's loaders, created on first use."""
    context = info.context
    return context.request_scoped(BillingLoaders, lambda: BillingLoaders(context.viewer))
