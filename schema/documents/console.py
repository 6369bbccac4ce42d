"""The staff console's operations (web/js/operations.js), read as the browser sends them.

The console keeps its documents in one ES module: each ``export const NAME = `…`;`` is an
operation, and ``${NAME}`` inside one is a ``const NAME = "…";`` of that module (a shared
selection). They are registered documents like the contract's.
"""

from __future__ import annotations

import re
from pathlib import Path

# web/ beside the packages in a checkout; in the image (where the packages are installed in
# the virtualenv), web/ is copied into the working folder.
CONSOLE_FOLDERS = (Path(__file__).resolve().parents[2] / "web", Path.cwd() / "web")

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


def console_folder(candidates: tuple[Path, ...] = CONSOLE_FOLDERS) -> Path | None:
    """Where the console's files are: the first candidate holding its page, if any."""
    return next((path for path in candidates if (path / "index.html").is_file()), None)


def bundled_console_operations() -> list[str]:
    """The console's operations, or none where the service runs without its console."""
    folder = console_folder()
    if folder is None:
        return []
    return list(console_operations((folder / "js" / "operations.js").read_text()).values())
