"""Connecting the domains that listen to others, done once when the app or a command starts.

Arrows between domains point one way (plans use payments and invoices); what flows back
goes through the listener interfaces of ``billing.payments.listeners`` and
``billing.invoices.listeners``, registered here.
"""

from __future__ import annotations

from billing.invoices.listeners import listen_to_invoice_balances
from billing.payments.listeners import listen_to_payments
from billing.plans.listeners import PLAN_LISTENER


def connect_domains() -> None:
    """Register every domain's listeners; safe to call more than once."""
    listen_to_payments(PLAN_LISTENER)
    listen_to_invoice_balances(PLAN_LISTENER)
