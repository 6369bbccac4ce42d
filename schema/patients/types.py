"""GraphQL types of patients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from auth.viewer import Viewer
from billing.ledger.credits import patient_credit_balance
from billing.patients.rules import display_name, read_patient_profile
from models.patients import Patient as PatientRow
from schema.common import fields
from schema.common.money import Money
from schema.common.node import visible_nodes_by_id
from schema.context import GraphQLContext
from schema.patients.cipher import phi_cipher

RESOURCE_TYPE = "Patient"


@strawberry.type(description="A person we bill. Personal details are encrypted at rest.")
class Patient(relay.Node):
    id: relay.NodeID[int]
    location_id: strawberry.Private[int | None]
    # The row it was built from, when at hand, so reading a field needs no query.
    row: strawberry.Private[PatientRow | None] = None

    @fields.field(description="The patient's name as shown to the patient and staff.")
    async def display_name(self, info: Info[GraphQLContext, Any]) -> str:
        row = await self._row(info)
        return display_name(read_patient_profile(phi_cipher(info.context), row))

    @fields.field(description="Money the patient has with us (overpayments) to spend on invoices.")
    async def credit_balance(self, info: Info[GraphQLContext, Any]) -> Money:
        info.context.record_read(RESOURCE_TYPE, self.id, self.id)
        currency = _primary_currency(info.context.settings.currencies)
        return Money.from_minor(await patient_credit_balance(self.id, currency), currency)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Patient | None]:
        """The caller's own record, and any patient for staff who read patient records;
        null otherwise. Reading a field of it is what goes on the access log."""
        viewer = info.context.viewer

        async def load(ids: list[int]) -> list[PatientRow | None]:
            visible = [patient_id for patient_id in ids if _may_see(viewer, patient_id)]
            rows = {row.id: row for row in await PatientRow.filter(id__in=visible)}
            return [rows.get(patient_id) for patient_id in ids]

        return await visible_nodes_by_id(
            info,
            node_ids,
            required=required,
            load=load,
            build=cls.from_model,
            record=lambda context, row: context.record_read(RESOURCE_TYPE, row.id, row.id),
        )

    @classmethod
    def from_model(cls, row: PatientRow) -> Patient:
        return cls(id=row.id, location_id=row.location_id, row=row)

    async def _row(self, info: Info[GraphQLContext, Any]) -> PatientRow:
        """The patient's row, with the read on record."""
        info.context.record_read(RESOURCE_TYPE, self.id, self.id)
        if self.row is None:
            self.row = await PatientRow.get(id=self.id)
        return self.row


def _may_see(viewer: Viewer, patient_id: int) -> bool:
    return viewer.owns_patient_record(patient_id) or viewer.can(Scope.PATIENTS_READ)


def _primary_currency(currencies: tuple[str, ...]) -> str:
    # Patients have no currency of their own: balances are in the service's first one.
    return currencies[0] if currencies else "USD"
