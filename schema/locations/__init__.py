"""The locations part of the GraphQL schema."""
