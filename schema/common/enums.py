"""Enums of the API with a description on every value.

The domain's enums (``models.enums``, ``billing.errors``) stay free of Strawberry; here each
one becomes a GraphQL enum whose values carry the text the schema shows. A test walks the
schema and fails on any value left without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

EnumT = TypeVar("EnumT", bound=type[Enum])


def described_enum(
    cls: EnumT, description: str, values: Mapping[str, str], *, name: str | None = None
) -> EnumT:
    """``cls`` as a GraphQL enum (named ``name``, by default as the class) described by
    ``description``, each value by ``values[member.name]``. Raises ``ValueError`` naming a
    description for no member."""
    strange = set(values) - {member.name for member in cls}
    if strange:
        raise ValueError(f"{cls.__name__} has no member {sorted(strange)}")
    strawberry.enum(cls, name=name, description=description)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = values.get(value.name)
    return cls
