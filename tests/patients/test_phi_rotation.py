"""Rotating the PHI key: values move to the new key and stay readable; lookups keep working."""

from __future__ import annotations

import base64
from datetime import date

from auth.totp import MFA_SECRET_COLUMNS, MFA_SECRET_PURPOSE
from billing.locations.rules import create_location
from billing.patients.phi_rotation import rotate_phi_keys
from billing.patients.rules import create_patient, find_patients_by_email, read_patient_profile
from billing.phi_cipher import PhiCipher
from models.patients import Patient
from models.users import User

OLD = "k2025:" + base64.b64encode(b"o" * 32).decode()
NEW = "k2026:" + base64.b64encode(b"n" * 32).decode()


async def _patient_under_old_key() -> Patient:
    location = await create_location("Rotation Clinic", "America/Chicago", "")
    return await create_patient(
        PhiCipher.from_setting(OLD),
        "Rosa",
        "Parks",
        date(1950, 2, 4),
        "rosa@example.org",
        "+1 312 555 0100",
        location.id,
    )


async def test_rotation_reencrypts_every_value_under_the_new_key(db: None) -> None:
    patient = await _patient_under_old_key()
    ring = PhiCipher.from_setting(f"{NEW},{OLD}")

    report = await rotate_phi_keys(ring)

    stored = await Patient.get(id=patient.id)
    assert report.rows_updated == 1
    assert report.values_reencrypted == 5
    assert not ring.needs_rotation(stored.first_name_ct)
    assert stored.first_name_ct.startswith("v1:k2026:")
    new_only = PhiCipher.from_setting(NEW)
    profile = read_patient_profile(new_only, stored)
    assert (profile.first_name, profile.date_of_birth) == ("Rosa", date(1950, 2, 4))
    assert [p.id for p in await find_patients_by_email(new_only, "ROSA@example.org")] == [
        patient.id
    ]


async def test_a_second_rotation_finds_nothing_left(db: None) -> None:
    await _patient_under_old_key()
    ring = PhiCipher.from_setting(f"{NEW},{OLD}")
    await rotate_phi_keys(ring)

    again = await rotate_phi_keys(ring)

    assert again.rows_updated == 0


async def test_rotation_reencrypts_totp_secrets(db: None) -> None:
    old = PhiCipher.from_setting(OLD)
    user = await User.create(
        email="mfa@example.org",
        password_hash="$argon2id$unused",
        roles=["admin"],
        mfa_secret_ct=old.encrypt("JBSWY3DPEHPK3PXP", MFA_SECRET_PURPOSE),
        mfa_enabled=True,
    )
    ring = PhiCipher.from_setting(f"{NEW},{OLD}")

    await rotate_phi_keys(ring, user_columns=MFA_SECRET_COLUMNS)

    stored = await User.get(id=user.id)
    assert stored.mfa_secret_ct is not None
    assert not ring.needs_rotation(stored.mfa_secret_ct)
    secret = PhiCipher.from_setting(NEW).decrypt(stored.mfa_secret_ct, MFA_SECRET_PURPOSE)
    assert secret == "JBSWY3DPEHPK3PXP"


async def test_search_finds_a_patient_across_a_rotation(db: None) -> None:
    from billing.patients.search import PatientSearch, search_condition

    patient = await _patient_under_old_key()
    ring = PhiCipher.from_setting(f"{NEW},{OLD}")
    search = PatientSearch(last_name="PARKS", phone="3125550100")

    before = await Patient.filter(search_condition(ring, search)).values_list("id", flat=True)
    await rotate_phi_keys(ring)
    new_only = PhiCipher.from_setting(NEW)
    after = await Patient.filter(search_condition(new_only, search)).values_list("id", flat=True)

    assert list(before) == list(after) == [patient.id]


async def test_missing_search_indexes_are_filled_once(db: None) -> None:
    from billing.patients.phi_rotation import fill_missing_lookups
    from billing.patients.search import PatientSearch, search_condition

    patient = await _patient_under_old_key()
    await Patient.filter(id=patient.id).update(
        first_name_lookup=None, last_name_lookup=None, date_of_birth_lookup=None
    )
    cipher = PhiCipher.from_setting(OLD)

    filled = await fill_missing_lookups(cipher)
    again = await fill_missing_lookups(cipher)

    assert (filled, again) == (1, 0)
    search = PatientSearch(first_name="rosa", date_of_birth=date(1950, 2, 4))
    assert await Patient.filter(search_condition(cipher, search)).count() == 1
