from __future__ import annotations

import logging

import orjson

from api.logs import JsonFormatter
from config.request_context import current_request_id

PATIENT_NAME = "Margaret Thistlewood"


def _format(record: logging.LogRecord) -> dict[str, object]:
    parsed: dict[str, object] = orjson.loads(JsonFormatter().format(record))
    return parsed


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("billing.test", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_a_log_line_is_json_with_the_request_id() -> None:
    token = current_request_id.set("req-0123456789")
    try:
        entry = _format(_record("payment recorded"))
    finally:
        current_request_id.reset(token)

    assert entry["message"] == "payment recorded"
    assert entry["request_id"] == "req-0123456789"
    assert entry["level"] == "ERROR"


def test_arguments_of_a_log_call_never_reach_the_line() -> None:
    line = JsonFormatter().format(_record("lookup failed for %s", PATIENT_NAME))

    assert PATIENT_NAME not in line
    assert "lookup failed for %s" in line


def test_an_exception_is_logged_by_type_only() -> None:
    try:
        raise ValueError(f"no invoice for {PATIENT_NAME}")
    except ValueError as error:
        line = JsonFormatter().format(_record("resolver failed", exc=error))

    assert PATIENT_NAME not in line
    assert orjson.loads(line)["error_type"] == "ValueError"


def test_only_whitelisted_extra_fields_are_written() -> None:
    record = _record("request")
    record.__dict__.update({"status": 200, "patient_name": PATIENT_NAME})

    entry = _format(record)

    assert entry["status"] == 200
    assert "patient_name" not in entry


def test_the_servers_own_lifecycle_lines_are_formatted() -> None:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Started server process [%d]", (4242,), None
    )

    assert _format(record)["message"] == "Started server process [4242]"
