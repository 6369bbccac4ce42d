from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import InstallmentStatus, PaymentPlanStatus

if TYPE_CHECKING:
    from models.invoices import Invoice
    from models.patients import Patient
    from models.payments import PaymentMethod


class PaymentPlan(Model):
    id = fields.BigIntField(primary_key=True)
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="payment_plans", on_delete=fields.RESTRICT
    )
    patient_id: int
    payment_method: fields.ForeignKeyNullableRelation[PaymentMethod] = fields.ForeignKeyField(
        "models.PaymentMethod", related_name="payment_plans", null=True, on_delete=fields.SET_NULL
    )
    payment_method_id: int | None
    status = fields.CharEnumField(PaymentPlanStatus, default=PaymentPlanStatus.ACTIVE)
    total_minor = fields.BigIntField()
    monthly_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    start_on = fields.DateField()
    # The retry terms agreed with the plan: days after a due date, comma-separated ("3,7,14").
    retry_days = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_plan"
        indexes = (("patient_id", "created_at"), ("status", "created_at"))


class PaymentPlanInvoice(Model):
    """The part of an invoice's balance a plan covers."""

    id = fields.BigIntField(primary_key=True)
    plan: fields.ForeignKeyRelation[PaymentPlan] = fields.ForeignKeyField(
        "models.PaymentPlan", related_name="covered_invoices", on_delete=fields.CASCADE
    )
    plan_id: int
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="plan_coverage", on_delete=fields.RESTRICT
    )
    invoice_id: int
    amount_minor = fields.BigIntField()
    # Null once the plan ends, so the unique constraint allows one *active* plan per invoice.
    active_invoice_id = fields.BigIntField(null=True, unique=True)

    class Meta:
        table = "payment_plan_invoice"


class Installment(Model):
    id = fields.BigIntField(primary_key=True)
    plan: fields.ForeignKeyRelation[PaymentPlan] = fields.ForeignKeyField(
        "models.PaymentPlan", related_name="installments", on_delete=fields.CASCADE
    )
    plan_id: int
    sequence = fields.IntField()
    due_on = fields.DateField()
    amount_minor = fields.BigIntField()
    status = fields.CharEnumField(InstallmentStatus, default=InstallmentStatus.SCHEDULED)
    # Charge attempts started (each with its own payment and idempotency key), and how many
    # of them were declined: the retry schedule follows the declines.
    attempts = fields.IntField(default=0)
    failures = fields.IntField(default=0)
    next_attempt_on = fields.DateField(null=True)
    # The scheduler's date of the latest attempt, so a retry is never due the same day.
    last_attempted_on = fields.DateField(null=True)
    # Set while a charge is in flight, so two schedulers never charge the same installment.
    claimed_at = fields.DatetimeField(null=True)
    payment_id = fields.BigIntField(null=True)
    paid_at = fields.DatetimeField(null=True)

    class Meta:
        table = "installment"
        unique_together = (("plan", "sequence"),)
        indexes = (("status", "due_on"), ("status", "next_attempt_on"))
