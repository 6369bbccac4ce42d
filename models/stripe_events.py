from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class StripeEvent(Model):
    """The webhook inbox: each Stripe event id is stored, and applied, once."""

    id = fields.BigIntField(primary_key=True)
    event_id = fields.CharField(max_length=255, unique=True)
    type = fields.CharField(max_length=100)
    outcome = fields.CharField(max_length=20)
    detail = fields.CharField(max_length=500, default="")
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "stripe_event"
