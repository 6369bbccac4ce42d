from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdempotencyKey(Model):
    """A client's key for one money request, kept with a fingerprint of what it asked and
    the resource its first attempt created or changed."""

    id = fields.BigIntField(primary_key=True)
    action = fields.CharField(max_length=64)
    # The user whose key it is: keys are per caller, as Stripe's are per account.
    actor_id = fields.BigIntField()
    key = fields.CharField(max_length=255)
    fingerprint = fields.CharField(max_length=64)
    resource_id = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_key"
        unique_together = (("action", "actor_id", "key"),)
