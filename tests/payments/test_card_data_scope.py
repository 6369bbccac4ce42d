"""PCI DSS SAQ A scope: card data has no way in. No GraphQL argument or input field can carry
a card number, security code or full expiry, and no table has a column for one; cards are
collected by Stripe's own SDK in the app and reach us as Stripe ids (the card tests show
what is kept: brand, last four digits, expiry month and year)."""

from __future__ import annotations

import re

from graphql import GraphQLInputObjectType, get_named_type
from tortoise import Tortoise

from config.settings import load_settings
from schema import build_schema

# Names a field would have if it could hold card data.
_CARD_DATA = re.compile(
    r"(card_?number|^pan$|primary_?account|cvc|cvv|csc|security_?code|track_?(data|1|2))", re.I
)


def _input_names() -> list[str]:
    schema = build_schema(load_settings({"DATABASE_URL": "sqlite://:memory:"}))._schema
    names: list[str] = []
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        for field_name, field in root.fields.items():
            for arg_name, arg in field.args.items():
                names.append(f"{field_name}({arg_name})")
                named = get_named_type(arg.type)
                if isinstance(named, GraphQLInputObjectType):
                    names += [f"{named.name}.{name}" for name in named.fields]
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLInputObjectType):
            names += [f"{type_.name}.{name}" for name in type_.fields]
    return names


def test_no_argument_or_input_field_can_carry_card_data() -> None:
    names = _input_names()

    assert names, "the schema has inputs to check"
    assert [name for name in names if _CARD_DATA.search(name.split(".")[-1])] == []


async def test_no_table_has_a_column_for_card_data(db: None) -> None:
    columns = [
        f"{model._meta.db_table}.{field}"
        for model in Tortoise.apps["models"].values()
        for field in model._meta.fields_db_projection.values()
    ]

    assert [column for column in columns if _CARD_DATA.search(column.split(".")[-1])] == []
    payment_method = Tortoise.apps["models"]["PaymentMethod"]
    kept = set(payment_method._meta.fields_db_projection.values())
    assert {"stripe_payment_method_id", "brand", "last4", "exp_month", "exp_year"} <= kept
