"""The invoices part of the GraphQL schema."""
