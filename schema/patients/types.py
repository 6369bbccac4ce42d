"""GraphQL types of patients."""

from __future__ import annotations

import strawberry
from strawberry import relay

from models.patients import Patient as PatientRow
from schema.common import fields
from schema.common.errors import raise_not_implemented
from schema.common.money import Money
from schema.common.node import NodeLookupNotImplemented


@strawberry.type(description="A person we bill. Personal details are encrypted at rest.")
class Patient(NodeLookupNotImplemented, relay.Node):
    id: relay.NodeID[int]
    location_id: strawberry.Private[int | None]

    @fields.field(description="The patient's name as shown to the patient and staff.")
    def display_name(self) -> str:
        raise_not_implemented("Patient names")

    @fields.field(description="Money the patient has with us (overpayments) to spend on invoices.")
    def credit_balance(self) -> Money:
        raise_not_implemented("Credit balances")

    @classmethod
    def from_model(cls, row: PatientRow) -> Patient:
        return cls(id=row.id, location_id=row.location_id)
