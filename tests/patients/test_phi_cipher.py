"""PHI encryption at rest: AES-GCM with a key ring, rotation and lookup hashes."""

from __future__ import annotations

import base64

import pytest

from billing.phi_cipher import PhiCipher, PhiDecryptionError, PhiKeyError

OLD_KEY = base64.b64encode(b"o" * 32).decode()
NEW_KEY = base64.b64encode(b"n" * 32).decode()
OLD_RING = f"2024:{OLD_KEY}"
ROTATED_RING = f"2025:{NEW_KEY},2024:{OLD_KEY}"


@pytest.fixture
def cipher() -> PhiCipher:
    return PhiCipher.from_setting(OLD_RING)


def test_a_value_round_trips(cipher: PhiCipher) -> None:
    token = cipher.encrypt("Jane Doe", "patient.first_name")

    assert token.startswith("v1:2024:")
    assert "Jane" not in token
    assert cipher.decrypt(token, "patient.first_name") == "Jane Doe"


def test_the_same_value_encrypts_differently_each_time(cipher: PhiCipher) -> None:
    assert cipher.encrypt("x", "p") != cipher.encrypt("x", "p")


def test_a_value_copied_into_another_column_fails(cipher: PhiCipher) -> None:
    token = cipher.encrypt("1985-04-12", "patient.date_of_birth")

    with pytest.raises(PhiDecryptionError):
        cipher.decrypt(token, "patient.email")


def test_rotation_decrypts_old_values_and_flags_them(cipher: PhiCipher) -> None:
    old_token = cipher.encrypt("jane@example.com", "patient.email")
    rotated = PhiCipher.from_setting(ROTATED_RING)

    assert rotated.decrypt(old_token, "patient.email") == "jane@example.com"
    assert rotated.needs_rotation(old_token)
    new_token = rotated.encrypt("jane@example.com", "patient.email")
    assert new_token.startswith("v1:2025:")
    assert not rotated.needs_rotation(new_token)
    with pytest.raises(PhiDecryptionError):
        cipher.decrypt(new_token, "patient.email")


def test_relabelling_the_key_id_fails() -> None:
    # Both keys are the same bytes, so only the associated data tells them apart.
    ring = PhiCipher.from_setting(f"a:{OLD_KEY},b:{OLD_KEY}")
    token = ring.encrypt("secret", "p")

    with pytest.raises(PhiDecryptionError):
        ring.decrypt(token.replace("v1:a:", "v1:b:"), "p")


@pytest.mark.parametrize("position", [0, 5, 20, -1])
def test_tampering_fails(cipher: PhiCipher, position: int) -> None:
    token = cipher.encrypt("Jane Doe", "patient.first_name")
    prefix, blob = token.rsplit(":", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[position] ^= 0x01
    tampered = f"{prefix}:{base64.b64encode(bytes(raw)).decode()}"

    with pytest.raises(PhiDecryptionError):
        cipher.decrypt(tampered, "patient.first_name")


@pytest.mark.parametrize(
    "token", ["", "plain text", "v2:2024:AAAA", "v1:2024:", "v1:2024:not base64!", "v1:2024:AAAA"]
)
def test_malformed_values_fail_cleanly(cipher: PhiCipher, token: str) -> None:
    with pytest.raises(PhiDecryptionError):
        cipher.decrypt(token, "p")


def test_a_value_under_an_unknown_key_fails(cipher: PhiCipher) -> None:
    token = PhiCipher.from_setting(f"other:{NEW_KEY}").encrypt("x", "p")

    with pytest.raises(PhiDecryptionError):
        cipher.decrypt(token, "p")


@pytest.mark.parametrize(
    "setting",
    [
        "",
        "   ",
        "no-separator",
        f":{OLD_KEY}",
        "kid:",
        "kid:not*base64",
        f"kid:{base64.b64encode(b'short').decode()}",
        f"a:{OLD_KEY},a:{NEW_KEY}",
        f"bad id:{OLD_KEY}",
        f"a:{OLD_KEY},",
    ],
)
def test_malformed_settings_are_refused_without_revealing_keys(setting: str) -> None:
    with pytest.raises(PhiKeyError) as caught:
        PhiCipher.from_setting(setting)

    for key in (OLD_KEY, NEW_KEY):
        assert key not in str(caught.value)


def test_lookup_hash_ignores_case_and_surrounding_space(cipher: PhiCipher) -> None:
    expected = cipher.lookup_hash("jane.doe@example.com", "patient.email")

    assert cipher.lookup_hash("  Jane.Doe@Example.COM ", "patient.email") == expected
    assert len(expected) == 64
    assert cipher.lookup_hash("jane.doe@example.com", "user.email") != expected


def test_lookup_hash_candidates_still_find_values_hashed_before_rotation(
    cipher: PhiCipher,
) -> None:
    before = cipher.lookup_hash("jane@example.com", "patient.email")
    rotated = PhiCipher.from_setting(ROTATED_RING)

    candidates = rotated.lookup_hash_candidates("jane@example.com", "patient.email")

    assert candidates[0] == rotated.lookup_hash("jane@example.com", "patient.email")
    assert before in candidates
    assert before != candidates[0]
