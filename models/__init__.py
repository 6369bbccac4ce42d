"""Tortoise models. This package imports nothing else of ours."""

MODEL_MODULES: list[str] = [
    "models.locations",
    "models.patients",
    "models.users",
    "models.invoices",
    "models.ledger",
    "models.payments",
    "models.plans",
    "models.shipments",
    "models.stripe_events",
    "models.audit",
    "models.statements",
    "models.notifications",
    "models.idempotency",
    "models.exports",
    "models.remittances",
    "models.intake",
    "models.organizations",
]
