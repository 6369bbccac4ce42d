"""Identity: passwords, MFA, sessions, roles and scopes."""
