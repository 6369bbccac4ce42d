"""From the Relay global IDs a client sends to the row ids ``billing`` takes."""

from __future__ import annotations

from strawberry import relay

from billing.errors import DomainError, ErrorCode

# Bigger than any BIGINT primary key: such an ID names nothing.
_MAX_ID_DIGITS = 18


def row_id(global_id: relay.GlobalID, type_name: str, field: str) -> int:
    """The primary key ``global_id`` names. ``INVALID_INPUT`` on ``field`` for an ID of
    another type or a malformed one, ``NOT_FOUND`` for a number no row can have."""
    node_id = global_id.node_id
    if global_id.type_name != type_name or not (node_id.isascii() and node_id.isdigit()):
        raise DomainError(ErrorCode.INVALID_INPUT, f"Not the ID of a {type_name}.", field)
    if len(node_id) > _MAX_ID_DIGITS or int(node_id) == 0:
        raise DomainError(ErrorCode.NOT_FOUND, f"No such {type_name}.", field)
    return int(node_id)
