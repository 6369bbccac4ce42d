"""The ledger: every money movement on an invoice is a row. ``figures`` derives an
invoice's figures and its status from its rows; ``postings`` checks and writes rows;
``credits`` is the patient's credit balance (money of theirs on no invoice)."""
