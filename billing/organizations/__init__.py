"""Business customers on net terms: their invoices, credit limits, statements and collections."""
