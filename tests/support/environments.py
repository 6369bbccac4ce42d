"""Environments the settings are read from in tests."""

from __future__ import annotations

# Every production setting given, none a development default.
PRODUCTION = {
    "BILLING_ENV": "production",
    "DATABASE_URL": "postgres://billing@db.internal:5432/billing",
    "PUBLIC_BASE_URL": "https://billing.example.org/",
    "BILLING_SECRET_KEY": "a-real-secret-key-from-the-vault-0123456789",
    "PHI_ENCRYPTION_KEY": "k2026:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "STRIPE_SECRET_KEY": "sk_live_from_the_vault",
    "STRIPE_WEBHOOK_SECRET": "whsec_from_the_vault",
    "SHIPPING_WEBHOOK_SECRET": "shipping-secret-from-the-vault",
}
