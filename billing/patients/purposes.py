"""The purposes PHI values are encrypted and hashed for: each binds a value to its column
(see ``billing.phi_cipher``), so a value copied into another column fails to decrypt and a
lookup hash of one column never matches another's."""

from __future__ import annotations

FIRST_NAME = "patient.first_name"
LAST_NAME = "patient.last_name"
DATE_OF_BIRTH = "patient.date_of_birth"
EMAIL = "patient.email"
PHONE = "patient.phone"
INSURANCE_MEMBER_ID = "patient.insurance_member_id"
MAILING_ADDRESS = "patient.mailing_address"
COVERAGE_MEMBER_ID = "coverage.member_id"
