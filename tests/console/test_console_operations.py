"""The console speaks only the public API: every operation in web/js/operations.js
validates against the schema, and it asks for no refresh token in an answer."""

from __future__ import annotations

import re

import graphql
import pytest

from config.settings import Settings
from schema import build_schema
from tests.support.paths import REPOSITORY

OPERATIONS_FILE = REPOSITORY / "web" / "js" / "operations.js"


def _console_operations() -> dict[str, str]:
    source = OPERATIONS_FILE.read_text()
    constants = dict(re.findall(r'^const (\w+) = "([^"]*)";', source, flags=re.MULTILINE))
    documents = re.findall(r"^export const (\w+) = `([^`]*)`;", source, flags=re.MULTILINE)
    assert documents, "no operations found"
    return {
        name: re.sub(r"\$\{(\w+)\}", lambda match: constants[match.group(1)], text)
        for name, text in documents
    }


OPERATIONS = _console_operations()


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_console_operation_validates_against_the_schema(
    settings: Settings, name: str
) -> None:
    schema = graphql.build_schema(build_schema(settings).as_str())

    errors = graphql.validate(schema, graphql.parse(OPERATIONS[name]))

    assert not errors, [error.message for error in errors]


def test_the_console_never_asks_for_a_refresh_token() -> None:
    assert not [name for name, text in OPERATIONS.items() if "refreshToken" in text]
