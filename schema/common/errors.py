"""Expected failures, in the two shapes the API has for them.

- In a payload: ``errors: [UserError!]!`` with a code from the one ``ErrorCode`` enum.
- At the top level, for fields without a payload: an ``ExpectedError`` whose
  ``extensions.code`` says what went wrong. Only these, and GraphQL's own validation
  errors, pass the error mask; every other exception reaches the client as
  "Unexpected error.".
"""

from __future__ import annotations

from enum import StrEnum
from typing import NoReturn, TypeVar

import strawberry

from billing.errors import DomainError
from billing.errors import ErrorCode as ErrorCode
from schema.common.enums import described_enum
from schema.common.error_codes import ERROR_CODE_DESCRIPTIONS

# One enum for the whole API: the domain's codes, as they are, each saying when it comes.
described_enum(
    ErrorCode,
    "Why an operation could not be done; stable, for programs to branch on. A payload's "
    "errors use these codes, and so does a top-level error's extensions.code (besides "
    "BAD_USER_INPUT, for a malformed cursor or argument).",
    ERROR_CODE_DESCRIPTIONS,
)


class RequestErrorCode(StrEnum):
    """``extensions.code`` of a top-level error that is shown to the client as it is."""

    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    FORBIDDEN = "FORBIDDEN"
    MFA_ENROLLMENT_REQUIRED = "MFA_ENROLLMENT_REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
    RATE_LIMITED = "RATE_LIMITED"


class ExpectedError(Exception):
    """A failure the client caused or may see: raised from a resolver, never masked.

    graphql-core copies ``extensions`` onto the error it reports, so the client gets
    ``{"message": ..., "extensions": {"code": ...}}``. The message must not hold PHI.
    """

    def __init__(self, code: RequestErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions: dict[str, object] = {"code": code.value}


def raise_not_implemented(feature: str) -> NoReturn:
    """Fail a field whose behaviour a later piece of work delivers, without fake data."""
    raise ExpectedError(RequestErrorCode.NOT_IMPLEMENTED, _not_available(feature))


@strawberry.type(description="An expected failure of an operation, returned in its payload.")
class UserError:
    code: ErrorCode = strawberry.field(description="What went wrong, for programs.")
    field: str | None = strawberry.field(
        default=None, description="The input field at fault, when one is; null otherwise."
    )
    message: str = strawberry.field(description="What went wrong, for people.")

    @classmethod
    def from_domain_error(cls, error: DomainError) -> UserError:
        """``error`` for a payload, its field path in the client's terms (``lines.0.unitPrice``
        for the domain's ``lines.0.unit_price_minor``)."""
        field = None if error.field is None else ".".join(map(_client_name, error.field.split(".")))
        return cls(code=error.code, field=field, message=error.message)


# Domain names whose API input is named differently than the camelCase of the name.
_CLIENT_NAMES = {
    "covered_minor": "coveredAmount",
    "paid_minor": "paidAmount",
    "denied_minor": "deniedAmount",
}


def _client_name(part: str) -> str:
    if part in _CLIENT_NAMES:
        return _CLIENT_NAMES[part]
    head, *rest = part.removesuffix("_minor").split("_")
    return head + "".join(word.capitalize() for word in rest)


def not_implemented_error(feature: str) -> UserError:
    """The payload form of ``raise_not_implemented``."""
    return UserError(code=ErrorCode.NOT_IMPLEMENTED, field=None, message=_not_available(feature))


@strawberry.type
class Payload:
    """Base of every payload: the data fields are null when ``errors`` is not empty."""

    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Expected failures; empty when the operation succeeded.",
    )


PayloadT = TypeVar("PayloadT", bound=Payload)


def not_implemented_payload(payload_type: type[PayloadT], feature: str) -> PayloadT:
    """A payload with null data and one ``NOT_IMPLEMENTED`` error."""
    return payload_type(errors=[not_implemented_error(feature)])


def _not_available(feature: str) -> str:
    return f"{feature} is not available yet."
