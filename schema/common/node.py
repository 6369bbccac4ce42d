"""Relay ``Node`` support shared by every fetchable type.

``Query.node`` calls the type's ``resolve_nodes``; each type answers through
``visible_nodes_by_id`` with a loader that returns only what the caller may see (the same
rule as wherever else the type is reached), so an object outside the caller's reach
resolves exactly like one that does not exist: null. Every object handed out is put on the
access log by the type's ``record``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from strawberry import Info, relay
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.types.base import StrawberryObjectDefinition

from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.permissions import sign_in_required
from schema.context import GraphQLContext

RecordT = TypeVar("RecordT")
NodeT = TypeVar("NodeT")
# Bigger than any BIGINT primary key: such an ID names nothing.
_MAX_ID_DIGITS = 18


async def visible_nodes_by_id(
    info: Info[GraphQLContext, Any],
    node_ids: Iterable[str],
    *,
    required: bool,
    load: Callable[[list[int]], Awaitable[Sequence[RecordT | None]]],
    build: Callable[[RecordT], NodeT],
    record: Callable[[GraphQLContext, RecordT], None],
) -> list[NodeT | None]:
    """The objects named by ``node_ids``, in order, ``None`` for each one ``load`` does not
    return (missing, or not the caller's to see). Signed-out callers get
    ``UNAUTHENTICATED`` (``SESSION_EXPIRED`` for an expired token); ``required`` turns a
    ``None`` into ``NOT_FOUND``."""
    context = info.context
    if not context.viewer.is_authenticated:
        context.record_denial(field=info.field_name)
        raise sign_in_required(context.viewer)
    ids = [node_row_id(node_id) for node_id in node_ids]
    found = await load([row_id for row_id in ids if row_id is not None])
    records = iter(found)
    nodes: list[NodeT | None] = []
    for row_id in ids:
        row = next(records) if row_id is not None else None
        if row is None:
            nodes.append(None)
            continue
        record(context, row)
        nodes.append(build(row))
    if required and None in nodes:
        raise ExpectedError(RequestErrorCode.NOT_FOUND, "No such object.")
    return nodes


def node_row_id(node_id: str) -> int | None:
    """The primary key a global ID's node part names; ``None`` (no such row) for anything
    that is not a plain positive number."""
    if not (node_id.isascii() and node_id.isdigit()) or len(node_id) > _MAX_ID_DIGITS:
        return None
    return int(node_id) or None


async def nobody(keys: list[int]) -> list[None]:
    """What a caller who may see none of these objects is given: nothing."""
    return [None] * len(keys)


class InterfaceIdsNameNothing(FieldExtension):
    """``node(id:)`` with an ID naming an interface (``Node:1``) rather than a type: such
    an ID names no object, so the answer is null, as for a missing one (Strawberry would
    call the interface's abstract ``resolve_nodes``)."""

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        global_id = kwargs.get("id")
        if isinstance(global_id, relay.GlobalID):
            definition = info.schema.get_type_by_name(global_id.type_name)
            if isinstance(definition, StrawberryObjectDefinition) and definition.is_interface:
                return None
        result = next_(source, info, **kwargs)
        # The relay resolver answers a coroutine that answers one: await until a value.
        while inspect.isawaitable(result):
            result = await result
        return result
