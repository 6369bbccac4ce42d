"""Stripe's form-encoded parameters (``metadata[k]=v``, ``expand[0]=x``): decoding and reading."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from stripe_simulator.errors import JSON, invalid_request

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def decode_form(encoded: str) -> JSON:
    """Nest ``a[b][c]=v`` into dicts; dicts keyed ``0..n`` (or ``[]``) become lists."""
    root: JSON = {}
    for key, value in parse_qsl(encoded, keep_blank_values=True):
        head, _, rest = key.partition("[")
        parts = [head, *_KEY_PART.findall("[" + rest)] if rest else [head]
        node = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "":  # "expand[]=x": append
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid_request(f"Invalid nesting for parameter {key}", param=key)
                node = child
    return _listify(root)


def _listify(node: JSON) -> JSON:
    result: JSON = {}
    for key, value in node.items():
        if isinstance(value, dict):
            nested = _listify(value)
            if nested and all(k.isdigit() for k in nested):
                result[key] = [nested[k] for k in sorted(nested, key=int)]
            else:
                result[key] = nested
        else:
            result[key] = value
    return result


def reject_unknown(params: JSON, allowed: Iterable[str]) -> None:
    known = {"expand", *allowed}
    for name in params:
        if name not in known:
            raise invalid_request(
                f"Received unknown parameter: {name}", code="parameter_unknown", param=name
            )


def required_str(params: JSON, name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or value == "":
        raise invalid_request(
            f"Missing required param: {name}.", code="parameter_missing", param=name
        )
    return value


def optional_str(params: JSON, name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid_request(f"Invalid string: {name}", param=name)
    return value


def optional_int(params: JSON, name: str) -> int | None:
    value = optional_str(params, name)
    if value is None:
        return None
    if not value.isdigit():
        raise invalid_request(
            f"Invalid integer: {value}", code="parameter_invalid_integer", param=name
        )
    return int(value)


def required_int(params: JSON, name: str) -> int:
    value = optional_int(params, name)
    if value is None:
        raise invalid_request(
            f"Missing required param: {name}.", code="parameter_missing", param=name
        )
    return value


def optional_bool(params: JSON, name: str, default: bool = False) -> bool:
    value = optional_str(params, name)
    if value is None:
        return default
    if value not in ("true", "false"):
        raise invalid_request(f"Invalid boolean: {value}", param=name)
    return value == "true"


def off_session_flag(params: JSON) -> bool:
    """``off_session``: ``true``/``false``, or the kind of off-session payment it is."""
    value = optional_str(params, "off_session")
    if value in (None, "false"):
        return False
    if value in ("true", "one_off", "recurring"):
        return True
    raise invalid_request(f"Invalid off_session: {value}", param="off_session")


def one_of(
    params: JSON, name: str, choices: tuple[str, ...], default: str | None = None
) -> str | None:
    value = optional_str(params, name)
    if value is None:
        return default
    if value not in choices:
        raise invalid_request(f"Invalid {name}: must be one of {', '.join(choices)}", param=name)
    return value


def metadata(params: JSON, existing: dict[str, str] | None = None) -> dict[str, str]:
    """Stripe merges metadata keys; an empty value deletes a key."""
    result = dict(existing or {})
    value: Any = params.get("metadata")
    if value is None or value == "":
        return result
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise invalid_request("Invalid metadata: must be a hash of strings", param="metadata")
    for key, item in value.items():
        if item == "":
            result.pop(key, None)
        else:
            result[key] = item
    return result
