"""The accounts part of the GraphQL schema."""
