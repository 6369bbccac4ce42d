"""The shipments part of the GraphQL schema."""
