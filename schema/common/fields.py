"""Typed forms of Strawberry's resolver decorators.

``@strawberry.field(description=...)`` is typed as returning ``Any``, which mypy --strict
rejects as an untyped decorator. These type it the way Strawberry types the bare
``@strawberry.field``: the decorated resolver reads as the value it resolves to. They also
make a description compulsory, so the schema documents itself.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar, cast, overload

import strawberry

from billing.audit.buffer import AuditedAction
from schema.common.payload_errors import DomainErrorsInPayload

T = TypeVar("T")


class ResolverDecorator(Protocol):
    @overload
    def __call__(self, resolver: Callable[..., Coroutine[Any, Any, T]]) -> T: ...

    @overload
    def __call__(self, resolver: Callable[..., T]) -> T: ...


def field(*, description: str, **options: Any) -> ResolverDecorator:
    """``@strawberry.field`` with a description; ``options`` go to Strawberry unchanged."""
    return cast(ResolverDecorator, strawberry.field(description=description, **options))


def mutation(*, description: str, audit: AuditedAction, **options: Any) -> ResolverDecorator:
    """``@strawberry.mutation`` with a description and the action it puts on the access log.

    A ``DomainError`` raised in the resolver becomes the payload's ``errors`` and a refused
    attempt at ``audit`` on the access log (``DomainErrorsInPayload``); the resolver itself
    only decodes its input, calls one use case and maps the result. Other ``options`` go to
    Strawberry unchanged.
    """
    extensions = [DomainErrorsInPayload(audit), *options.pop("extensions", [])]
    return cast(
        ResolverDecorator,
        strawberry.mutation(description=description, extensions=extensions, **options),
    )
