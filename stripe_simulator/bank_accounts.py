"""US bank accounts (ACH debits), as Stripe's testing docs describe them.

A PaymentIntent whose ``payment_method_types`` include ``us_bank_account`` is confirmed with
an account and routing number (the control API, in place of the payer's Stripe.js): it goes
``processing`` at once, with a ``pending`` charge, as a debit takes days to clear. Deciding it
(``POST /_sim/payment_intents/{id}/settle``) goes by the account's test number unless an
``outcome`` is given: ``000123456789`` succeeds; ``000111111113`` fails, the account closed
(ACH return R02), as do Stripe's other failure numbers with their return codes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from stripe_simulator.errors import JSON, invalid_request
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import new_id, now

BANK_METHOD_TYPE = "us_bank_account"
TEST_ROUTING_NUMBER = "110000000"


@dataclass(frozen=True)
class BankFailure:
    code: str
    network_code: str
    message: str


SUCCESS_ACCOUNT = "000123456789"
TEST_ACCOUNT_FAILURES: dict[str, BankFailure] = {
    "000111111113": BankFailure(
        "account_closed", "R02", "The customer's bank account has been closed."
    ),
    "000111111116": BankFailure(
        "no_account", "R03", "The customer's bank account could not be located."
    ),
    "000222222227": BankFailure(
        "insufficient_funds", "R01", "The customer's account has insufficient funds."
    ),
    "000333333335": BankFailure(
        "debit_not_authorized",
        "R10",
        "The customer notified their bank that this debit was unauthorized.",
    ),
}


def accepts_bank_debit(intent: JSON) -> bool:
    return BANK_METHOD_TYPE in intent["payment_method_types"]


def bank_payment_method(sim: Simulator, account_number: str, routing_number: str) -> JSON:
    """A ``us_bank_account`` PaymentMethod for a test account number."""
    if not (account_number.isdigit() and 4 <= len(account_number) <= 17):
        raise invalid_request(
            "The account number is not valid.", param="us_bank_account[account_number]"
        )
    if not (routing_number.isdigit() and len(routing_number) == 9):
        raise invalid_request(
            "Routing number must have 9 digits.", param="us_bank_account[routing_number]"
        )
    payment_method: JSON = {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": None,
            "name": "Accounts Payable",
            "phone": None,
        },
        "created": now(),
        "customer": None,
        "livemode": False,
        "metadata": {},
        "type": BANK_METHOD_TYPE,
        "us_bank_account": {
            "account_holder_type": "company",
            "account_type": "checking",
            "bank_name": "STRIPE TEST BANK",
            "financial_connections_account": None,
            "fingerprint": hashlib.sha256(account_number.encode()).hexdigest()[:16],
            "last4": account_number[-4:],
            "networks": {"preferred": "ach", "supported": ["ach"]},
            "routing_number": routing_number,
            "status_details": {},
        },
    }
    sim.state.payment_methods[payment_method["id"]] = payment_method
    sim.state.bank_accounts[payment_method["id"]] = account_number
    return payment_method


def bank_failure(sim: Simulator, payment_method_id: str) -> BankFailure | None:
    """How a debit of this account ends: None when it clears."""
    return TEST_ACCOUNT_FAILURES.get(sim.state.bank_accounts.get(payment_method_id, ""))


def bank_charge_details(payment_method: JSON) -> JSON:
    account = payment_method[BANK_METHOD_TYPE]
    return {
        "type": BANK_METHOD_TYPE,
        BANK_METHOD_TYPE: {
            "account_holder_type": account["account_holder_type"],
            "account_type": account["account_type"],
            "bank_name": account["bank_name"],
            "expected_debit_date": None,
            "fingerprint": account["fingerprint"],
            "last4": account["last4"],
            "mandate": None,
            "payment_reference": None,
            "routing_number": account["routing_number"],
        },
    }


def bank_debit_error(failure: BankFailure, payment_method: JSON) -> JSON:
    """The ``last_payment_error`` of a returned debit."""
    return {
        "type": "invalid_request_error",
        "code": failure.code,
        "message": failure.message,
        "payment_method": payment_method,
    }
