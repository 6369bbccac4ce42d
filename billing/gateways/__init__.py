"""Adapters to the outside world: Stripe, through its official async SDK (``stripe``)."""
