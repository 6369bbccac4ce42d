"""Mutations of remittances: upload an 835 file, match a claim by hand."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.remittances import use_cases
from billing.remittances.use_cases import MATCH_REMITTANCE_CLAIM, UPLOAD_REMITTANCE
from schema.common import fields
from schema.common.errors import Payload
from schema.common.ids import row_id
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.remittances.types import Remittance, RemittanceClaim


@strawberry.input(description="An X12 835 remittance advice file, as text.")
class UploadRemittanceInput:
    file_name: str = strawberry.field(description="The file's name, 1-255 characters.")
    content: str = strawberry.field(
        description="The 835 (005010X221A1) as text, ISA to IEA, one payment (one ST)."
    )


@strawberry.type(description="The result of uploadRemittance.")
class UploadRemittancePayload(Payload):
    remittance: Remittance | None = strawberry.field(
        default=None,
        description=(
            "The remittance, posted; the one stored the first time when the same file (same "
            "payer and trace number) came before. Null when errors is not empty."
        ),
    )


@strawberry.input(description="A claim left unmatched and the invoice to post it to.")
class MatchRemittanceClaimInput:
    claim_id: relay.GlobalID = strawberry.field(description="The remittance claim.")
    invoice_id: relay.GlobalID = strawberry.field(description="The invoice it pays.")


@strawberry.type(description="The result of matchRemittanceClaim.")
class MatchRemittanceClaimPayload(Payload):
    claim: RemittanceClaim | None = strawberry.field(
        default=None, description="The claim, posted; null when errors is not empty."
    )


@strawberry.type
class RemittanceMutation:
    @fields.mutation(
        description=(
            "Post an insurer's 835 remittance: each claim (CLP) to the invoice its number "
            "names, as an insurance decision; claims that fit no invoice stay UNMATCHED. A "
            "file that does not validate or balance is refused and nothing is stored. Staff "
            "only."
        ),
        permission_classes=[requires(Scope.INVOICES_WRITE)],
        audit=UPLOAD_REMITTANCE,
    )
    async def upload_remittance(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[UploadRemittanceInput, strawberry.argument(description="The file.")],
    ) -> UploadRemittancePayload:
        uploaded = await use_cases.upload_remittance(
            info.context.audit, input.file_name, input.content
        )
        return UploadRemittancePayload(remittance=Remittance.from_model(uploaded.remittance))

    @fields.mutation(
        description=(
            "Post an UNMATCHED remittance claim to the invoice staff chose, by the same rules "
            "as the upload. Staff only."
        ),
        permission_classes=[requires(Scope.INVOICES_WRITE)],
        audit=MATCH_REMITTANCE_CLAIM,
    )
    async def match_remittance_claim(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            MatchRemittanceClaimInput,
            strawberry.argument(description="The claim and the invoice."),
        ],
    ) -> MatchRemittanceClaimPayload:
        claim = await use_cases.match_remittance_claim(
            info.context.audit,
            row_id(input.claim_id, "RemittanceClaim", "claim_id"),
            row_id(input.invoice_id, "Invoice", "invoice_id"),
        )
        return MatchRemittanceClaimPayload(claim=RemittanceClaim.from_model(claim))
