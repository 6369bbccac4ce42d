"""The notifications part of the GraphQL schema: the patient's reminder channels."""
