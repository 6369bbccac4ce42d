"""The plans part of the GraphQL schema."""
