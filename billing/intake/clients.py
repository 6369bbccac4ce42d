"""API clients: the systems (an EHR, a lab) allowed to call the intake API.

A client's secret is 32 random bytes, shown once when it is made. Only its HMAC-SHA256 is
stored, under a key derived from the service's secret key: a copy of the database alone
neither reveals a secret nor lets anyone check a guess. Such a secret has far too much
entropy to guess, so a slow hash (argon2) would add cost and nothing else; looking it up
by its HMAC takes one indexed query. Every request reads the client again, so a revoked
client is refused from the next request on.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from billing.errors import DomainError, ErrorCode
from models.intake import ApiClient

CHARGES_WRITE = "charges:write"
SCOPES = (CHARGES_WRITE,)
API_CLIENT_ROLE = "api_client"
_SECRET_PREFIX = "bk_"  # noqa: S105 - the visible start of every secret, not one
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True, slots=True)
class IssuedClient:
    """A new client and its secret, which is never stored and cannot be shown again."""

    client: ApiClient
    secret: str


def client_secret_key(secret_key: str) -> bytes:
    """The HMAC key of client secrets, derived from the service's secret key."""
    return hmac.new(secret_key.encode(), b"api-client-secret-v1", hashlib.sha256).digest()


def hash_client_secret(key: bytes, secret: str) -> str:
    return hmac.new(key, secret.encode("utf-8", "replace"), hashlib.sha256).hexdigest()


async def create_api_client(key: bytes, name: str, scopes: list[str]) -> IssuedClient:
    """A new client named ``name`` (letters, digits, ``.``, ``_``, ``-``) with ``scopes``;
    ``CONFLICT`` when the name is taken (revoked clients keep theirs)."""
    if not _NAME.match(name):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "A name of 1-100 letters, digits, '.', '_' or '-' is required.",
            "name",
        )
    unknown = sorted(set(scopes) - set(SCOPES))
    if not scopes or unknown:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"Scopes are one or more of: {', '.join(SCOPES)}.", "scope"
        )
    secret = _SECRET_PREFIX + secrets.token_urlsafe(32)
    try:
        client = await ApiClient.create(
            name=name,
            scopes=" ".join(sorted(set(scopes))),
            secret_hash=hash_client_secret(key, secret),
        )
    except IntegrityError:
        raise DomainError(ErrorCode.CONFLICT, "An API client has this name.", "name") from None
    return IssuedClient(client, secret)


async def revoke_api_client(name: str, *, now: datetime | None = None) -> ApiClient:
    """End the client's access (``NOT_FOUND`` when there is none of that name). Revoking
    again changes nothing."""
    client = await ApiClient.get_or_none(name=name)
    if client is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No API client has this name.", "name")
    if client.revoked_at is None:
        when = now or datetime.now(UTC)
        await ApiClient.filter(id=client.id, revoked_at=None).update(revoked_at=when)
        await client.refresh_from_db()
    return client


async def list_api_clients() -> list[ApiClient]:
    """Every client, revoked ones included, oldest first."""
    return await ApiClient.all().order_by("id")


async def authenticate_client(key: bytes, secret: str) -> ApiClient | None:
    """The live client whose secret this is; ``None`` for an unknown or revoked one."""
    if not secret.startswith(_SECRET_PREFIX):
        return None
    client = await ApiClient.get_or_none(secret_hash=hash_client_secret(key, secret))
    if client is None or client.revoked_at is not None:
        return None
    return client


def has_scope(client: ApiClient, scope: str) -> bool:
    return scope in client.scopes.split()
