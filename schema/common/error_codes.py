"""What each ``ErrorCode`` means to a client: which operations answer it and what to do.

Payload errors (``errors { code field message }``) use every code; a top-level error's
``extensions.code`` is one of UNAUTHENTICATED, SESSION_EXPIRED, MFA_ENROLLMENT_REQUIRED,
FORBIDDEN, NOT_FOUND, RATE_LIMITED, NOT_IMPLEMENTED or BAD_USER_INPUT (a malformed cursor or
argument, outside this enum), or none for GraphQL's own validation errors.
"""

from __future__ import annotations

ERROR_CODE_DESCRIPTIONS: dict[str, str] = {
    "INVALID_INPUT": (
        "A value of the input is malformed or out of range (field says which): a name too "
        "long, no invoices listed, an ID of the wrong type, a start date in the past, a card "
        "declined when saving or charging it. Any mutation. Show the message by the field "
        "and let the user correct it; retrying unchanged fails again."
    ),
    "NOT_FOUND": (
        "The object does not exist or is not the caller's to see (the two are never told "
        "apart). Any mutation taking an ID; also a top-level error of fields that fetch one. "
        "Refresh the screen's data; do not retry with the same ID."
    ),
    "NOT_IMPLEMENTED": (
        "The operation is in the schema but not built yet; no data is made up. Hide the "
        "feature; never retry."
    ),
    "UNAUTHENTICATED": (
        "No session: no access token was sent, or it is unknown, revoked or retired by a "
        "refresh. A top-level error of every field but login, verifyMfa, refreshSession and "
        "activatePatientAccount. Sign in again."
    ),
    "FORBIDDEN": (
        "The caller's role may not do this, or the operation is for another kind of user "
        "(myInvoices for staff, payInvoices for a non-patient). Top-level, or in the payload "
        "of patient mutations. Do not retry; hide the action for this role."
    ),
    "RATE_LIMITED": (
        "Too many attempts in a short time (activatePatientAccount with wrong codes or "
        "dates of birth, requestPasswordReset from one client). Wait a few minutes before "
        "trying again."
    ),
    "CONFLICT": (
        "The request clashes with the current state: a location name or tracking number "
        "already recorded (createLocation, addShipment), a refund of a payment that did not "
        "go through (refundPayment), a plan that is no longer active (cancelPaymentPlan), a "
        "patient who already has an account (activatePatientAccount), or Stripe refusing "
        "the request. Reload the object and decide again; retrying unchanged fails again."
    ),
    "IDEMPOTENCY_KEY_REUSED": (
        "The idempotencyKey was used before by this caller for a different request "
        "(payInvoices, recordInsuranceDecision, recordOfflinePayment, adjustInvoice, "
        "refundPayment, createPaymentPlan). Nothing was done: send a new key for a new "
        "request, the old key only to retry the same one."
    ),
    "INVALID_CREDENTIALS": (
        "The email and password do not match an active account (login), or the current "
        "password is wrong (changePassword, startTotpEnrollment when replacing an "
        "authenticator). Ask again; repeated failures slow down and lock the address."
    ),
    "ACCOUNT_LOCKED": (
        "Too many failed attempts at this address: it waits or is locked for up to 30 "
        "minutes (login, verifyMfa, changePassword, resetPassword). "
        "Tell the user to wait; do not retry automatically."
    ),
    "MFA_REQUIRED": (
        "A current TOTP or recovery code is needed as well: resetPassword of an account "
        "with MFA (mfaCode), startTotpEnrollment replacing an enrolled authenticator "
        "(currentPassword and currentCode). login answers mfaRequired and an mfaTicket "
        "instead of this code. Ask for the code and send it."
    ),
    "MFA_ENROLLMENT_REQUIRED": (
        "A top-level error for staff who have not set up an authenticator yet: their "
        "session may only call me, startTotpEnrollment and confirmTotpEnrollment. Call "
        "startTotpEnrollment, show its QR code, then confirmTotpEnrollment with a code: "
        "the same session then has the role's full access."
    ),
    "SESSION_EXPIRED": (
        "A top-level error: the access token ran out of time (15 minutes, or the session "
        "was idle or reached 12 hours). Call refreshSession with the refresh token and "
        "retry with the new access token; if refreshSession answers INVALID_TOKEN, sign in."
    ),
    "INVALID_MFA_CODE": (
        "The one-time code is wrong, expired or already used (verifyMfa, "
        "confirmTotpEnrollment). Ask for the next code from the authenticator app."
    ),
    "INVALID_TOKEN": (
        "The refresh token, MFA ticket or password-reset token is unknown, used already or "
        "expired (refreshSession, verifyMfa, resetPassword). A refresh token used twice "
        "also ends the whole session. Sign in again (or ask for a new reset link)."
    ),
    "WEAK_PASSWORD": (
        "The new password is too short (15 characters, 8 with MFA) or a known breached one "
        "(activatePatientAccount, changePassword, resetPassword). Ask for another; the "
        "message says why."
    ),
    "EMAIL_TAKEN": (
        "Another account signs in with this email (activatePatientAccount). "
        "Ask for another address, or sign in to the existing account."
    ),
    "INVALID_ENROLLMENT_CODE": (
        "The enrollment code is unknown, used or past its 7 days, or the date of birth does "
        "not match (activatePatientAccount). Check both; ask staff for a new code."
    ),
    "INVALID_AMOUNT": (
        "An amount is not positive, has more decimals than its currency, is too large, or "
        "is below the smallest card charge (payInvoices, recordOfflinePayment, "
        "refundPayment, adjustInvoice, createInvoice, recordInsuranceDecision, "
        "createPaymentPlan, quotePaymentPlan). Correct the amount the field names."
    ),
    "UNKNOWN_CURRENCY": (
        "The currency is not one this service bills in (createInvoice). Use an ISO 4217 "
        "code the service supports, such as USD."
    ),
    "CURRENCY_MISMATCH": (
        "The invoices, or an amount and its invoice, are in different currencies "
        "(payInvoices, createPaymentPlan, quotePaymentPlan). Pay or plan them separately."
    ),
    "INVALID_QUANTITY": (
        "A quantity is not a whole number of at least 1 (createInvoice, addShipment). Correct it."
    ),
    "COVERED_AMOUNT_TOO_HIGH": (
        "The insurance cover is more than the invoice total (createInvoice). Lower it."
    ),
    "INVOICE_NOT_PAYABLE": (
        "The invoice is void or has nothing left to pay, counting payments in flight "
        "(payInvoices, recordOfflinePayment, createPaymentPlan, quotePaymentPlan). "
        "Refresh the invoice; remove it from the payment."
    ),
    "AMOUNT_EXCEEDS_BALANCE": (
        "The amount is more than the invoice's balance less what payments in flight hold "
        "(payInvoices, recordOfflinePayment, adjustInvoice). Refresh the balance and pay "
        "at most that."
    ),
    "DUPLICATE_INVOICE": (
        "The same invoice is listed twice in one payment (payInvoices). Merge the two allocations."
    ),
    "NO_INSURANCE_PENDING": (
        "The invoice has no insurance cover waiting for a decision "
        "(recordInsuranceDecision). Refresh it; the decision may be recorded already."
    ),
    "INVALID_TIMEZONE": (
        "Not an IANA time zone name such as America/Chicago (createLocation). Correct it."
    ),
    "PAYMENT_PROVIDER_UNAVAILABLE": (
        "Stripe could not be reached or refused our credentials; nothing was charged and "
        "nothing is held (payInvoices, startSavingCard, removePaymentMethod, refundPayment). "
        "Retry shortly with the same idempotencyKey."
    ),
    "PAYMENT_METHOD_REQUIRED": (
        "A saved card is needed: a plan is charged to one (createPaymentPlan), or the "
        "payment names none where one is needed. Save a card with startSavingCard first."
    ),
    "DISPUTED": (
        "The payment is under an open dispute with the card holder's bank (refundPayment): "
        "the bank may return the money itself. Wait until the dispute closes; a lost one "
        "already gives the money back."
    ),
    "AUTHENTICATION_REQUIRED": (
        "The card's bank takes the charge only with the card holder present (3-D Secure). "
        "No operation answers it: an installment charged overnight then shows "
        "NEEDS_AUTHENTICATION, and the app confirms it with nextInstallment.clientSecret."
    ),
    "REFUND_EXCEEDS_PAYMENT": (
        "The refund is more than what is left of the payment after earlier refunds "
        "(refundPayment). Refund at most the rest."
    ),
    "MONTHLY_AMOUNT_TOO_LOW": (
        "The monthly amount is below the minimum for these invoices (quotePaymentPlan, "
        "createPaymentPlan). quotePaymentPlan also returns minimumMonthly: offer that."
    ),
    "INVOICE_ALREADY_IN_PLAN": (
        "An invoice is already covered by an active payment plan (createPaymentPlan, "
        "quotePaymentPlan). Leave it out, or cancel that plan first."
    ),
    "QUANTITY_EXCEEDS_INVOICED": (
        "More of a line would be shipped than was invoiced, counting earlier shipments "
        "(addShipment). Ship at most what is left."
    ),
    "NOTHING_TO_REORDER": (
        "None of the chosen lines can be ordered again (reorderItems). Choose reorderable "
        "lines (InvoiceLine.reorderable)."
    ),
    "INVALID_REMITTANCE": (
        "The 835 file does not validate against the 005010X221A1 guide, or is not one 835 "
        "payment (uploadRemittance); the message names the first segment in error and why. "
        "Nothing was stored. Ask the payer for a corrected file."
    ),
    "REMITTANCE_UNBALANCED": (
        "The 835's payment (BPR02) is not the sum of its paid claims less its provider-level "
        "adjustments (uploadRemittance). Nothing was stored. Ask the payer for a corrected file."
    ),
    "CLAIM_ALREADY_POSTED": (
        "The remittance claim is not waiting to be matched: it is posted already "
        "(matchRemittanceClaim). Refresh the worklist."
    ),
    "CLAIM_DOES_NOT_FIT": (
        "The claim's amounts do not fit the chosen invoice: nothing pending with insurance, "
        "more paid than pending, more charged than the invoice, or no earlier posting for a "
        "reversal (matchRemittanceClaim). Nothing changed; choose another invoice or correct "
        "it first."
    ),
    "CREDIT_LIMIT_EXCEEDED": (
        "The organization's open balance plus this invoice would pass its credit limit "
        "(createOrganizationInvoice). Nothing was issued: collect first or raise the limit."
    ),
    "PURCHASE_ORDER_REQUIRED": (
        "The organization asks for a purchase order number on each invoice "
        "(createOrganizationInvoice.purchaseOrderNumber)."
    ),
}
