"""Fetching billing objects by global ID for ``Query.node``, limited to what the caller
may see.

An object outside the caller's ``Audience`` resolves exactly like one that does not exist
(null), so an ID never reveals whether another patient's bill exists. Every object handed
out is put on the access log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from strawberry import Info
from strawberry.dataloader import DataLoader

from schema.common.errors import ExpectedError, RequestErrorCode
from schema.context import GraphQLContext
from schema.invoices.loaders import BillingLoaders, loaders_for

NodeT = TypeVar("NodeT")
# Bigger than any BIGINT primary key: such an ID names nothing.
_MAX_ID_DIGITS = 18


class PatientOwned(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def patient_id(self) -> int: ...


RecordT = TypeVar("RecordT", bound=PatientOwned)


async def visible_nodes(
    info: Info[GraphQLContext, Any],
    node_ids: Iterable[str],
    *,
    required: bool,
    resource_type: str,
    loader: Callable[[BillingLoaders], DataLoader[int, RecordT | None]],
    build: Callable[[RecordT], NodeT],
) -> list[NodeT | None]:
    """The objects named by ``node_ids``, in order, ``None`` for each one that does not
    exist or that the caller may not see. Signed-out callers get ``UNAUTHENTICATED``."""
    context = info.context
    if not context.viewer.is_authenticated:
        context.record_denial(field=info.field_name)
        raise ExpectedError(RequestErrorCode.UNAUTHENTICATED, "Sign in first.")
    ids = [_row_id(node_id) for node_id in node_ids]
    found = await loader(loaders_for(info)).load_many([row_id for row_id in ids if row_id])
    records = iter(found)
    nodes: list[NodeT | None] = []
    for row_id in ids:
        record = next(records) if row_id else None
        if record is None:
            nodes.append(None)
            continue
        context.record_read(resource_type, record.id, record.patient_id)
        nodes.append(build(record))
    if required and None in nodes:
        raise ExpectedError(RequestErrorCode.NOT_FOUND, "No such object.")
    return nodes


def _row_id(node_id: str) -> int | None:
    """The primary key a global ID's node part names; ``None`` (no such row) for anything
    that is not a plain positive number."""
    if not (node_id.isascii() and node_id.isdigit()) or len(node_id) > _MAX_ID_DIGITS:
        return None
    return int(node_id) or None
