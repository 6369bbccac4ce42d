"""What a notification says. Only the kind decides the words, so no text can carry PHI:
no name, provider, service, code, invoice number or amount, only a link into the app
where the patient signs in to see the rest. Email and SMS may be read by someone else
first (a shared inbox, a lock screen)."""

from __future__ import annotations

from dataclasses import dataclass

from models.notifications import NotificationChannel, NotificationKind

SMS_OPT_OUT_LINE = "Reply STOP to opt out."

_WORDS: dict[NotificationKind, tuple[str, str, str]] = {
    # subject, sentence, page of the app
    NotificationKind.INSTALLMENT_DUE_SOON: (
        "A payment is coming up",
        "You have a payment due soon.",
        "/app/plans",
    ),
    NotificationKind.INSTALLMENT_FAILED: (
        "We could not process a payment",
        "We could not process a scheduled payment. Please check your payment method.",
        "/app/plans",
    ),
    NotificationKind.INSTALLMENT_NEEDS_AUTHENTICATION: (
        "A payment needs your confirmation",
        "Your bank asks you to confirm a scheduled payment.",
        "/app/plans",
    ),
    NotificationKind.INVOICE_OVERDUE: (
        "You have a balance",
        "You have a balance.",
        "/app/invoices",
    ),
}


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    subject: str
    body: str


def render_message(
    kind: NotificationKind, channel: NotificationChannel, public_base_url: str
) -> OutgoingMessage:
    """The words of ``kind`` on ``channel``, linking to ``public_base_url``."""
    subject, sentence, page = _WORDS[kind]
    link = f"{public_base_url.rstrip('/')}{page}"
    body = f"{sentence} Open the app: {link}"
    if channel is NotificationChannel.SMS:
        body = f"{body} {SMS_OPT_OUT_LINE}"
    return OutgoingMessage(subject=subject, body=body)
