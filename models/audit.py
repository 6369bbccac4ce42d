from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEvent(Model):
    """Who touched which patient's data. Append-only and hash-chained: ``row_hash`` covers
    this row's fields and ``previous_hash``, so an edit or a deletion breaks the chain."""

    id = fields.BigIntField(primary_key=True)
    occurred_at = fields.DatetimeField()
    actor_id = fields.BigIntField(null=True, db_index=True)
    actor_role = fields.CharField(max_length=20, default="")
    action = fields.CharField(max_length=100, db_index=True)
    resource_type = fields.CharField(max_length=50, default="")
    # One id, or several comma-separated ids when reads of one request are batched.
    resource_id = fields.TextField(default="")
    patient_id = fields.BigIntField(null=True, db_index=True)
    outcome = fields.CharField(max_length=20)
    ip_address = fields.CharField(max_length=64, default="")
    request_id = fields.CharField(max_length=64, default="")
    reference = fields.CharField(max_length=255, default="")
    # Unique: two writers can never both extend the chain from the same row.
    previous_hash = fields.CharField(max_length=64, unique=True)
    row_hash = fields.CharField(max_length=64, unique=True)

    class Meta:
        table = "audit_event"


class AuditChainHead(Model):
    """The newest link of the chain (one row). Writers move it with a conditional update,
    which serialises them. ``mac`` is an HMAC under the audit key over the other three
    columns, so the head cannot be rewritten to hide rows cut from the end of the chain."""

    id = fields.IntField(primary_key=True)
    last_event_id = fields.BigIntField(default=0)
    last_hash = fields.CharField(max_length=64)
    event_count = fields.BigIntField(default=0)
    mac = fields.CharField(max_length=64, default="")

    class Meta:
        table = "audit_chain_head"
