"""Delivering one message: the ``MessageSender`` interface, SMTP email, Twilio SMS, and a
recorder for tests.

A sender raises ``DeliveryError`` with a short code when the message was not accepted.
Neither the address nor the provider's answer is logged or kept: they may hold PHI.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

import httpx

from billing.notifications.texts import OutgoingMessage

SMTP_TIMEOUT_SECONDS = 15.0
TWILIO_API_BASE = "https://api.twilio.com"
TWILIO_TIMEOUT_SECONDS = 10.0


class DeliveryError(Exception):
    """The message was not accepted; ``code`` says why, without PHI. ``permanent``: trying
    again will not help (the address was refused)."""

    def __init__(self, code: str, *, permanent: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.permanent = permanent


class MessageSender(Protocol):
    async def send(self, recipient: str, message: OutgoingMessage) -> str | None:
        """Hand ``message`` to the provider for ``recipient``; the provider's message id
        when it gives one. Raises ``DeliveryError``."""
        ...


@dataclass
class RecordingSender:
    """Keeps what it is asked to send, for tests; ``refuse_with`` makes it fail instead."""

    sent: list[tuple[str, OutgoingMessage]] = field(default_factory=list)
    refuse_with: str | None = None

    async def send(self, recipient: str, message: OutgoingMessage) -> str | None:
        if self.refuse_with is not None:
            raise DeliveryError(self.refuse_with)
        self.sent.append((recipient, message))
        return f"recorded-{len(self.sent)}"


class SmtpEmailSender:
    """Email through an SMTP server: ``smtps://`` is TLS from the start, ``smtp://`` upgrades
    with STARTTLS when the server offers it. User and password come from the URL."""

    def __init__(self, url: str, sender: str, *, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("the SMTP URL must be smtp://host[:port] or smtps://host[:port]")
        self._implicit_tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._implicit_tls else 587)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._sender = sender
        self._timeout = timeout

    async def send(self, recipient: str, message: OutgoingMessage) -> str | None:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        try:
            await asyncio.to_thread(self._send_now, email)
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("recipient_refused", permanent=True) from None
        except (smtplib.SMTPException, OSError):
            raise DeliveryError("smtp_unavailable") from None
        return None

    def _send_now(self, email: EmailMessage) -> None:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self._implicit_tls:
            client = smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=context
            )
        else:
            client = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        with client:
            client.ehlo()
            if not self._implicit_tls and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if self._username and self._password:
                client.login(self._username, self._password)
            client.send_message(email)


class TwilioSmsSender:
    """SMS through Twilio's Messages API (``api_base`` for a compatible server)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        api_base: str = TWILIO_API_BASE,
        timeout: float = TWILIO_TIMEOUT_SECONDS,
    ) -> None:
        self._url = f"{api_base.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._auth = (account_sid, auth_token)
        self._from = from_number
        self._timeout = timeout

    async def send(self, recipient: str, message: OutgoingMessage) -> str | None:
        form = {"To": recipient, "From": self._from, "Body": message.body}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(self._url, data=form, auth=self._auth)
        except httpx.HTTPError:
            raise DeliveryError("sms_unavailable") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise DeliveryError("sms_unavailable")
        if response.status_code >= 400:
            raise DeliveryError(f"sms_refused_{response.status_code}", permanent=True)
        try:
            sid = response.json().get("sid")
        except ValueError:
            sid = None
        return sid if isinstance(sid, str) else None
