"""The staff console's operations (web/js/operations.js), read as the browser sends them.

The console keeps its documents in one ES module: each ``export const NAME = `…`;`` is an
operation, and ``${NAME}`` inside one is a ``const NAME = "…";`` of that module (a shared
selection). They are registered documents like the contract's.
"""

from __future__ import annotations

import re
from pathlib import Path

CONSOLE_OPERATIONS = Path(__file__).resolve().parents[2] / "web" / "js" / "operations.js"

_CONSTANT = re.compile(r'^const (\w+) = "([^"]*)";', flags=re.MULTILINE)
_OPERATION = re.compile(r"^export const (\w+) = `([^`]*)`;", flags=re.MULTILINE)
_INTERPOLATION = re.compile(r"\$\{(\w+)\}")


def console_operations(source: str) -> dict[str, str]:
    """Each exported operation of the module ``source`` by its constant's name, with the
    module's shared selections put in."""
    constants = dict(_CONSTANT.findall(source))
    return {
        name: _INTERPOLATION.sub(lambda match: constants[match.group(1)], text)
        for name, text in _OPERATION.findall(source)
    }


def bundled_console_operations() -> list[str]:
    """The console's operations, or none where the service runs without its console."""
    if not CONSOLE_OPERATIONS.exists():
        return []
    return list(console_operations(CONSOLE_OPERATIONS.read_text()).values())
