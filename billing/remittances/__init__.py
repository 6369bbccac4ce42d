"""Insurance remittances: X12 835 files parsed, validated and posted to invoices."""
