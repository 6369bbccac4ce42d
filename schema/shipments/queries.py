"""Queries about shipments: a patient's own, with their tracking."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import Info

from auth.scopes import Scope
from billing.shipments.reads import patient_shipments
from schema.common import fields
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.pagination import AfterArgument, FirstArgument, page_of, page_request
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.shipments.types import Shipment, ShipmentConnection


@strawberry.type
class ShipmentQuery:
    @fields.field(
        description=(
            "The signed-in patient's shipments, of all their invoices, newest first, each "
            "with its carrier, tracking number, status and tracking updates."
        ),
        permission_classes=[requires(Scope.BILLING_OWN_READ)],
    )
    async def my_shipments(
        self,
        info: Info[GraphQLContext, Any],
        first: FirstArgument = None,
        after: AfterArgument = None,
    ) -> ShipmentConnection:
        patient_id = info.context.viewer.patient_id
        if patient_id is None:
            raise ExpectedError(RequestErrorCode.FORBIDDEN, "Only patients have shipments.")
        page = page_request(first, after)
        records = await patient_shipments(patient_id, page.offset, page.fetch_limit)
        for record in records[: page.limit]:
            info.context.record_read("Shipment", record.id, record.patient_id)
        edges, page_info = page_of([Shipment.from_model(record) for record in records], page)
        return ShipmentConnection(edges=edges, page_info=page_info)
