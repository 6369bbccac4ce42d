"""Finding patients. Staff only."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.errors import DomainError
from billing.patients.search import (
    SEARCH_ACTION,
    search_condition,
    search_page,
)
from billing.patients.search import (
    PatientSearch as SearchCriteria,
)
from models.enums import AuditOutcome
from schema.common import fields
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.keyset import (
    decode_keyset_cursor,
    encode_keyset_cursor,
    invalid_cursor_error,
    page_size,
)
from schema.common.pagination import AfterArgument, FirstArgument
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.patients.cipher import phi_cipher
from schema.patients.types import RESOURCE_TYPE, Patient, PatientConnection

_ORDER = "patients:ID:ASC"


@strawberry.input(
    description=(
        "What to find patients by; give at least one, and every one given must match. "
        "Names match whole names, ignoring case, accents, apostrophes, hyphens and extra "
        "spaces (José = jose, O'Brien = OBrien, Smith-Jones = smith jones); a part of a "
        "name, a nickname or a former name does not match. Phone numbers match in any "
        "format of the same number, emails ignoring case, account numbers with or without "
        "dashes. Matching goes through keyed hashes: no patient is decrypted to search."
    )
)
class PatientSearch:
    last_name: str | None = strawberry.field(default=None, description="Family name, whole.")
    first_name: str | None = strawberry.field(default=None, description="Given name, whole.")
    date_of_birth: datetime.date | None = strawberry.field(
        default=None, description="Date of birth."
    )
    email: str | None = strawberry.field(default=None, description="Email address.")
    phone: str | None = strawberry.field(
        default=None, description="Phone number; without a country code, a US number."
    )
    account_number: str | None = strawberry.field(
        default=None, description="Account number, such as 1234-5678-9."
    )


@strawberry.type
class PatientQuery:
    @fields.field(
        description=(
            "Patients matching every given criterion, oldest record first. Staff only. "
            "The search is on the access log by the names of its criteria, never their "
            "values, and every patient it returns as read."
        ),
        permission_classes=[requires(Scope.PATIENTS_READ)],
    )
    async def patients(
        self,
        info: Info[GraphQLContext, Any],
        search: Annotated[
            PatientSearch,
            strawberry.argument(description="Who to look for; give one way of finding them."),
        ],
        first: FirstArgument = None,
        after: AfterArgument = None,
    ) -> PatientConnection:
        context = info.context
        limit = page_size(first)
        after_id = None if after is None else _after_id(after)
        criteria = SearchCriteria(
            last_name=search.last_name,
            first_name=search.first_name,
            date_of_birth=search.date_of_birth,
            email=search.email,
            phone=search.phone,
            account_number=search.account_number,
        )
        reference = "by:" + ",".join(criteria.given_fields())
        try:
            condition = search_condition(phi_cipher(context), criteria)
        except DomainError as error:
            context.audit.record(
                SEARCH_ACTION,
                AuditOutcome.FAILURE,
                resource_type=RESOURCE_TYPE,
                reference=f"{reference};{error.code.value}",
            )
            raise ExpectedError(RequestErrorCode.BAD_USER_INPUT, error.message) from None
        page = await search_page(condition, after_id, limit)
        context.audit.record(
            SEARCH_ACTION,
            AuditOutcome.SUCCESS,
            resource_type=RESOURCE_TYPE,
            reference=f"{reference};found:{len(page.patients)}",
        )
        for row in page.patients:
            context.record_read(RESOURCE_TYPE, row.id, row.id)
        edges = [
            relay.Edge(
                cursor=encode_keyset_cursor(_ORDER, row.id, row.id), node=Patient.from_model(row)
            )
            for row in page.patients
        ]
        return PatientConnection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            condition=condition,
        )


def _after_id(after: str) -> int:
    cursor = decode_keyset_cursor(after, _ORDER)
    if cursor.value != cursor.id:
        raise invalid_cursor_error()
    return cursor.id
