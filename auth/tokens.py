"""Random tokens and human-typable codes, and the hashes we store instead of them."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Crockford's base32: no I, L, O or U, so a code read aloud or off paper is typed right.
_HUMAN_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_token(prefix: str) -> str:
    """An opaque bearer token with 256 random bits, e.g. ``at_…``."""
    return f"{prefix}{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    """SHA-256 hex of a high-entropy token: enough to find it, useless to replay."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(secret_key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 hex of ``value``, separated by ``purpose`` so hashes never cross uses.

    Used for short codes (enrollment, recovery): without the key, a leaked table
    cannot be searched by trying every code."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def new_human_code(length: int, group: int) -> str:
    """A random code in Crockford base32, grouped with dashes (``7KQ2-M9XD-…``)."""
    raw = "".join(secrets.choice(_HUMAN_ALPHABET) for _ in range(length))
    return "-".join(raw[i : i + group] for i in range(0, length, group))


def normalize_human_code(code: str) -> str:
    """The code as typed, without separators, in upper case, with look-alikes mapped."""
    compact = "".join(ch for ch in code if ch not in "- \t").upper()
    return compact.translate(_LOOKALIKES)
