"""Idempotency keys for requests that move money: a retry with the same key books once.

A client (a browser resubmitting, an app retrying after a timeout) sends an optional key
with a money mutation. The first attempt that succeeds stores the key, a fingerprint of what
it asked and the resource it made or changed, in the transaction of the change itself. A
later request with the same key and the same input gets that resource back and changes
nothing; the same key with another input is ``IDEMPOTENCY_KEY_REUSED``. A failed attempt
stores nothing, so its retry runs anew. Keys belong to the caller who sent them.

Two requests racing with one key both find no key stored; the second one's insert then
violates the unique key, its whole transaction rolls back (its change included), and it
answers with the first one's resource (``once``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import orjson
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.errors import DomainError, ErrorCode
from models.enums import AuditOutcome
from models.idempotency import IdempotencyKey

MAX_KEY_LENGTH = 255
KEY_FIELD = "idempotency_key"

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class KeyedRequest:
    """One caller's request under a key: what it is, who sent it and what it asked."""

    action: str
    actor_id: int
    key: str
    fingerprint: str


def keyed_request(
    action: str, actor_id: int | None, key: str | None, *request: object
) -> KeyedRequest | None:
    """The request under ``key``, fingerprinted from ``request`` (ids, amounts as text, the
    words the client sent); ``None`` without a key. ``INVALID_INPUT`` for a blank key or one
    longer than 255 characters, and for a caller who is not signed in."""
    if key is None:
        return None
    cleaned = key.strip()
    if not cleaned or len(cleaned) > MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"An idempotency key has 1 to {MAX_KEY_LENGTH} characters.",
            KEY_FIELD,
        )
    if actor_id is None:
        raise DomainError(ErrorCode.INVALID_INPUT, "Keys are for signed-in callers.", KEY_FIELD)
    canonical = orjson.dumps([str(part) for part in request])
    return KeyedRequest(action, actor_id, cleaned, hashlib.sha256(canonical).hexdigest())


async def once(
    audit: AuditBuffer,
    action: AuditedAction,
    request: KeyedRequest | None,
    change: Callable[[], Awaitable[_T]],
    *,
    identify: Callable[[_T], Awaitable[tuple[int, int | None]]],
    load: Callable[[int], Awaitable[_T]],
) -> _T:
    """Run ``change`` (which records its own success) once per key.

    ``identify`` names the resource a result is and the patient it belongs to; ``load``
    reads the resource a first attempt produced. A replay changes nothing and is put on
    the access log as a replay of ``action``."""
    first = await first_result(request)
    if first is None:
        try:
            async with in_transaction():
                result = await change()
                await _remember(request, (await identify(result))[0])
            return result
        except IntegrityError:
            # A concurrent attempt stored the key first (our change is rolled back), or
            # something else collided and the error is not ours to answer.
            first = await first_result(request)
            if first is None:
                raise
    replayed = await load(first)
    resource_id, patient_id = await identify(replayed)
    audit.record(
        action.name,
        AuditOutcome.SUCCESS,
        resource_type=action.resource_type,
        resource_id=str(resource_id),
        patient_id=patient_id,
        reference="idempotent-replay",
    )
    return replayed


async def first_result(request: KeyedRequest | None) -> int | None:
    """The resource id the key's first attempt produced, or ``None`` when the key is new.
    ``IDEMPOTENCY_KEY_REUSED`` when the key was used for a different input."""
    if request is None:
        return None
    stored = await IdempotencyKey.get_or_none(
        action=request.action, actor_id=request.actor_id, key=request.key
    )
    if stored is None:
        return None
    if stored.fingerprint != request.fingerprint:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was used for a different request.",
            KEY_FIELD,
        )
    return int(stored.resource_id)


async def _remember(request: KeyedRequest | None, resource_id: int) -> None:
    # Inside the change's transaction: a key a concurrent attempt stored first raises
    # IntegrityError, rolling the change back.
    if request is None:
        return
    await IdempotencyKey.create(
        action=request.action,
        actor_id=request.actor_id,
        key=request.key,
        fingerprint=request.fingerprint,
        resource_id=resource_id,
    )


async def forget(request: KeyedRequest | None) -> None:
    """Free the key after an outcome that changed nothing for good (the payment processor
    refused or could not be reached), so a retry runs anew."""
    if request is not None:
        await IdempotencyKey.filter(
            action=request.action, actor_id=request.actor_id, key=request.key
        ).delete()
