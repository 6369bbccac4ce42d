"""TOTP secrets are stored encrypted with the PHI cipher, under their own purpose."""

from __future__ import annotations

from auth.totp import MFA_SECRET_PURPOSE, Decrypt, Encrypt
from schema.context import GraphQLContext
from schema.patients.cipher import phi_cipher


def mfa_secret_encrypter(context: GraphQLContext) -> Encrypt:
    cipher = phi_cipher(context)
    return lambda secret: cipher.encrypt(secret, MFA_SECRET_PURPOSE)


def mfa_secret_decrypter(context: GraphQLContext) -> Decrypt:
    cipher = phi_cipher(context)
    return lambda ciphertext: cipher.decrypt(ciphertext, MFA_SECRET_PURPOSE)
