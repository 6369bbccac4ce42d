"""What each role may do, as scopes. Resolvers declare the scope they need; nothing else
grants access (deny unless a scope allows)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from models.enums import Role


class Scope(StrEnum):
    ACCOUNT_SELF = "account:self"  # read one's own account, sign out
    MFA_ENROLL = "mfa:enroll"  # set up TOTP
    BILLING_OWN_READ = "billing:own:read"  # one's own invoices, payments, plans, shipments
    BILLING_OWN_PAY = "billing:own:pay"  # pay, save cards, plans, reorder, statements
    BILLING_ALL_READ = "billing:all:read"  # any patient's bills (staff)
    CLINICAL_READ = "clinical:read"  # procedure codes and line descriptions
    # A PDF statement of a patient's invoice (it prints codes): the patient's own, staff any.
    INVOICE_STATEMENTS = "invoice-statements:create"
    PATIENTS_READ = "patients:read"  # patient records (staff)
    PATIENTS_WRITE = "patients:write"
    # Force a patient's password reset, clear a patient's sign-in lockout.
    PATIENT_ACCOUNTS_ASSIST = "patient-accounts:assist"
    INVOICES_WRITE = "invoices:write"  # invoices, insurance decisions, shipments
    ADJUSTMENTS_WRITE = "adjustments:write"  # discounts, write-offs, corrections
    PAYMENTS_RECORD = "payments:record"  # checks, cash, bank transfers
    REFUNDS_WRITE = "refunds:write"
    REPORTS_READ = "reports:read"
    LOCATIONS_READ = "locations:read"
    LOCATIONS_WRITE = "locations:write"
    AUDIT_READ = "audit:read"
    ORGANIZATIONS_READ = "organizations:read"  # any organization, its invoices (staff)
    # Organizations, their invoices, users and collections (staff).
    ORGANIZATIONS_WRITE = "organizations:write"
    # An organization's billing user: its own organization, invoices and statements.
    ORGANIZATION_OWN_READ = "organization:own:read"
    ORGANIZATION_OWN_PAY = "organization:own:pay"
    # Monthly statements of organizations: staff any, an organization's user its own.
    ORGANIZATION_STATEMENTS = "organization-statements:read"


_EVERYONE = frozenset({Scope.ACCOUNT_SELF, Scope.MFA_ENROLL})
_BILLING_STAFF = _EVERYONE | {
    Scope.BILLING_ALL_READ,
    Scope.CLINICAL_READ,
    Scope.INVOICE_STATEMENTS,
    Scope.PATIENTS_READ,
    Scope.PATIENTS_WRITE,
    Scope.PATIENT_ACCOUNTS_ASSIST,
    Scope.INVOICES_WRITE,
    Scope.ADJUSTMENTS_WRITE,
    Scope.PAYMENTS_RECORD,
    Scope.REFUNDS_WRITE,
    Scope.REPORTS_READ,
    Scope.LOCATIONS_READ,
    Scope.ORGANIZATIONS_READ,
    Scope.ORGANIZATIONS_WRITE,
    Scope.ORGANIZATION_STATEMENTS,
}

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.PATIENT: _EVERYONE
    | {
        Scope.BILLING_OWN_READ,
        Scope.BILLING_OWN_PAY,
        Scope.CLINICAL_READ,
        Scope.INVOICE_STATEMENTS,
        Scope.LOCATIONS_READ,
    },
    Role.BILLING_STAFF: _BILLING_STAFF,
    # Money without the medicine: no procedure codes or descriptions.
    Role.ACCOUNTANT: _EVERYONE
    | {
        Scope.BILLING_ALL_READ,
        Scope.REPORTS_READ,
        Scope.LOCATIONS_READ,
        Scope.ORGANIZATIONS_READ,
        Scope.ORGANIZATION_STATEMENTS,
    },
    Role.ADMIN: _BILLING_STAFF | {Scope.LOCATIONS_WRITE},
    # The access log and nothing clinical or financial.
    Role.AUDITOR: _EVERYONE | {Scope.AUDIT_READ},
    # No patient's data at all: their own organization's bills, as an organization's users.
    Role.ORGANIZATION_BILLING: _EVERYONE
    | {
        Scope.ORGANIZATION_OWN_READ,
        Scope.ORGANIZATION_OWN_PAY,
        Scope.ORGANIZATION_STATEMENTS,
        Scope.CLINICAL_READ,
    },
}

# A staff session opened before MFA is enrolled may do nothing but enroll.
ENROLLMENT_ONLY_SCOPES = frozenset({Scope.ACCOUNT_SELF, Scope.MFA_ENROLL})


def scopes_for_roles(roles: Iterable[str]) -> frozenset[Scope]:
    """The union of the scopes of ``roles``; an unknown role grants nothing."""
    granted: set[Scope] = set()
    for name in roles:
        try:
            granted |= ROLE_SCOPES[Role(name)]
        except ValueError:
            continue
    return frozenset(granted)
