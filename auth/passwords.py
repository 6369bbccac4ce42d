"""argon2id password hashing, run off the event loop with bounded concurrency."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# RFC 9106's low-memory option (64 MiB, t=3) with one lane instead of four: the same work
# per hash, but on one core. libargon2 runs each lane in a thread of its own, so p=4 let
# a single login take every core of a small machine (measured in bench/RESULTS.md).
ARGON2_PARAMETERS = dataclasses.replace(profiles.RFC_9106_LOW_MEMORY, parallelism=1)
_HASHER = PasswordHasher.from_parameters(ARGON2_PARAMETERS)
# Hashes run one fewer at a time than there are cores: a login storm queues here, and
# the event loop always keeps a core for the other requests.
HASHING_THREADS = max(1, (os.cpu_count() or 2) - 1)
_EXECUTOR = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="argon2")


def normalize_password(password: str) -> str:
    """NFKC, so the same password typed on different keyboards hashes the same."""
    return unicodedata.normalize("NFKC", password)


async def hash_password(password: str) -> str:
    """The argon2id hash of ``password``, computed in the hashing thread pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_EXECUTOR, _HASHER.hash, normalize_password(password))


@dataclass(frozen=True)
class PasswordCheck:
    matches: bool
    # A new hash when the stored one used older parameters; store it after a good login.
    upgraded_hash: str | None = None


async def verify_password(stored_hash: str, password: str) -> PasswordCheck:
    """Check ``password`` against ``stored_hash`` off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        _EXECUTOR, _verify_and_maybe_rehash, stored_hash, normalize_password(password)
    )


async def spend_equal_time(password: str) -> None:
    """Verify against a dummy hash, so an unknown email costs what a wrong password costs."""
    await verify_password(_dummy_hash(), password)


def _verify_and_maybe_rehash(stored_hash: str, password: str) -> PasswordCheck:
    try:
        _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return PasswordCheck(matches=False)
    if _HASHER.check_needs_rehash(stored_hash):
        return PasswordCheck(matches=True, upgraded_hash=_HASHER.hash(password))
    return PasswordCheck(matches=True)


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("dummy password used only to spend equal time")
