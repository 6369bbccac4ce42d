"""The blocklist of common and breached passwords shipped with the project.

It is zxcvbn's list of the 30,000 most frequent passwords from public breaches, compared
case-insensitively, loaded on first use only (it costs a few megabytes)."""

from __future__ import annotations

import functools


def is_breached(password: str) -> bool:
    """Whether ``password`` (already NFKC-normalised) is on the blocklist."""
    return password.casefold() in _blocklist()


@functools.cache
def _blocklist() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    return frozenset(entry.casefold() for entry in FREQUENCY_LISTS["passwords"])
