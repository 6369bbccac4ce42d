"""GraphQL types of users and sign-in sessions."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import Info, relay
from strawberry.permission import BasePermission, PermissionExtension

from auth.scopes import Scope
from auth.sessions import IssuedSession
from models.enums import Role as Role
from models.patients import Patient as PatientRow
from models.users import User as UserRow
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.node import visible_nodes_by_id
from schema.context import GraphQLContext
from schema.patients.types import Patient

described_enum(
    Role,
    "What a user may do.",
    {
        "PATIENT": "Reads and pays their own bills, plans, shipments and cards.",
        "BILLING_STAFF": "Patients, invoices, insurance, adjustments, payments, refunds.",
        "ACCOUNTANT": "Every bill's money and the reports; no clinical details.",
        "ADMIN": "What billing staff may, and locations.",
        "AUDITOR": "The access log only.",
        "ORGANIZATION_BILLING": (
            "A business customer's billing user: its organization's invoices and statements."
        ),
    },
)


class _SeesUsersPatient(BasePermission):
    """The patient record of a user is shown to that patient and to staff who read patient
    records; to anyone else (say, the caller who just activated the account) it is null."""

    message = "Hidden."

    def has_permission(self, source: Any, info: Info[GraphQLContext, Any], **kwargs: Any) -> bool:
        viewer = info.context.viewer
        patient_id = source.patient_id if isinstance(source, User) else None
        if patient_id is None:
            return False
        return viewer.owns_patient_record(patient_id) or viewer.can(Scope.PATIENTS_READ)


@strawberry.type(description="Someone who signs in: a patient, or staff.")
class User(relay.Node):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="The sign-in email address.")
    roles: list[Role] = strawberry.field(description="The user's roles.")
    mfa_enabled: bool = strawberry.field(
        description="Whether sign-in asks for a one-time code from an authenticator app."
    )
    patient_id: strawberry.Private[int | None]

    @fields.field(
        description="The patient this user is, for a patient's own account.",
        extensions=[
            PermissionExtension(
                permissions=[_SeesUsersPatient()], fail_silently=True, use_directives=False
            )
        ],
    )
    async def patient(self) -> Patient | None:
        if self.patient_id is None:
            return None
        row = await PatientRow.get_or_none(id=self.patient_id)
        return None if row is None else Patient.from_model(row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[User | None]:
        """The caller's own account (as ``me``), and any account for auditors (as the
        actors of the access log); null otherwise."""
        viewer = info.context.viewer

        async def load(ids: list[int]) -> list[UserRow | None]:
            visible = [
                user_id
                for user_id in ids
                if user_id == viewer.user_id or viewer.can(Scope.AUDIT_READ)
            ]
            rows = {row.id: row for row in await UserRow.filter(id__in=visible)} if visible else {}
            return [rows.get(user_id) for user_id in ids]

        def record(context: GraphQLContext, row: UserRow) -> None:
            context.record_read("User", row.id, row.patient_id)

        return await visible_nodes_by_id(
            info, node_ids, required=required, load=load, build=cls.from_model, record=record
        )

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
    refresh_token: str | None = strawberry.field(
        description=(
            "Exchanged once, with refreshSession, for a new session. Null for a browser that "
            "asked for a cookie session (X-Session-Transport: cookie): it is in an HttpOnly "
            "cookie instead."
        )
    )
    expires_at: datetime.datetime = strawberry.field(
        description="When the access token stops working."
    )

    @classmethod
    def from_issued(cls, issued: IssuedSession) -> Session:
        return cls(
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_at=issued.access_expires_at,
        )
