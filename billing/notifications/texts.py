"""What a notification says. Only the kind decides the words, so no text can carry PHI:
no name, provider, service, code, invoice number or amount, only a link into the app
where the patient signs in to see the rest. Email and SMS may be read by someone else
first (a shared inbox, a lock screen).

Account messages (a password-reset link, "your password changed") say as little: the
reset link carries only an opaque single-use token, in the URL's fragment, which
browsers never send to a server, so no proxy or web server log ever holds it."""

from __future__ import annotations

from dataclasses import dataclass

from models.notifications import NotificationChannel, NotificationKind

SMS_OPT_OUT_LINE = "Reply STOP to opt out."
RESET_PAGE = "/app/reset-password"

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
    NotificationKind.INVOICE_READY: (
        "You have a new bill",
        "A new bill is ready for you.",
        "/app/invoices",
    ),
    NotificationKind.ORGANIZATION_PAYMENT_REMINDER: (
        "An invoice is due",
        "Your organization has an invoice due or past due with us. Your billing users can "
        "sign in to see it and pay by bank account or card.",
        "/app/invoices",
    ),
    NotificationKind.PASSWORD_RESET: (
        "Reset your password",
        "Someone asked to reset the password of your billing account. To choose a new one, "
        "open this link within half an hour. If it was not you, ignore this email: your "
        "password stays as it is.",
        RESET_PAGE,
    ),
    NotificationKind.PASSWORD_RESET_REQUIRED: (
        "Choose a new password",
        "Your billing office asked you to choose a new password for your billing account; "
        "the old one no longer works. Open this link within half an hour to choose one.",
        RESET_PAGE,
    ),
    NotificationKind.PASSWORD_CHANGED: (
        "Your password was changed",
        "The password of your billing account was just changed. If it was not you, reset it "
        "from the sign-in page and tell your billing office.",
        "/app/sign-in",
    ),
    NotificationKind.MFA_CHANGED: (
        "Your two-step sign-in was changed",
        "An authenticator app was just set up for your billing account, and any earlier one "
        "stopped working. If it was not you, tell your billing office.",
        "/app/sign-in",
    ),
}

# The kinds whose link carries a token, and only those.
LINK_TOKEN_KINDS = frozenset(
    {NotificationKind.PASSWORD_RESET, NotificationKind.PASSWORD_RESET_REQUIRED}
)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    subject: str
    body: str


def render_message(
    kind: NotificationKind,
    channel: NotificationChannel,
    public_base_url: str,
    *,
    link_token: str | None = None,
) -> OutgoingMessage:
    """The words of ``kind`` on ``channel``, linking to ``public_base_url``; a reset link
    carries ``link_token`` in its fragment."""
    subject, sentence, page = _WORDS[kind]
    if (link_token is not None) != (kind in LINK_TOKEN_KINDS):
        raise ValueError(f"{kind.value} messages take a link token exactly when they reset")
    link = f"{public_base_url.rstrip('/')}{page}"
    if link_token is not None:
        link = f"{link}#token={link_token}"
    body = f"{sentence} Open the app: {link}"
    if channel is NotificationChannel.SMS:
        body = f"{body} {SMS_OPT_OUT_LINE}"
    return OutgoingMessage(subject=subject, body=body)
