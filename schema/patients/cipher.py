"""The PHI cipher for resolvers: built once per key setting, not once per request."""

from __future__ import annotations

import functools

from billing.phi_cipher import PhiCipher
from schema.context import GraphQLContext


def phi_cipher(context: GraphQLContext) -> PhiCipher:
    """The cipher of ``PHI_ENCRYPTION_KEY`` (parsing the key ring and deriving the lookup
    keys is done once per process and setting)."""
    return _cipher_for(context.settings.phi_encryption_key.reveal())


@functools.cache
def _cipher_for(setting: str) -> PhiCipher:
    return PhiCipher.from_setting(setting)
