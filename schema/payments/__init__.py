"""The payments part of the GraphQL schema."""
