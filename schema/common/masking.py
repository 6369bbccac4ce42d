"""Which errors a client may read. Unexpected exceptions become "Unexpected error."; our
``ExpectedError`` and GraphQL's own syntax and validation errors pass unchanged."""

from __future__ import annotations

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
