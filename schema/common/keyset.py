"""Keyset cursors: a page continues after the last row's sort value and id, not after a
count of rows, so rows added or removed before it never shift the next page.

A cursor is opaque base64 of ``[order, value, id]``. ``order`` names the sort it was made
for (field and direction); a cursor made for another order is refused with
``BAD_USER_INPUT``, as is anything that is not one of our cursors.
"""

from __future__ import annotations

import binascii
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass

import orjson

from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.pagination import page_request

CursorValue = int | str
# No sort value we encode is longer; a bigger cursor was not made by us.
_MAX_CURSOR_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class KeysetCursor:
    """A decoded cursor: the sort value and id of the row the page ends at."""

    value: CursorValue
    id: int


def page_size(first: int | None) -> int:
    """``first`` checked like every connection's (0 to 100, 20 when null)."""
    return page_request(first, None).limit


def encode_keyset_cursor(order: str, value: CursorValue, row_id: int) -> str:
    return urlsafe_b64encode(orjson.dumps([order, value, row_id])).decode()


def decode_keyset_cursor(cursor: str, order: str) -> KeysetCursor:
    """The position ``cursor`` holds, if it was made for ``order``; else ``BAD_USER_INPUT``."""
    try:
        if len(cursor) > _MAX_CURSOR_LENGTH:
            raise ValueError
        decoded = orjson.loads(urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error, orjson.JSONDecodeError):
        raise invalid_cursor_error() from None
    if not isinstance(decoded, list) or len(decoded) != 3:
        raise invalid_cursor_error()
    cursor_order, value, row_id = decoded
    if cursor_order != order:
        raise ExpectedError(
            RequestErrorCode.BAD_USER_INPUT, "`after` was made for another sort order."
        )
    if not _is_int(row_id) or not (_is_int(value) or isinstance(value, str)):
        raise invalid_cursor_error()
    return KeysetCursor(value=value, id=row_id)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def invalid_cursor_error() -> ExpectedError:
    """Also for a cursor whose value does not fit the sort it claims to be for."""
    return ExpectedError(RequestErrorCode.BAD_USER_INPUT, "`after` is not a valid cursor.")
