"""Relay connection arguments and results, checked the same way by every connection.

A resolver turns ``first``/``after`` into a ``PageRequest`` (refusing a bad one with
``BAD_USER_INPUT``), fetches ``page.fetch_limit`` rows from ``page.offset``, and hands
them to ``page_of`` for the edges and ``pageInfo``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, TypeVar

import strawberry
from strawberry import relay
from strawberry.relay.utils import from_base64, to_base64

from schema.common.enums import described_enum
from schema.common.errors import ExpectedError, RequestErrorCode

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_CURSOR_PREFIX = "offset"

NodeT = TypeVar("NodeT", bound=relay.Node)

FirstArgument = Annotated[
    int | None,
    strawberry.argument(
        description=f"How many items, 0 to {MAX_PAGE_SIZE}; {DEFAULT_PAGE_SIZE} when null."
    ),
]
AfterArgument = Annotated[
    str | None,
    strawberry.argument(description="The endCursor of the page before; null for the first page."),
]


class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


described_enum(
    OrderDirection,
    "Which way a list is sorted.",
    {
        "ASC": "Smallest, earliest or A first.",
        "DESC": "Largest, latest or Z first.",
    },
)


@dataclass(frozen=True, slots=True)
class PageRequest:
    offset: int
    limit: int

    @property
    def fetch_limit(self) -> int:
        """Rows to fetch: one more than the page, to learn whether another page follows."""
        return self.limit + 1


def page_request(
    first: int | None, after: str | None, *, default_size: int = DEFAULT_PAGE_SIZE
) -> PageRequest:
    """Check connection arguments; ``first`` must be 0..100 and ``after`` one of our cursors."""
    if first is None:
        first = default_size
    if first < 0 or first > MAX_PAGE_SIZE:
        raise ExpectedError(
            RequestErrorCode.BAD_USER_INPUT,
            f"`first` must be between 0 and {MAX_PAGE_SIZE}.",
        )
    offset = 0 if after is None else decode_cursor(after) + 1
    return PageRequest(offset=offset, limit=first)


def encode_cursor(position: int) -> str:
    return to_base64(_CURSOR_PREFIX, position)


def decode_cursor(cursor: str) -> int:
    try:
        prefix, raw_position = from_base64(cursor)
        position = int(raw_position)
    except ValueError:
        position = -1
        prefix = ""
    if prefix != _CURSOR_PREFIX or position < 0:
        raise ExpectedError(RequestErrorCode.BAD_USER_INPUT, "`after` is not a valid cursor.")
    return position


def page_of(
    rows: Sequence[NodeT], page: PageRequest
) -> tuple[list[relay.Edge[NodeT]], relay.PageInfo]:
    """Edges and page info for ``rows``, fetched with ``page.fetch_limit`` from ``page.offset``."""
    shown = rows[: page.limit]
    edges = [
        relay.Edge(cursor=encode_cursor(page.offset + index), node=node)
        for index, node in enumerate(shown)
    ]
    page_info = relay.PageInfo(
        has_next_page=len(rows) > page.limit,
        has_previous_page=page.offset > 0,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return edges, page_info
