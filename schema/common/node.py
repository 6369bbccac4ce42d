"""Relay ``Node`` support shared by every fetchable type."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry import Info

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
