"""Stripe's list objects and cursor pagination: ``limit``, ``starting_after``, ``ending_before``.

Lists run newest first. ``starting_after=<id>`` pages towards older objects, ``ending_before=<id>``
towards newer ones; ``has_more`` says whether more lie further in the direction paged. A cursor
is an object's id, which must name an object of the listed kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from stripe_simulator.errors import JSON, invalid_request, no_such
from stripe_simulator.params import optional_int, optional_str

PAGE_PARAMS = ("limit", "starting_after", "ending_before")
_DEFAULT_LIMIT = 10


def list_page(
    collection: Mapping[str, JSON],
    params: JSON,
    *,
    url: str,
    kind: str,
    matches: Callable[[JSON], bool] = lambda _obj: True,
) -> JSON:
    """One page of the objects of ``collection`` (oldest first, as stored) that ``matches``."""
    limit = optional_int(params, "limit")
    limit = _DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= 100:
        raise invalid_request(
            "This value must be greater than or equal to 1 and less than or equal to 100.",
            param="limit",
        )
    starting_after = optional_str(params, "starting_after")
    ending_before = optional_str(params, "ending_before")
    if starting_after is not None and ending_before is not None:
        raise invalid_request(
            "You may only specify one of these parameters: ending_before, starting_after.",
            code="parameters_exclusive",
        )
    positions = {object_id: index for index, object_id in enumerate(collection)}
    newest_first = [obj for obj in reversed(list(collection.values())) if matches(obj)]
    if starting_after is not None:
        cursor = _position(positions, starting_after, kind, "starting_after")
        older = [obj for obj in newest_first if positions[obj["id"]] < cursor]
        page, has_more = older[:limit], len(older) > limit
    elif ending_before is not None:
        cursor = _position(positions, ending_before, kind, "ending_before")
        newer = [obj for obj in newest_first if positions[obj["id"]] > cursor]
        page, has_more = newer[-limit:], len(newer) > limit
    else:
        page, has_more = newest_first[:limit], len(newest_first) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


def _position(positions: Mapping[str, int], cursor: str, kind: str, param: str) -> int:
    if cursor not in positions:
        raise no_such(kind, cursor, param=param, status=400)
    return positions[cursor]
