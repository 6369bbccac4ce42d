"""Relay ``Node`` support shared by every fetchable type."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from strawberry import Info, relay
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.types.base import StrawberryObjectDefinition

from schema.common.errors import raise_not_implemented


class NodeLookupNotImplemented:
    """Mix in before ``relay.Node`` until the owning domain can fetch the type by ID.

    ``Query.node`` calls ``resolve_nodes``; this answers ``NOT_IMPLEMENTED`` instead of
    Strawberry's bare ``NotImplementedError``. A domain drops the mix-in when it writes
    its own ``resolve_nodes`` (with a loader and the caller's permissions).
    """

    @classmethod
    def resolve_nodes(
        cls,
        *,
        info: Info[Any, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> Any:
        raise_not_implemented(f"Fetching {cls.__name__} objects by ID")


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
