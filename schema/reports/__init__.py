"""The reports part of the GraphQL schema."""
