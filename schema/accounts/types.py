"""GraphQL types of users and sign-in sessions."""

from __future__ import annotations

import datetime

import strawberry
from strawberry import relay

from models.enums import Role as Role
from models.users import User as UserRow
from schema.common import fields
from schema.common.errors import raise_not_implemented
from schema.common.node import NodeLookupNotImplemented
from schema.patients.types import Patient

strawberry.enum(Role, description="What a user may do.")


@strawberry.type(description="Someone who signs in: a patient, or staff.")
class User(NodeLookupNotImplemented, relay.Node):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="The sign-in email address.")
    roles: list[Role] = strawberry.field(description="The user's roles.")
    mfa_enabled: bool = strawberry.field(
        description="Whether sign-in asks for a one-time code from an authenticator app."
    )
    patient_id: strawberry.Private[int | None]

    @fields.field(description="The patient this user is, for a patient's own account.")
    def patient(self) -> Patient | None:
        raise_not_implemented("A user's patient record")

    @classmethod
    def from_model(cls, row: UserRow) -> User:
        return cls(
            id=row.id,
            email=row.email,
            roles=[Role(role) for role in row.roles],
            mfa_enabled=row.mfa_enabled,
            patient_id=row.patient_id,
        )


@strawberry.type(description="A signed-in session. Send the access token as a Bearer token.")
class Session:
    access_token: str = strawberry.field(description="Sent as `Authorization: Bearer <token>`.")
    refresh_token: str = strawberry.field(
        description="Exchanged once, with refreshSession, for a new session."
    )
    expires_at: datetime.datetime = strawberry.field(
        description="When the access token stops working."
    )
