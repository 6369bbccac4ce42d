"""GraphQL of invoice statements: PDF links and paper statements."""
