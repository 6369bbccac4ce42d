"""Just enough of an SMTP server on loopback to receive mail, for tests of the senders and
of ``billing send-reminders`` (no tests here)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message


@dataclass
class MailServer:
    """Just enough SMTP to accept mail (no TLS, no AUTH), refusing one address."""

    refused: str = "nobody@example.org"
    received: list[tuple[list[str], Message]] = field(default_factory=list)

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        recipients: list[str] = []
        writer.write(b"220 mail.test ESMTP\r\n")
        while line := await reader.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                writer.write(b"250-mail.test\r\n250 8BITMIME\r\n")
            elif command.startswith("RCPT TO:"):
                address = line.decode().strip()[8:].strip("<> ")
                if address == self.refused:
                    writer.write(b"550 no such user\r\n")
                else:
                    recipients.append(address)
                    writer.write(b"250 ok\r\n")
            elif command == "DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                data = await reader.readuntil(b"\r\n.\r\n")
                self.received.append((recipients, message_from_bytes(data[:-5])))
                writer.write(b"250 queued\r\n")
            elif command == "QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def serving_mail() -> AsyncIterator[tuple[MailServer, int]]:
    """A ``MailServer`` listening on a free loopback port, and the port."""
    server = MailServer()
    listener = await asyncio.start_server(server.session, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield server, port
