"""The audit part of the GraphQL schema."""
