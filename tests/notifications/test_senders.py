"""The real senders speak their protocols: SMTP to a mail server on loopback, Twilio's
Messages API to a Twilio-compatible server on loopback. Refusals become delivery errors
with a code and nothing of the address or the provider's words."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from billing.notifications.senders import DeliveryError, SmtpEmailSender, TwilioSmsSender
from billing.notifications.texts import OutgoingMessage
from tests.support.mail_server import MailServer, serving_mail
from tests.support.stripe_fixture import free_socket, serving

MESSAGE = OutgoingMessage(subject="You have a balance", body="You have a balance. Open the app.")
SID, TOKEN = "AC0123456789", "twilio-test-token"


@pytest.fixture
async def mail_server() -> AsyncIterator[tuple[MailServer, int]]:
    async with serving_mail() as running:
        yield running


async def test_email_is_handed_to_the_smtp_server(mail_server: tuple[MailServer, int]) -> None:
    server, port = mail_server
    sender = SmtpEmailSender(f"smtp://127.0.0.1:{port}", "billing@clinic.example.org")

    await sender.send("rosalind@example.org", MESSAGE)

    [(recipients, mail)] = server.received
    assert recipients == ["rosalind@example.org"]
    assert (mail["From"], mail["To"], mail["Subject"]) == (
        "billing@clinic.example.org",
        "rosalind@example.org",
        MESSAGE.subject,
    )
    assert mail.get_payload(decode=True).decode().strip() == MESSAGE.body  # type: ignore[union-attr]


async def test_a_refused_address_and_an_unreachable_server_are_delivery_errors(
    mail_server: tuple[MailServer, int],
) -> None:
    server, port = mail_server
    sender = SmtpEmailSender(f"smtp://127.0.0.1:{port}", "billing@clinic.example.org")

    with pytest.raises(DeliveryError) as refused:
        await sender.send(server.refused, MESSAGE)
    with free_socket() as bound_not_listening:
        closed_port = bound_not_listening.getsockname()[1]
        unreachable = SmtpEmailSender(f"smtp://127.0.0.1:{closed_port}", "billing@example.org")
        with pytest.raises(DeliveryError) as down:
            await unreachable.send("rosalind@example.org", MESSAGE)

    assert (refused.value.code, refused.value.permanent) == ("recipient_refused", True)
    assert (down.value.code, down.value.permanent) == ("smtp_unavailable", False)
    assert server.received == []


def test_an_smtp_url_names_the_server() -> None:
    with pytest.raises(ValueError, match="smtp://"):
        SmtpEmailSender("https://mail.example.org", "billing@example.org")


@dataclass
class TwilioServer:
    """Twilio's Messages endpoint: basic auth, a form, a JSON answer with the message sid."""

    status: int = 201
    received: list[dict[str, str]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def messages(request: Request) -> JSONResponse:
            self.authorizations.append(request.headers.get("authorization", ""))
            form = parse_qs((await request.body()).decode(), strict_parsing=True)
            self.received.append({key: values[0] for key, values in form.items()})
            if self.status >= 400:
                return JSONResponse({"code": 21211, "message": "invalid"}, self.status)
            return JSONResponse({"sid": "SM0001", "status": "queued"}, self.status)

        path = f"/2010-04-01/Accounts/{SID}/Messages.json"
        return Starlette(routes=[Route(path, messages, methods=["POST"])])


async def test_an_sms_is_posted_to_the_messages_api() -> None:
    twilio = TwilioServer()
    async with serving(twilio.app(), free_socket(), lifespan="off") as url:
        sender = TwilioSmsSender(SID, TOKEN, "+15550001111", api_base=url)
        message_id = await sender.send("+1 312 555 0199", MESSAGE)

    assert message_id == "SM0001"
    assert twilio.received == [
        {"To": "+1 312 555 0199", "From": "+15550001111", "Body": MESSAGE.body}
    ]
    expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert twilio.authorizations == [f"Basic {expected}"]


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [(400, "sms_refused_400", True), (503, "sms_unavailable", False)],
)
async def test_twilios_refusals_are_delivery_errors(
    status: int, code: str, permanent: bool
) -> None:
    twilio = TwilioServer(status=status)
    async with serving(twilio.app(), free_socket(), lifespan="off") as url:
        sender = TwilioSmsSender(SID, TOKEN, "+15550001111", api_base=url)
        with pytest.raises(DeliveryError) as refused:
            await sender.send("+1 312 555 0199", MESSAGE)

    assert (refused.value.code, refused.value.permanent) == (code, permanent)
    assert "312" not in str(refused.value)
