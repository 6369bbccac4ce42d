"""The GraphQL schema: types, queries and mutations, one folder per domain."""

from schema.root import build_schema

__all__ = ["build_schema"]
