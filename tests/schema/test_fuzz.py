"""A fuzz driven by the schema: generated operations on every root Query and Mutation field,
sent to the real app as a signed-in patient, with arguments of the wrong type, huge
strings, malformed and foreign IDs (the other patient's real ones among them), bad Decimals
and nulls, as variables or inline literals.

Whatever is sent: no 5xx; every error is one of ours (an expected code, or GraphQL's own
rejection of the document or its variables, which has no ``path``), never an unexpected
exception, a driver message or a stack trace; and nothing identifying the other patient
(her name, email, member id, invoice numbers, the global ids of her objects, her Stripe ids)
is in the answer unless the request itself carried it. Besides the fuzz, every ID argument
is given each kind of the other patient's IDs: the answer must be the one a missing ID gets.

Stripe is the simulator on loopback, so mutations that call it do so for real. Hypothesis
runs derandomized and without its example database, so CI sends the same operations on
every run; the example count per field is bounded to keep the module well under a minute.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import graphql
import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLUnionType,
)
from graphql.language import Lexer, Source, TokenKind
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import build_app
from auth.sessions import SessionScope, create_session
from billing.patients.rules import create_patient
from config.settings import Settings, load_settings
from models.enums import Role
from models.invoices import InvoiceLine
from models.patients import Patient
from models.payments import PaymentAllocation, PaymentMethod
from schema import build_schema
from schema.common.errors import RequestErrorCode
from schema.root import MAX_TOKENS
from stripe_simulator import SimulatorConfig, build_simulator_app
from tests.support.database_reset import reset_database
from tests.support.factories.accounts import api_cipher
from tests.support.factories.auth import make_user
from tests.support.factories.invoices import global_id, invoice, location, shipment
from tests.support.graphql_client import GRAPHQL_PATH
from tests.support.stripe_fixture import (
    API_KEY,
    SDK_DATA_WARNING,
    close_shared_gateway,
    free_socket,
    serving,
    settings_for_simulator,
)

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

SCHEMA = graphql.build_schema(build_schema(load_settings({})).as_str())
EXPECTED_CODES = {code.value for code in RequestErrorCode}
# What a database, a driver, the ORM or Python would say; none of it may reach a client.
INTERNALS = re.compile(
    r"(?i:traceback|sqlite|asyncpg|psycopg|postgres|tortoise|pypika)|File \"|\.py\b|stripe\."
    r"|\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\s"
    r"|(Integrity|Operational|Validation|Key|Type|Value|Attribute|Index|Decimal)Error",
)
_SELECTION_DEPTH = 4
_SELECTION_TOKENS = MAX_TOKENS - 400


# ---------------------------------------------------------------- selections, from the schema


def _token_count(document: str) -> int:
    lexer = Lexer(Source(document))
    count = 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


def _needs_arguments(field: GraphQLField) -> bool:
    return any(
        isinstance(argument.type, GraphQLNonNull) and argument.default_value is graphql.Undefined
        for argument in field.args.values()
    )


def _selection(output: GraphQLOutputType, depth: int) -> str:
    """Every field reachable within ``depth`` levels that needs no argument; abstract types
    by an inline fragment per possible type."""
    named: GraphQLNamedType = graphql.get_named_type(output)
    if graphql.is_leaf_type(named):
        return ""
    parts = ["__typename"]
    if depth > 0 and isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        for name, field in named.fields.items():
            if not _needs_arguments(field):
                parts.append(f"{name} {_selection(field.type, depth - 1)}".strip())
    if depth > 0 and isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        for possible in SCHEMA.get_possible_types(named):
            parts.append(f"... on {possible.name} {_selection(possible, depth - 1)}")
    return "{ " + " ".join(parts) + " }"


def _fitting_selection(field: GraphQLField) -> str:
    """The deepest selection of ``field`` that leaves room for arguments under the limit."""
    for depth in range(_SELECTION_DEPTH, -1, -1):
        selection = _selection(field.type, depth)
        if _token_count(selection) <= _SELECTION_TOKENS:
            return selection
    raise AssertionError("no selection fits the token limit")


@dataclass(frozen=True)
class RootField:
    operation: str
    name: str
    field: GraphQLField
    selection: str

    def __repr__(self) -> str:
        return f"{self.operation}.{self.name}"


def _root_fields() -> list[RootField]:
    fields = []
    for operation, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        assert root is not None
        for name, field in root.fields.items():
            fields.append(RootField(operation, name, field, _fitting_selection(field)))
    return fields


ROOT_FIELDS = _root_fields()


# ---------------------------------------------------------------- the people and their data


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str
    phone: str
    born: date
    provider: str
    member_id: str
    stripe_customer: str | None


# Ada signs in. Her Stripe Customer is made at the simulator when a fuzzed startSavingCard
# asks for one; Grace's values are chosen to appear nowhere else.
ADA = Person(
    "Ada",
    "Lovelace",
    "ada@example.org",
    "+1 312 555 0100",
    date(1980, 2, 3),
    "Dr. Adams",
    "ADA-M-1",
    None,
)
GRACE = Person(
    "Grace",
    "Hopperfield",
    "grace.hopper@example.net",
    "+1 312 555 0199",
    date(1906, 12, 9),
    "Dr. Zygmunt Quillfeather",
    "GRACE-M-77",
    "cus_GraceFuzzCustomer",
)


@dataclass(frozen=True)
class Seeded:
    user_id: int
    ids: dict[str, list[str]]
    tokens: frozenset[str]


@dataclass(frozen=True)
class Secrets:
    """What identifies the other patient: exact tokens (ids, numbers, emails) and words."""

    tokens: frozenset[str]
    words: tuple[str, ...]


@dataclass(frozen=True)
class FuzzWorld:
    client: httpx.AsyncClient
    patient_user_id: int
    own: dict[str, list[str]]
    foreign: dict[str, list[str]]
    secrets: Secrets

    @property
    def own_ids(self) -> list[str]:
        return [value for ids in self.own.values() for value in ids]

    @property
    def foreign_ids(self) -> list[str]:
        return [value for ids in self.foreign.values() for value in ids]


async def _seed(settings: Settings, location_id: int, person: Person) -> Seeded:
    """A patient (PHI encrypted as the API does), her account, two invoices (one part paid,
    one waiting on insurance), a shipment and a saved card."""
    row = await create_patient(
        api_cipher(settings),
        person.first,
        person.last,
        person.born,
        person.email,
        person.phone,
        location_id,
        insurance_member_id=person.member_id,
    )
    if person.stripe_customer:
        await Patient.filter(id=row.id).update(stripe_customer_id=person.stripe_customer)
    user = await make_user(person.email, Role.PATIENT, patient=row)
    paid = await invoice(
        row.id, location_id, provider=person.provider, prices_minor=(10000, 2500), paid_minor=3000
    )
    pending = await invoice(row.id, location_id, provider=person.provider, covered_minor=5000)
    lines = [line.id for line in await InvoiceLine.filter(invoice_id=paid.id)]
    parcel = await shipment(paid, lines)
    card = await PaymentMethod.create(
        patient_id=row.id,
        stripe_payment_method_id=f"pm_{person.first}FuzzCard",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2031,
        is_default=True,
    )
    payments = [a.payment_id for a in await PaymentAllocation.filter(invoice_id=paid.id)]
    ids = {
        "Patient": [global_id("Patient", row.id)],
        "User": [global_id("User", user.id)],
        "Invoice": [global_id("Invoice", paid.id), global_id("Invoice", pending.id)],
        "InvoiceLine": [global_id("InvoiceLine", line) for line in lines],
        "Payment": [global_id("Payment", payment) for payment in payments],
        "Shipment": [global_id("Shipment", parcel.id)],
        "PaymentMethod": [global_id("PaymentMethod", card.id)],
    }
    tokens = {
        *(value for values in ids.values() for value in values),
        paid.number,
        pending.number,
        parcel.tracking_number,
        person.email,
        person.member_id,
        card.stripe_payment_method_id,
        *([person.stripe_customer] if person.stripe_customer else []),
    }
    return Seeded(user.id, ids, frozenset(tokens))


@pytest.fixture(scope="module")
async def fuzz_world(settings: Settings, _migrated_database: None) -> AsyncIterator[FuzzWorld]:
    """One world for the module (the fuzz only adds to it): Ada and Grace with bills, the
    app wired to a Stripe simulator, and a client for the app."""
    await reset_database(settings)
    simulator = build_simulator_app(SimulatorConfig(api_key=API_KEY))
    async with serving(simulator, free_socket()) as simulator_url:
        app_settings = settings_for_simulator(settings, simulator_url)
        clinic = await location()
        ada = await _seed(settings, clinic.id, ADA)
        grace = await _seed(settings, clinic.id, GRACE)
        transport = httpx.ASGITransport(app=build_app(app_settings), client=("203.0.113.9", 50000))
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                yield FuzzWorld(
                    client=client,
                    patient_user_id=ada.user_id,
                    own={**ada.ids, "Location": [global_id("Location", clinic.id)]},
                    foreign=grace.ids,
                    secrets=Secrets(
                        tokens=grace.tokens,
                        words=(
                            GRACE.first,
                            GRACE.last,
                            "Quillfeather",
                            GRACE.born.isoformat(),
                            GRACE.phone,
                        ),
                    ),
                )
        finally:
            await close_shared_gateway(app_settings)


# ---------------------------------------------------------------- values, from the schema


class EnumValue(str):
    """An enum value: a bare name when inline, a string in variables."""

    __slots__ = ()


def _crafted_ids() -> list[str]:
    def encoded(raw: str) -> str:
        return base64.b64encode(raw.encode()).decode()

    raws = ["Invoice:0", "Invoice:-1", "Invoice:99999999999999999999", "Invoice:abc", "Invoice:"]
    raws += [":1", "Nope:1", "Invoice:1:2", "Payment:1e3", "User: 1"]
    return [encoded(raw) for raw in raws] + ["1", "", "%%%", "SW52b2ljZTox\x00", "bm90IGFuIGlk="]


HUGE_STRINGS = st.sampled_from(["x" * 200_000, "é" * 60_000, "🏥" * 40_000, "\x00" * 1_000])
WRONG_VALUES = st.one_of(
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    HUGE_STRINGS,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["a", "id", "amount"]), st.integers(), max_size=2),
)
STRINGS = st.one_of(
    st.text(max_size=40),
    HUGE_STRINGS,
    st.sampled_from(["", " ", "%", "_", "'; DROP TABLE invoice; --", "a\x00b", "\u202e"]),
    st.sampled_from(["ada@example.org", "x" * 321 + "@example.org", "L1-000001", "1Z"]),
)
INTS = st.one_of(
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.sampled_from([0, -1, 1, 2**31, -(2**31) - 1, 2**53, 10**20]),
)
DECIMAL_TEXTS = [
    *("0", "0.00", "-1", "12.34", "12.345", "1e3", "1E-2", "-0.001", "+5", "5.", ".5"),
    *("NaN", "sNaN", "Infinity", "-Infinity", "", " ", "abc", "1,000.00", "0x10", "12.3.4"),
    *("٣", "9" * 500, "1" + "0" * 30),
]
DECIMALS = st.one_of(
    st.sampled_from(DECIMAL_TEXTS),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(),
)
DATES = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(["2025-02-30", "0000-01-01", "9999-12-31", "2025-1-1", "today", ""]),
)
DATETIMES = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
    st.sampled_from(["2025-01-01T25:00:00Z", "2025-01-01", "yesterday", ""]),
)


def _id_values(world: FuzzWorld) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(world.foreign_ids),
        st.sampled_from(world.own_ids),
        st.sampled_from(_crafted_ids()),
        st.text(max_size=30),
    )


def _scalar_values(scalar: GraphQLScalarType, world: FuzzWorld) -> st.SearchStrategy[Any]:
    by_name: dict[str, st.SearchStrategy[Any]] = {
        "ID": _id_values(world),
        "String": STRINGS,
        "Int": INTS,
        "Float": st.floats(allow_nan=False, allow_infinity=False),
        "Boolean": st.booleans(),
        "Decimal": DECIMALS,
        "Date": DATES,
        "DateTime": DATETIMES,
    }
    return by_name.get(scalar.name, STRINGS)


def _values(input_type: GraphQLInputType, world: FuzzWorld) -> st.SearchStrategy[Any]:
    """Values for ``input_type``: about half of the right type (so nested inputs get deep
    enough to reach resolvers), the rest null or of a wrong type."""
    if isinstance(input_type, GraphQLNonNull):
        return _values(input_type.of_type, world)
    return st.one_of(_typed_values(input_type, world), st.one_of(st.none(), WRONG_VALUES))


def _typed_values(input_type: GraphQLInputType, world: FuzzWorld) -> st.SearchStrategy[Any]:
    if isinstance(input_type, GraphQLList):
        item = _values(input_type.of_type, world)
        return st.one_of(st.lists(item, max_size=4), item)
    if isinstance(input_type, GraphQLInputObjectType):
        required = {
            name: _values(field.type, world)
            for name, field in input_type.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
        optional = {
            name: _values(field.type, world)
            for name, field in input_type.fields.items()
            if not isinstance(field.type, GraphQLNonNull)
        }
        objects = st.fixed_dictionaries(required, optional=optional)
        return st.one_of(objects, objects.map(lambda value: {**value, "notAField": 1}))
    if isinstance(input_type, GraphQLEnumType):
        return st.sampled_from([EnumValue(name) for name in input_type.values])
    assert isinstance(input_type, GraphQLScalarType)
    return _scalar_values(input_type, world)


def _literal(value: Any) -> str:
    """``value`` written as a GraphQL literal."""
    if value is None:
        return "null"
    if isinstance(value, EnumValue):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{key}: {_literal(item)}" for key, item in value.items()) + "}"


@dataclass(frozen=True)
class Operation:
    root: RootField
    document: str
    variables: dict[str, Any]
    # Every argument given, as a value, whether it went as a variable or inline.
    arguments: dict[str, Any]

    def body(self) -> dict[str, Any]:
        return {"query": self.document, "variables": self.variables}


def _operation(root: RootField, declarations: list[str], arguments: list[str]) -> str:
    header = f"{root.operation} Fuzz" + (f"({', '.join(declarations)})" if declarations else "")
    call = root.name + (f"({', '.join(arguments)})" if arguments else "")
    return f"{header} {{ {call} {root.selection} }}"


@st.composite
def operations(draw: st.DrawFn, root: RootField, world: FuzzWorld) -> Operation:
    declarations: list[str] = []
    arguments: list[str] = []
    variables: dict[str, Any] = {}
    given: dict[str, Any] = {}
    for name, argument in root.field.args.items():
        required = isinstance(argument.type, GraphQLNonNull)
        # A required argument is left out now and then: GraphQL must refuse that too.
        if not draw(st.sampled_from([True] * 9 + [False]) if required else st.booleans()):
            continue
        value = given[name] = draw(_values(argument.type, world))
        if draw(st.booleans()):
            declarations.append(f"${name}: {argument.type}")
            arguments.append(f"{name}: ${name}")
            variables[name] = value
        else:
            arguments.append(f"{name}: {_literal(value)}")
    return Operation(root, _operation(root, declarations, arguments), variables, given)


# ---------------------------------------------------------------- what every answer must be


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


_TOKEN_SPLIT = re.compile(r"[\s\"'(),:;\[\]{}<>]+")


def _foreign_values_in(body: Any, request_text: str, secrets: Secrets) -> set[str]:
    """The other patient's values in ``body`` that the request did not carry itself."""
    sent = request_text.lower()
    found: set[str] = set()
    for text in _strings(body):
        found.update(
            token
            for token in _TOKEN_SPLIT.split(text)
            if token in secrets.tokens and token.lower() not in sent
        )
        found.update(
            word
            for word in secrets.words
            if word.lower() in text.lower() and word.lower() not in sent
        )
    return found


# Masked errors this fuzz found in code outside its own files, reported with issue #7. Each
# is recognized narrowly, so anything else masked still fails; delete each once fixed.


def _unwelcome_errors(body: dict[str, Any], operation: Operation) -> list[dict[str, Any]]:
    """Errors that are neither an expected code nor GraphQL's own request error."""
    unwelcome = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None:
            # GraphQL's syntax, validation and variable errors: about the request, no path.
            if "path" in error:
                unwelcome.append(error)
        elif code not in EXPECTED_CODES:
            unwelcome.append(error)
    return unwelcome


def _without_request_echo(text: str, operation: Operation) -> str:
    """``text`` less what GraphQL may quote back from the request."""
    for fragment in (operation.document, *_strings(operation.variables)):
        if len(fragment) >= 4:
            text = text.replace(json.dumps(fragment)[1:-1], "")
    return text


def check_answer(operation: Operation, response: httpx.Response, world: FuzzWorld) -> None:
    context = f"{operation.document[:1500]!r} variables={str(operation.variables)[:500]}"
    assert response.status_code < 500, (response.status_code, response.text[:2000], context)
    assert not INTERNALS.search(_without_request_echo(response.text, operation)), (
        response.text[:2000],
        context,
    )
    if response.status_code != 200:
        # 413: the body limit (huge strings); 400: a body GraphQL cannot take at all.
        assert response.status_code in (400, 413), (response.status_code, context)
        return
    body = response.json()
    assert set(body) <= {"data", "errors", "extensions"}, (body, context)
    assert _unwelcome_errors(body, operation) == [], (body.get("errors"), context)
    request_text = json.dumps(operation.body(), ensure_ascii=False)
    leaked = _foreign_values_in(body, request_text, world.secrets)
    assert leaked == set(), (leaked, context)


async def send(world: FuzzWorld, operation: Operation) -> httpx.Response:
    """POST ``operation`` in a new session of Ada's (a fuzzed logout may end the last one)."""
    session = await create_session(
        world.patient_user_id, scope=SessionScope.FULL, now=datetime.now(UTC)
    )
    return await world.client.post(
        GRAPHQL_PATH,
        json=operation.body(),
        headers={"authorization": f"Bearer {session.access_token}"},
    )


# ---------------------------------------------------------------- another patient's IDs


def _is_id_type(input_type: GraphQLInputType) -> bool:
    named = graphql.get_named_type(input_type)
    return isinstance(named, GraphQLScalarType) and named.name == "ID"


def _plain_value(input_type: GraphQLInputType, world: FuzzWorld) -> Any:
    """A well-formed value for a required argument beside the one probed; None when there
    is no obvious one (an input object)."""
    if isinstance(input_type, GraphQLNonNull):
        return _plain_value(input_type.of_type, world)
    if isinstance(input_type, GraphQLList):
        item = _plain_value(input_type.of_type, world)
        return None if item is None else [item]
    if isinstance(input_type, GraphQLEnumType):
        return EnumValue(next(iter(input_type.values)))
    if isinstance(input_type, GraphQLInputObjectType):
        return None
    assert isinstance(input_type, GraphQLScalarType)
    plain: dict[str, Any] = {
        "ID": world.own["Invoice"][0],
        "Decimal": "50.00",
        "Int": 1,
        "Boolean": False,
        "Date": "2025-01-10",
        "DateTime": "2025-01-10T09:00:00+00:00",
    }
    return plain.get(input_type.name, "x")


def _id_probes() -> list[tuple[RootField, str]]:
    """Each (root field, ID argument) whose other required arguments can be filled plainly."""
    probes = []
    for root in ROOT_FIELDS:
        for name, argument in root.field.args.items():
            if not _is_id_type(argument.type):
                continue
            others = [
                other.type
                for other_name, other in root.field.args.items()
                if other_name != name and isinstance(other.type, GraphQLNonNull)
            ]
            if all(
                not isinstance(graphql.get_named_type(t), GraphQLInputObjectType) for t in others
            ):
                probes.append((root, name))
    return probes


ID_PROBES = _id_probes()


def _probe(root: RootField, probed: str, value: str, world: FuzzWorld) -> Operation:
    argument = root.field.args[probed]
    given: Any = (
        [value] if isinstance(graphql.get_nullable_type(argument.type), GraphQLList) else value
    )
    arguments = [f"{probed}: $probe"]
    plain: dict[str, Any] = {probed: given}
    for name, other in root.field.args.items():
        if name != probed and isinstance(other.type, GraphQLNonNull):
            plain[name] = _plain_value(other.type, world)
            arguments.append(f"{name}: {_literal(plain[name])}")
    document = _operation(root, [f"$probe: {argument.type}"], arguments)
    return Operation(root, document, {"probe": given}, plain)


def _normalized(response: httpx.Response, probe_id: str) -> Any:
    return json.loads(response.text.replace(probe_id, "<probed id>"))


# ---------------------------------------------------------------- the tests


@settings(
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
@pytest.mark.parametrize("root", ROOT_FIELDS, ids=repr)
async def test_generated_operations_get_no_5xx_no_unmasked_error_and_nothing_of_another_patient(
    fuzz_world: FuzzWorld, root: RootField, data: st.DataObject
) -> None:
    operation = data.draw(operations(root, fuzz_world), label="operation")
    response = await send(fuzz_world, operation)
    check_answer(operation, response, fuzz_world)


@pytest.mark.parametrize(
    ("root", "argument"), ID_PROBES, ids=lambda p: repr(p) if isinstance(p, RootField) else p
)
async def test_another_patients_ids_answer_exactly_like_missing_ones(
    fuzz_world: FuzzWorld, root: RootField, argument: str
) -> None:
    for type_name, ids in fuzz_world.foreign.items():
        foreign_id = ids[0]
        missing_id = global_id(type_name, 10**9)
        foreign = _probe(root, argument, foreign_id, fuzz_world)
        missing = _probe(root, argument, missing_id, fuzz_world)

        foreign_answer = await send(fuzz_world, foreign)
        missing_answer = await send(fuzz_world, missing)

        check_answer(foreign, foreign_answer, fuzz_world)
        check_answer(missing, missing_answer, fuzz_world)
        assert foreign_answer.status_code == missing_answer.status_code
        assert _normalized(foreign_answer, foreign_id) == _normalized(missing_answer, missing_id), (
            type_name,
            foreign_answer.text[:1000],
            missing_answer.text[:1000],
        )
