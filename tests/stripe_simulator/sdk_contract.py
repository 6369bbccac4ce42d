"""Stripe's wire shapes as stripe-python declares them, used to check what the simulator sends.

Nothing here lists Stripe's fields by hand: each object is checked against the type hints of the
SDK class its ``object`` names (``stripe._object_classes``), read from the installed package.

- A field whose hint is not ``Optional[...]`` is required: present and not null.
- An ``Optional`` field may be absent or null; when it has a value, the value is checked.
- A ``Literal`` is an enum: the value must be one of its members. The SDK widens most enums to
  ``Union[Literal[...], str]`` so that old SDKs accept values Stripe adds later; a simulator has no
  such excuse, so the ``str`` arm does not admit other strings.
- A field the SDK does not declare is refused: the simulator must not invent fields. The one
  known exception, ``SENT_BUT_UNDECLARED``, is a field Stripe sends that its spec omits.

The hints of stripe-python's modules name other resources as strings imported only under
``TYPE_CHECKING``; those imports are read from the module's source to resolve the names.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import types
import typing
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, ClassVar, Literal, Union

from stripe import ListObject, StripeObject
from stripe._error_object import ErrorObject
from stripe._event import Event
from stripe._object_classes import OBJECT_CLASSES, get_object_class
from stripe._payment_intent import PaymentIntent
from stripe._stripe_object import UntypedStripeObject

_MISSING = object()

# Fields Stripe's API sends that stripe-python's generated classes do not declare, by class.
SENT_BUT_UNDECLARED: Mapping[str, frozenset[str]] = {
    # Stripe's answer to POST /v1/ephemeral_keys names the customer the key is for; the mobile
    # SDKs' backend examples show it, the OpenAPI spec leaves it out.
    "EphemeralKey": frozenset({"associated_objects"}),
}


def object_class(object_name: str) -> type[StripeObject] | None:
    """The SDK class for an ``object`` value such as ``"payment_intent"``; None if unknown."""
    if object_name not in OBJECT_CLASSES:
        return None
    return get_object_class("V1", object_name)


def fields_of(cls: type[StripeObject]) -> dict[str, Any]:
    """The wire fields ``cls`` declares, by JSON name, with their resolved type hints."""
    return dict(_fields_of(cls))


def required_fields(cls: type[StripeObject]) -> list[str]:
    """The fields of ``cls`` whose hint is not ``Optional``."""
    return [name for name, hint in _fields_of(cls).items() if not _is_optional(hint)]


def object_violations(body: Any, path: str = "") -> list[str]:
    """What is wrong with a top-level Stripe object (anything with an ``object`` field)."""
    if not isinstance(body, dict):
        return [f"{path or '<body>'}: expected an object, got {type(body).__name__}"]
    name = body.get("object")
    if name == "list":
        return _check(body, ListObject[StripeObject], path or "list")
    cls = object_class(name) if isinstance(name, str) else None
    if cls is None:
        return [f"{path or '<body>'}: object {name!r} is not a Stripe object type"]
    return _check(body, cls, path or str(name))


def error_violations(body: Any) -> list[str]:
    """What is wrong with Stripe's error envelope ``{"error": {...}}``.

    The envelope's fields are ``ErrorObject``'s; its ``type`` and ``code`` enums are declared on
    the same API error schema where it is embedded in a PaymentIntent (``last_payment_error``).
    """
    if not isinstance(body, dict) or set(body) != {"error"}:
        return ["<body>: an error answer is exactly {'error': {...}}"]
    problems = _check(body["error"], ErrorObject, "error")
    enums = fields_of(PaymentIntent.LastPaymentError)
    for name in ("type", "code"):
        if body["error"].get(name) is not None:
            problems += _check(body["error"][name], enums[name], f"error.{name}")
    return problems


def event_violations(event: Any) -> list[str]:
    """What is wrong with an event: its own fields, ``data.object`` as the object it names, and
    ``data.previous_attributes`` as earlier values of that object's fields."""
    problems = _check(event, Event, "event")
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        return problems
    problems += object_violations(data.get("object"), "event.data.object")
    previous = data.get("previous_attributes")
    name = data.get("object", {}).get("object") if isinstance(data.get("object"), dict) else None
    cls = object_class(name) if isinstance(name, str) else None
    if isinstance(previous, dict) and cls is not None:
        declared = fields_of(cls)
        for key, value in previous.items():
            where = f"event.data.previous_attributes.{key}"
            if key not in declared:
                problems.append(f"{where}: {cls.__name__} declares no such field")
            elif value is not None:
                problems += _check(value, declared[key], where)
    return problems


def response_violations(status: int, body: Any) -> list[str]:
    """An API answer: a Stripe object when 2xx, otherwise Stripe's error envelope."""
    if 200 <= status < 300:
        return object_violations(body)
    return error_violations(body)


# -- the walk over type hints ------------------------------------------------------------------


def _check(value: Any, hint: Any, path: str) -> list[str]:
    return list(_violations(value, hint, path))


def _violations(value: Any, hint: Any, path: str) -> Iterator[str]:
    origin = typing.get_origin(hint)
    if hint is Any or hint is object:
        return
    if origin is Union or origin is types.UnionType:
        yield from _union_violations(value, typing.get_args(hint), path)
    elif origin is Literal:
        if value not in typing.get_args(hint):
            yield f"{path}: {value!r} is not one of {list(typing.get_args(hint))}"
    elif hint is type(None):
        if value is not None:
            yield f"{path}: expected null"
    elif hint is bool:
        if not isinstance(value, bool):
            yield f"{path}: expected a boolean, got {value!r}"
    elif hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            yield f"{path}: expected an integer, got {value!r}"
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            yield f"{path}: expected a number, got {value!r}"
    elif hint is str:
        if not isinstance(value, str):
            yield f"{path}: expected a string, got {value!r}"
    elif hint is Decimal:
        if not isinstance(value, str | int | float):
            yield f"{path}: expected a decimal string, got {value!r}"
    elif origin is list:
        yield from _list_violations(value, hint, path)
    elif origin in (dict, Mapping) or origin is UntypedStripeObject:
        yield from _mapping_violations(value, hint, path)
    elif origin is ListObject or hint is ListObject:
        yield from _list_object_violations(value, hint, path)
    elif hint is StripeObject:
        # An untyped object: only one that names its type can be checked further.
        if not isinstance(value, dict):
            yield f"{path}: expected an object, got {value!r}"
        elif "object" in value:
            yield from object_violations(value, path)
    elif isinstance(hint, type) and issubclass(hint, StripeObject):
        yield from _object_violations(value, hint, path)
    else:
        yield f"{path}: the SDK's hint {hint!r} is not understood by this check"


def _union_violations(value: Any, arms: tuple[Any, ...], path: str) -> Iterator[str]:
    if value is None:
        if type(None) not in arms:
            yield f"{path}: must not be null"
        return
    arms = tuple(arm for arm in arms if arm is not type(None))
    enums = [arm for arm in arms if typing.get_origin(arm) is Literal]
    if enums and isinstance(value, str):
        allowed = [member for enum in enums for member in typing.get_args(enum)]
        if value not in allowed:
            yield f"{path}: {value!r} is not one of {allowed}"
        return
    attempts = [_check(value, arm, path) for arm in arms if typing.get_origin(arm) is not Literal]
    if not attempts or all(attempts):
        # The nearest arm's problems say the most.
        yield from min(attempts, key=len) if attempts else [f"{path}: {value!r} fits no arm"]


def _list_violations(value: Any, hint: Any, path: str) -> Iterator[str]:
    if not isinstance(value, list):
        yield f"{path}: expected a list, got {value!r}"
        return
    (item,) = typing.get_args(hint) or (Any,)
    for index, element in enumerate(value):
        yield from _violations(element, item, f"{path}[{index}]")


def _mapping_violations(value: Any, hint: Any, path: str) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{path}: expected an object, got {value!r}"
        return
    args = typing.get_args(hint)
    item = args[-1] if args else Any
    for key, element in value.items():
        if not isinstance(key, str):
            yield f"{path}: key {key!r} is not a string"
        yield from _violations(element, item, f"{path}.{key}")


def _list_object_violations(value: Any, hint: Any, path: str) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{path}: expected a list object, got {value!r}"
        return
    (item,) = typing.get_args(hint) or (StripeObject,)
    if value.get("object") != ListObject.OBJECT_NAME:
        yield f"{path}.object: expected {ListObject.OBJECT_NAME!r}, got {value.get('object')!r}"
    declared = {"object", *fields_of(ListObject)}
    for key in sorted(value.keys() - declared):
        yield f"{path}.{key}: ListObject declares no such field"
    for name in ("has_more", "url"):
        hint_of_field = fields_of(ListObject)[name]
        yield from _violations(value.get(name, _MISSING), hint_of_field, f"{path}.{name}")
    data = value.get("data")
    if not isinstance(data, list):
        yield f"{path}.data: expected a list, got {data!r}"
        return
    for index, element in enumerate(data):
        where = f"{path}.data[{index}]"
        if item is StripeObject:
            yield from object_violations(element, where)
        else:
            yield from _violations(element, item, where)


def _object_violations(value: Any, cls: type[StripeObject], path: str) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{path}: expected {cls.__name__} as an object, got {value!r}"
        return
    declared = _fields_of(cls)
    tolerated = SENT_BUT_UNDECLARED.get(cls.__qualname__, frozenset())
    for key in sorted(value.keys() - declared.keys() - tolerated):
        yield f"{path}.{key}: {cls.__qualname__} declares no such field"
    for name, hint in declared.items():
        where = f"{path}.{name}"
        if value.get(name) is None and not _is_optional(hint):
            state = "null" if name in value else "missing"
            yield f"{where}: required by {cls.__qualname__} but {state}"
        elif name in value:
            yield from _violations(value[name], hint, where)


def _is_optional(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return (origin is Union or origin is types.UnionType) and type(None) in typing.get_args(hint)


# -- reading the SDK's hints -------------------------------------------------------------------


_FIELDS: dict[type[StripeObject], Mapping[str, Any]] = {}


def _fields_of(cls: type[StripeObject]) -> Mapping[str, Any]:
    if cls not in _FIELDS:
        _FIELDS[cls] = _read_fields(cls)
    return _FIELDS[cls]


def _read_fields(cls: type[StripeObject]) -> Mapping[str, Any]:
    remapped: Mapping[str, str] = getattr(cls, "_field_remappings", {})
    fields: dict[str, Any] = {}
    for owner in reversed(cls.__mro__):
        if not (isinstance(owner, type) and issubclass(owner, StripeObject)):
            continue
        if owner is StripeObject:
            continue
        own = {
            name: hint
            for name, hint in inspect.get_annotations(owner).items()
            if not name.startswith("_")
        }
        for name, hint in _resolve(own, owner.__module__).items():
            if typing.get_origin(hint) is ClassVar:
                continue
            fields[remapped.get(name, name)] = hint
    return fields


def _resolve(annotations: dict[str, Any], module_name: str) -> dict[str, Any]:
    """Evaluate string and ``ForwardRef`` hints in the namespace their module sees."""

    def holder() -> None: ...

    holder.__annotations__ = annotations
    return typing.get_type_hints(holder, globalns=_namespace(module_name))


@functools.cache
def _namespace(module_name: str) -> dict[str, Any]:
    module = importlib.import_module(module_name)
    namespace = dict(vars(module))
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    imported = importlib.import_module(statement.module)
                    for alias in statement.names:
                        namespace[alias.asname or alias.name] = getattr(imported, alias.name)
    return namespace


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )
