"""Thin adapters for machine callers: verify the raw body's signature, parse, and hand the
event to ``billing`` (Stripe: ``stripe``; carriers: ``shipping``)."""
