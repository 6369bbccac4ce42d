"""Expected failures of domain actions. Each carries a stable code that the GraphQL layer
returns in a payload's ``errors``; the message is for people and never holds PHI."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # general
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    CONFLICT = "CONFLICT"
    # identity
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    MFA_REQUIRED = "MFA_REQUIRED"
    INVALID_MFA_CODE = "INVALID_MFA_CODE"
    INVALID_TOKEN = "INVALID_TOKEN"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_ENROLLMENT_CODE = "INVALID_ENROLLMENT_CODE"
    # money and invoices
    INVALID_AMOUNT = "INVALID_AMOUNT"
    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    COVERED_AMOUNT_TOO_HIGH = "COVERED_AMOUNT_TOO_HIGH"
    INVOICE_NOT_PAYABLE = "INVOICE_NOT_PAYABLE"
    AMOUNT_EXCEEDS_BALANCE = "AMOUNT_EXCEEDS_BALANCE"
    DUPLICATE_INVOICE = "DUPLICATE_INVOICE"
    NO_INSURANCE_PENDING = "NO_INSURANCE_PENDING"
    INVALID_TIMEZONE = "INVALID_TIMEZONE"
    # payments
    PAYMENT_PROVIDER_UNAVAILABLE = "PAYMENT_PROVIDER_UNAVAILABLE"
    PAYMENT_METHOD_REQUIRED = "PAYMENT_METHOD_REQUIRED"
    REFUND_EXCEEDS_PAYMENT = "REFUND_EXCEEDS_PAYMENT"
    DISPUTED = "DISPUTED"
    # plans and shipments
    MONTHLY_AMOUNT_TOO_LOW = "MONTHLY_AMOUNT_TOO_LOW"
    INVOICE_ALREADY_IN_PLAN = "INVOICE_ALREADY_IN_PLAN"
    QUANTITY_EXCEEDS_INVOICED = "QUANTITY_EXCEEDS_INVOICED"
    NOTHING_TO_REORDER = "NOTHING_TO_REORDER"


class DomainError(Exception):
    """An expected failure: bad input, a rule that forbids the action, a missing object."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
