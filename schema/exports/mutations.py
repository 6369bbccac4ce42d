"""Mutations of exports: a short-lived link to a CSV file."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import strawberry
from strawberry import Info

from auth.scopes import Scope
from auth.viewer import Viewer
from billing.exports import use_cases
from billing.exports.columns import Sensitivity
from billing.exports.links import export_url
from billing.exports.use_cases import CREATE_EXPORT
from schema.common import fields
from schema.common.ids import row_id
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.exports.types import CreateExportInput, CreateExportPayload


def allowed_sensitivities(viewer: Viewer) -> frozenset[Sensitivity]:
    """The columns a caller may export: as the API's field permissions say (codes and
    descriptions with clinical read, patients' names with patient-record read)."""
    allowed = set()
    if viewer.can(Scope.CLINICAL_READ):
        allowed.add(Sensitivity.CLINICAL)
    if viewer.can(Scope.PATIENTS_READ):
        allowed.add(Sensitivity.PATIENT_IDENTITY)
    return frozenset(allowed)


@strawberry.type
class ExportMutation:
    @fields.mutation(
        description=(
            "A short-lived link (5 minutes, opaque) to a CSV export. Its columns follow the "
            "caller's field permissions (no codes or descriptions for accountants, patients' "
            "names only for staff who read patient records); cells a spreadsheet would run "
            "as formulas are written as text. The link and each download are on the access "
            "log. Staff only."
        ),
        permission_classes=[requires(Scope.REPORTS_READ, Scope.BILLING_ALL_READ)],
        audit=CREATE_EXPORT,
    )
    async def create_export(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            CreateExportInput, strawberry.argument(description="What to export, for when.")
        ],
    ) -> CreateExportPayload:
        context = info.context
        location_id = None
        if input.location_id is not None:
            location_id = row_id(input.location_id, "Location", "location_id")
        link = await use_cases.create_export(
            context.audit,
            input.kind,
            from_date=input.from_,
            to_date=input.to,
            location_id=location_id,
            allowed=allowed_sensitivities(context.viewer),
            now=datetime.datetime.now(datetime.UTC),
        )
        return CreateExportPayload(
            url=export_url(context.settings.public_base_url, link.token),
            expires_at=link.expires_at,
        )
