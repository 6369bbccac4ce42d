"""Invoices: issuing them with their lines, insurance decisions and adjustments
(``rules``), reorders, reads for the API, and ``listeners`` for domains that follow an
invoice's balance (payment plans)."""
