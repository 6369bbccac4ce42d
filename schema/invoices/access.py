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

from schema.common.node import visible_nodes_by_id
from schema.context import GraphQLContext
from schema.invoices.loaders import BillingLoaders, loaders_for

NodeT = TypeVar("NodeT")


class PatientOwned(Protocol):
    """A billing object: of a patient, or of an organization (``patient_id`` None)."""

    @property
    def id(self) -> int: ...

    @property
    def patient_id(self) -> int | None: ...


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
    exist or that the caller may not see; each one shown is a read of ``resource_type``
    on the access log. Signed-out callers get ``UNAUTHENTICATED``."""

    def record(context: GraphQLContext, row: RecordT) -> None:
        context.record_read(resource_type, row.id, row.patient_id)

    return await visible_nodes_by_id(
        info,
        node_ids,
        required=required,
        load=loader(loaders_for(info)).load_many,
        build=build,
        record=record,
    )
