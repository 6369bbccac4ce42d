"""JSON log lines. Only whitelisted fields are written, so a stray PHI value in a log
call's arguments or an exception message never reaches the log."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import orjson

from config.request_context import current_request_id

# The server's own lifecycle lines (addresses, ports, pids) carry no request data, so their
# arguments may be formatted in. Every other logger's arguments are dropped.
_FORMATTED_LOGGERS = frozenset({"uvicorn.error"})

# Fields a log call may attach with ``extra=``; everything else is dropped.
_ALLOWED_EXTRA = frozenset(
    {
        "method",
        "path",
        "status",
        "duration_ms",
        "event",
        "error_type",
        "operation",
        "count",
        "client_request_id",
    }
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
        }
        request_id = current_request_id.get()
        if request_id:
            entry["request_id"] = request_id
        for key in _ALLOWED_EXTRA:
            if key in record.__dict__:
                entry[key] = record.__dict__[key]
        if record.exc_info and record.exc_info[0] is not None:
            # The type, never the message or traceback locals: both can hold PHI.
            entry["error_type"] = record.exc_info[0].__name__
        return orjson.dumps(entry, default=str).decode()


def _message(record: logging.LogRecord) -> str:
    if not isinstance(record.msg, str):
        return type(record.msg).__name__
    if record.name in _FORMATTED_LOGGERS and record.args:
        return record.getMessage()
    # The template only: arguments may carry values we must not log.
    return record.msg


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Our own access line replaces uvicorn's, which prints the query string.
    logging.getLogger("uvicorn.access").disabled = True
