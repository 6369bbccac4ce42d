"""Encryption of PHI at rest: AES-256-GCM with a key ring, and keyed hashes for lookups.

The setting ``PHI_ENCRYPTION_KEY`` is ``kid:base64key[,kid2:base64key2...]``; every key
is 32 bytes. The first key encrypts; every key decrypts, so a new key is rolled out by
putting it first and keeping the old one after it until ``needs_rotation`` finds no rows.

A stored value is ``v1:<kid>:<base64(nonce + ciphertext)>``. The associated data binds the
version, the key id and the *purpose* (the column, e.g. ``patient.email``), so a value
copied into another column, or relabelled with another key id, fails to decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"
_NONCE_BYTES = 12
_KEY_BYTES = 32
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_LOOKUP_INFO = b"billing/phi-lookup-hash/v1"


class PhiKeyError(ValueError):
    """The key setting is malformed. Messages name the problem, never key material."""


class PhiDecryptionError(ValueError):
    """A stored value cannot be decrypted: malformed, tampered, wrong purpose or unknown key."""


@dataclass(frozen=True, slots=True)
class _Key:
    kid: str
    aead: AESGCM
    lookup_key: bytes


class PhiCipher:
    """Encrypts and decrypts PHI strings with a key ring; the first key is the active one."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise PhiKeyError("PHI_ENCRYPTION_KEY holds no keys.")
        ring: dict[str, _Key] = {}
        for kid, material in keys:
            if not _KEY_ID.fullmatch(kid):
                raise PhiKeyError("A PHI key id must be 1-32 letters, digits, '.', '_' or '-'.")
            if len(material) != _KEY_BYTES:
                raise PhiKeyError(f"PHI key {kid!r} must be {_KEY_BYTES} bytes.")
            if kid in ring:
                raise PhiKeyError(f"PHI key id {kid!r} appears twice.")
            ring[kid] = _Key(kid, AESGCM(material), _derive_lookup_key(material))
        self._ring = ring
        self._active = ring[keys[0][0]]

    @classmethod
    def from_setting(cls, setting: str) -> PhiCipher:
        """Build the ring from ``kid:base64key[,kid2:base64key2...]``."""
        keys: list[tuple[str, bytes]] = []
        for position, item in enumerate(setting.split(","), start=1):
            kid, separator, encoded = item.strip().partition(":")
            if not separator or not kid or not encoded:
                raise PhiKeyError(f"PHI key entry {position} must look like 'kid:base64key'.")
            try:
                material = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise PhiKeyError(f"PHI key {kid!r} is not valid base64.") from None
            keys.append((kid, material))
        return cls(keys)

    @property
    def active_key_id(self) -> str:
        """The id of the key that encrypts new values."""
        return self._active.kid

    def encrypt(self, plaintext: str, purpose: str) -> str:
        """Encrypt ``plaintext`` for the column or use named by ``purpose``."""
        nonce = os.urandom(_NONCE_BYTES)
        key = self._active
        sealed = key.aead.encrypt(nonce, plaintext.encode(), _associated_data(key.kid, purpose))
        return f"{_VERSION}:{key.kid}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, token: str, purpose: str) -> str:
        """Decrypt a stored value; raises ``PhiDecryptionError`` if it is not authentic."""
        kid, blob = _split(token)
        key = self._ring.get(kid)
        if key is None:
            raise PhiDecryptionError("The value was encrypted with a key that is not configured.")
        if len(blob) <= _NONCE_BYTES:
            raise PhiDecryptionError("The value is too short to be ciphertext.")
        nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        try:
            plaintext = key.aead.decrypt(nonce, sealed, _associated_data(kid, purpose))
        except InvalidTag:
            raise PhiDecryptionError("The value failed authentication.") from None
        return plaintext.decode()

    def needs_rotation(self, token: str) -> bool:
        """Whether a stored value was encrypted with a key other than the active one."""
        kid, _blob = _split(token)
        return kid != self._active.kid

    def lookup_hash(self, value: str, purpose: str) -> str:
        """A keyed hash (hex HMAC-SHA256) of the normalised value, for equality lookups."""
        return _lookup_hash(self._active.lookup_key, value, purpose)

    def lookup_hash_candidates(self, value: str, purpose: str) -> list[str]:
        """The lookup hash under every key, active first: rows hashed before a rotation
        still match a lookup with ``email_lookup__in=...`` until they are rehashed."""
        return [_lookup_hash(key.lookup_key, value, purpose) for key in self._ring.values()]


def normalize_for_lookup(value: str) -> str:
    """Case and whitespace do not matter to a lookup: ``" Jane@Example.com "`` finds
    ``"jane@example.com"``."""
    return " ".join(value.split()).casefold()


def _lookup_hash(key: bytes, value: str, purpose: str) -> str:
    message = purpose.encode() + b"\x00" + normalize_for_lookup(value).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _derive_lookup_key(material: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LOOKUP_INFO)
    return hkdf.derive(material)


def _associated_data(kid: str, purpose: str) -> bytes:
    return f"{_VERSION}:{kid}:{purpose}".encode()


def _split(token: str) -> tuple[str, bytes]:
    version, _, rest = token.partition(":")
    kid, _, encoded = rest.partition(":")
    if version != _VERSION or not kid or not encoded:
        raise PhiDecryptionError("The value is not in the v1 ciphertext format.")
    try:
        return kid, base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise PhiDecryptionError("The value is not valid base64.") from None
