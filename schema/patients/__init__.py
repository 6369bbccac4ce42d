"""The patients part of the GraphQL schema."""
