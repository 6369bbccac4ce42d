"""The console speaks only the public API: every operation in web/js/operations.js
validates against the schema, and it asks for no refresh token in an answer."""

from __future__ import annotations

import graphql
import pytest

from config.settings import Settings
from schema import build_schema
from schema.documents.console import console_folder, console_operations
from schema.documents.registry import bundled_documents

_FOLDER = console_folder()
assert _FOLDER is not None
OPERATIONS = console_operations((_FOLDER / "js" / "operations.js").read_text())


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_console_operation_validates_against_the_schema(
    settings: Settings, name: str
) -> None:
    schema = graphql.build_schema(build_schema(settings).as_str())

    errors = graphql.validate(schema, graphql.parse(OPERATIONS[name]))

    assert not errors, [error.message for error in errors]


def test_the_console_never_asks_for_a_refresh_token() -> None:
    assert not [name for name, text in OPERATIONS.items() if "refreshToken" in text]


def test_there_are_console_operations_and_each_is_a_registered_document() -> None:
    """Production runs only registered documents: the console's must be among them."""
    assert len(OPERATIONS) > 10
    assert all(bundled_documents().admits(text) for text in OPERATIONS.values())
