"""Financial reports computed by the database: receivables and aging."""
