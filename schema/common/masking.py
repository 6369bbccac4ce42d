"""Which errors a client may read. Unexpected exceptions become "Unexpected error."; our
``ExpectedError`` and GraphQL's own syntax and validation errors pass unchanged."""

from __future__ import annotations

import re

from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.relay import GlobalIDValueError

from schema.common.errors import ExpectedError, RequestErrorCode

INTERNAL_ERROR_CODE = "INTERNAL_SERVER_ERROR"


def is_unexpected_error(error: GraphQLError) -> bool:
    """True for an exception a resolver did not mean to show.

    Syntax and validation errors carry no ``original_error``: they describe the
    client's document, so they are shown.
    """
    original = error.original_error
    if original is None or isinstance(original, ExpectedError):
        return False
    # A variable that does not coerce: graphql-core's own error about the request (no path),
    # wrapping the GraphQLError that says why. The client's mistake, worded for the client.
    return not (error.path is None and isinstance(original, GraphQLError))


class MaskUnexpectedErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected_error, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        # A malformed or foreign Relay ID is the client's mistake, and its message
        # names only what the client sent, so say so instead of masking it.
        if isinstance(error.original_error, GlobalIDValueError):
            return GraphQLError(
                "Not a valid ID for this field.",
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": RequestErrorCode.BAD_USER_INPUT.value},
            )
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL_ERROR_CODE}
        return masked


_SUGGESTION = re.compile(r"\s*Did you mean\b.*$", re.DOTALL)


def has_suggestion(error: GraphQLError) -> bool:
    return _SUGGESTION.search(error.message) is not None


class HideSuggestions(MaskErrors):
    """Production: no "Did you mean 'myInvoices'?" in errors. With introspection off, the
    suggestions graphql-core adds to validation and coercion errors would let a client
    rebuild the schema name by name. The rest of the message, and the error's origin (for
    ``MaskUnexpectedErrors``), stay as they were."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=has_suggestion)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            _SUGGESTION.sub("", error.message),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=error.original_error,
            extensions=error.extensions,
        )
