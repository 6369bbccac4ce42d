"""GraphQL of organizations: business customers billed on terms."""
