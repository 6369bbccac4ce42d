"""The connection helpers every list shares."""

from __future__ import annotations

import pytest
from strawberry import relay

from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.pagination import (
    DEFAULT_PAGE_SIZE,
    PageRequest,
    decode_cursor,
    encode_cursor,
    page_of,
    page_request,
)
from schema.locations.types import Location


def _locations(count: int, start: int = 1) -> list[Location]:
    return [
        Location(id=n, name=f"Site {n}", timezone="America/Chicago", address="")
        for n in range(start, start + count)
    ]


def test_no_arguments_is_the_first_default_page() -> None:
    assert page_request(None, None) == PageRequest(offset=0, limit=DEFAULT_PAGE_SIZE)


def test_after_continues_behind_the_cursor() -> None:
    assert page_request(10, encode_cursor(29)) == PageRequest(offset=30, limit=10)


@pytest.mark.parametrize("first", [-1, 101, 10_000])
def test_first_out_of_range_is_refused(first: int) -> None:
    with pytest.raises(ExpectedError) as raised:
        page_request(first, None)

    assert raised.value.code is RequestErrorCode.BAD_USER_INPUT


@pytest.mark.parametrize("cursor", ["", "garbage", relay.to_base64("Invoice", 3)])
def test_a_cursor_we_did_not_issue_is_refused(cursor: str) -> None:
    with pytest.raises(ExpectedError) as raised:
        decode_cursor(cursor)

    assert raised.value.code is RequestErrorCode.BAD_USER_INPUT


def test_a_full_fetch_means_another_page_follows() -> None:
    page = PageRequest(offset=20, limit=3)
    rows = _locations(page.fetch_limit)

    edges, info = page_of(rows, page)

    assert [edge.node.id for edge in edges] == [1, 2, 3]
    assert info.has_next_page is True
    assert info.has_previous_page is True
    assert info.end_cursor == edges[-1].cursor
    assert page_request(3, info.end_cursor) == PageRequest(offset=23, limit=3)


def test_a_short_fetch_is_the_last_page() -> None:
    edges, info = page_of(_locations(2), PageRequest(offset=0, limit=3))

    assert len(edges) == 2
    assert info.has_next_page is False
    assert info.has_previous_page is False


def test_an_empty_page_has_no_cursors() -> None:
    no_rows: list[Location] = []

    edges, info = page_of(no_rows, PageRequest(offset=0, limit=3))

    assert edges == []
    assert info.start_cursor is None
    assert info.end_cursor is None
