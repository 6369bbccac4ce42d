from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import (
    AllocationStatus,
    DisputeStatus,
    PaymentChannel,
    PaymentStatus,
    RefundStatus,
    ReviewResolution,
)

if TYPE_CHECKING:
    from models.invoices import Invoice
    from models.organizations import Organization
    from models.patients import Patient
    from models.users import User


class PaymentMethod(Model):
    """A card saved at Stripe: only Stripe's id and display facts, never a card number."""

    id = fields.BigIntField(primary_key=True)
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="payment_methods", on_delete=fields.RESTRICT
    )
    patient_id: int
    stripe_payment_method_id = fields.CharField(max_length=255, unique=True)
    brand = fields.CharField(max_length=32)
    last4 = fields.CharField(max_length=4)
    exp_month = fields.IntField()
    exp_year = fields.IntField()
    is_default = fields.BooleanField(default=False)
    detached_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payment_method"


class Payment(Model):
    """One Stripe PaymentIntent, or one offline payment, spread over invoices. Exactly one
    of ``patient`` and ``organization`` pays."""

    id = fields.BigIntField(primary_key=True)
    patient: fields.ForeignKeyNullableRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="payments", null=True, on_delete=fields.RESTRICT
    )
    patient_id: int | None
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="payments", null=True, on_delete=fields.RESTRICT
    )
    organization_id: int | None
    channel = fields.CharEnumField(PaymentChannel)
    status = fields.CharEnumField(PaymentStatus, default=PaymentStatus.PENDING)
    amount_minor = fields.BigIntField()
    credit_applied_minor = fields.BigIntField(default=0)
    refunded_minor = fields.BigIntField(default=0)
    currency = fields.CharField(max_length=3)
    idempotency_key = fields.CharField(max_length=255, null=True)
    stripe_payment_intent_id = fields.CharField(max_length=255, null=True, unique=True)
    payment_method: fields.ForeignKeyNullableRelation[PaymentMethod] = fields.ForeignKeyField(
        "models.PaymentMethod", related_name="payments", null=True, on_delete=fields.SET_NULL
    )
    payment_method_id: int | None
    installment_id = fields.BigIntField(null=True)
    offline_reference = fields.CharField(max_length=200, null=True)
    failure_message = fields.CharField(max_length=500, null=True)
    disputed = fields.BooleanField(default=False)
    # Why Stripe's word on this payment was not applied (amount or currency mismatch), for
    # staff; null when nothing needs a look.
    review_reason = fields.CharField(max_length=200, null=True)
    # What Stripe reported receiving when it was flagged, and what staff decided about it.
    received_minor = fields.BigIntField(null=True)
    received_currency = fields.CharField(max_length=3, null=True)
    review_resolution = fields.CharEnumField(ReviewResolution, max_length=20, null=True)
    review_note = fields.CharField(max_length=500, default="")
    reviewed_by_id = fields.BigIntField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    # ``created`` (Unix seconds) of the newest Stripe event applied to this payment, so an
    # older event delivered late cannot undo a newer one.
    stripe_event_created = fields.BigIntField(null=True)
    recorded_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="recorded_payments", null=True, on_delete=fields.SET_NULL
    )
    recorded_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "payment"
        unique_together = (("patient", "idempotency_key"), ("organization", "idempotency_key"))
        indexes = (("created_at", "id"), ("patient_id", "created_at"))


class PaymentAllocation(Model):
    """The part of a payment meant for one invoice, reserved until the payment settles."""

    id = fields.BigIntField(primary_key=True)
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="allocations", on_delete=fields.CASCADE
    )
    payment_id: int
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="allocations", on_delete=fields.RESTRICT
    )
    invoice_id: int
    amount_minor = fields.BigIntField()
    status = fields.CharEnumField(AllocationStatus, default=AllocationStatus.RESERVED)

    class Meta:
        table = "payment_allocation"
        indexes = (("invoice_id", "status"),)
        unique_together = (("payment", "invoice"),)


class Refund(Model):
    id = fields.BigIntField(primary_key=True)
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="refunds", on_delete=fields.RESTRICT
    )
    payment_id: int
    amount_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    status = fields.CharEnumField(RefundStatus, default=RefundStatus.PENDING)
    # Free text for our audit trail only; never sent to Stripe.
    reason = fields.CharField(max_length=500)
    stripe_refund_id = fields.CharField(max_length=255, null=True, unique=True)
    failure_message = fields.CharField(max_length=500, null=True)
    requested_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="refunds", null=True, on_delete=fields.SET_NULL
    )
    requested_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    settled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refund"
        indexes = (("payment_id", "status"),)


class Dispute(Model):
    id = fields.BigIntField(primary_key=True)
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="disputes", on_delete=fields.RESTRICT
    )
    payment_id: int
    stripe_dispute_id = fields.CharField(max_length=255, unique=True)
    status = fields.CharEnumField(DisputeStatus, default=DisputeStatus.OPEN)
    amount_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    stripe_reason = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "dispute"
        indexes = (("payment_id", "status"),)
