"""Stored enumerations. The values are what the database holds, so never rename one."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PATIENT = "patient"
    BILLING_STAFF = "billing_staff"
    ACCOUNTANT = "accountant"
    ADMIN = "admin"
    AUDITOR = "auditor"
    # A business customer's accounts-payable user: its organization's invoices only.
    ORGANIZATION_BILLING = "organization_billing"


class InvoiceStatus(StrEnum):
    OPEN = "OPEN"
    PENDING_INSURANCE = "PENDING_INSURANCE"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    VOID = "VOID"
    # A bank debit (ACH) of its balance is on its way: it settles, or fails, days later.
    PROCESSING = "PROCESSING"


class LedgerEntryKind(StrEnum):
    """What a ledger row records. The sign rules live in ``billing.ledger.postings``."""

    CHARGE = "CHARGE"
    INSURANCE_EXPECTED = "INSURANCE_EXPECTED"
    INSURANCE_PAID = "INSURANCE_PAID"
    INSURANCE_DENIED = "INSURANCE_DENIED"
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"
    ADJUSTMENT = "ADJUSTMENT"
    VOID = "VOID"
    # An insurer took back a payment it had made (an 835 reversal): pending again.
    INSURANCE_REVERSED = "INSURANCE_REVERSED"


class CreditEntryKind(StrEnum):
    OVERPAYMENT = "OVERPAYMENT"
    APPLIED = "APPLIED"
    REFUNDED = "REFUNDED"
    ADJUSTMENT = "ADJUSTMENT"


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    # The card holder must authenticate (3-D Secure) before the bank decides.
    REQUIRES_ACTION = "REQUIRES_ACTION"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"


class PaymentChannel(StrEnum):
    CARD = "CARD"
    CREDIT_BALANCE = "CREDIT_BALANCE"
    CHECK = "CHECK"
    CASH = "CASH"
    BANK_TRANSFER = "BANK_TRANSFER"
    # A Stripe PaymentIntent debiting a US bank account (ACH): it settles days later.
    BANK_DEBIT = "BANK_DEBIT"


class ReviewResolution(StrEnum):
    """What staff decided about a payment Stripe reported with another amount or currency."""

    APPLY = "APPLY"
    APPLY_AS_CREDIT = "APPLY_AS_CREDIT"
    REFUND = "REFUND"


class AllocationStatus(StrEnum):
    RESERVED = "RESERVED"
    POSTED = "POSTED"
    RELEASED = "RELEASED"


class RefundStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class DisputeStatus(StrEnum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


class PaymentPlanStatus(StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    DEFAULTED = "DEFAULTED"
    CANCELED = "CANCELED"


class InstallmentStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    PAID = "PAID"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    # Charged off-session, the bank asked for the patient: waits for them in the app.
    NEEDS_AUTHENTICATION = "NEEDS_AUTHENTICATION"


class ShipmentStatus(StrEnum):
    LABEL_CREATED = "LABEL_CREATED"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    EXCEPTION = "EXCEPTION"
    RETURNED = "RETURNED"


class StripeEventOutcome(StrEnum):
    APPLIED = "APPLIED"
    IGNORED = "IGNORED"
    FLAGGED = "FLAGGED"


class AuditOutcome(StrEnum):
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    DENIED = "DENIED"
