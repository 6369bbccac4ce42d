"""The contract's operations, sent exactly as the apps write them."""

from __future__ import annotations

import functools
from pathlib import Path

from graphql import OperationDefinitionNode, parse, print_ast

# Beside this repository, as in CI: ../shared/contract/operations.graphql.
CONTRACT = Path(__file__).resolve().parents[2] / "shared" / "contract" / "operations.graphql"
OFFICE_CONTRACT = CONTRACT.with_name("billing-office.graphql")


@functools.cache
def office_operation(name: str) -> str:
    """An operation of the billing office's contract, alone."""
    return _operation(OFFICE_CONTRACT, name)


@functools.cache
def contract_operation(name: str) -> str:
    """The text of the operation ``name`` alone (an app sends one operation, not the file)."""
    return _operation(CONTRACT, name)


def _operation(contract: Path, name: str) -> str:
    document = parse(contract.read_text())
    for definition in document.definitions:
        if (
            isinstance(definition, OperationDefinitionNode)
            and definition.name is not None
            and definition.name.value == name
        ):
            return print_ast(definition)
    raise LookupError(f"the contract has no operation {name!r}")
