"""Payments: card payments of several invoices (``card``), offline payments, saved cards,
balance holds (``reservations``), settlement and reversals on the ledger, refunds, and
Stripe's events (``stripe_inbox`` stores each once; ``intent_events``, ``refund_events``,
``dispute_events`` and ``card_events`` apply them). Other domains hear of payments through
``listeners``."""
