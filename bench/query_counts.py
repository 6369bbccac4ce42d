"""SQL statements per request, counted in-process, and a check that the baseline answers
with the same JSON as the API.

Each request goes through the real ASGI app (and the baseline app) with httpx, on the same
database as the servers under load, while Tortoise's client logger is listened to: each
statement Tortoise sends (``execute_query``, ``execute_insert``, ...) logs itself once at
DEBUG. ``BEGIN``/``COMMIT`` are not counted. Nothing of this runs in the servers under load.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette

from bench.workload import HttpRequest

_CLIENT_LOGGER = "tortoise.db_client"


class _StatementCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Queries log as ("%s: %s", query, values) or as the bare script; pools log prose.
        if record.msg == "%s: %s" and isinstance(record.args, tuple) and record.args:
            self.statements.append(str(record.args[0]))
        elif isinstance(record.msg, str) and not record.args:
            self.statements.append(record.msg)


@contextmanager
def collecting_statements() -> Iterator[list[str]]:
    """The SQL statements Tortoise sends in this process while the block runs."""
    logger = logging.getLogger(_CLIENT_LOGGER)
    collector = _StatementCollector()
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # values may hold ciphertext and token hashes: print nothing
    logger.addHandler(collector)
    try:
        yield collector.statements
    finally:
        logger.removeHandler(collector)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, Any]
    statements: list[str]

    def error_codes(self) -> list[str]:
        """The codes of GraphQL errors and of payload ``errors`` anywhere in the answer."""
        codes: list[str] = []
        for error in self.body.get("errors") or []:
            codes.append(str((error.get("extensions") or {}).get("code", "ERROR")))
        _payload_codes(self.body.get("data"), codes)
        return codes


class InProcessClient:
    """Sends ``HttpRequest``s to an ASGI app in this process (the database is already open
    here, so the app's lifespan is not run)."""

    def __init__(self, app: Starlette) -> None:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        self._http = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")

    async def send(self, request: HttpRequest) -> Answer:
        headers = {"content-type": "application/json", **dict(request.headers)}
        with collecting_statements() as statements:
            response = await self._http.post(request.path, content=request.body, headers=headers)
        return Answer(response.status_code, orjson.loads(response.content), list(statements))

    async def aclose(self) -> None:
        await self._http.aclose()


def _payload_codes(node: object, codes: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "errors" and isinstance(value, list):
                codes += [str(error.get("code")) for error in value if isinstance(error, dict)]
            else:
                _payload_codes(value, codes)
    elif isinstance(node, list):
        for item in node:
            _payload_codes(item, codes)
