"""Pieces every domain of the GraphQL schema shares: money, errors, nodes, pagination."""
