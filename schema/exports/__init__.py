"""The exports part of the GraphQL schema."""
