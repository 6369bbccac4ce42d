"""Identity, the accounts domain: passwords, MFA, sessions, lockout, enrollment, roles and
scopes, and ``use_cases`` for signing in and registering patients. It sits above
``billing`` (registering a patient creates one there) and below ``schema``."""
