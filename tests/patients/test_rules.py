"""Creating patients with encrypted PHI, and reading their profile back."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest

from billing.errors import DomainError, ErrorCode
from billing.locations.rules import create_location
from billing.patients.rules import (
    EMAIL,
    PatientProfile,
    create_patient,
    display_name,
    find_patients_by_email,
    read_patient_profile,
)
from billing.phi_cipher import PhiCipher
from models.patients import Patient

KEY = base64.b64encode(b"k" * 32).decode()


@pytest.fixture
def cipher() -> PhiCipher:
    return PhiCipher.from_setting(f"test:{KEY}")


async def test_phi_is_stored_encrypted_and_reads_back(db: None, cipher: PhiCipher) -> None:
    location = await create_location("Riverside Clinic", "America/Chicago")

    patient = await create_patient(
        cipher,
        first_name=" Jane ",
        last_name="Doe",
        date_of_birth=date(1985, 4, 12),
        email="Jane.Doe@Example.com",
        phone="+1 312 555 0142",
        location_id=location.id,
        insurance_member_id="BPH-1",
    )

    stored = await Patient.get(id=patient.id)
    for column in (stored.first_name_ct, stored.last_name_ct, stored.email_ct, stored.phone_ct):
        assert column is not None
        assert column.startswith("v1:test:")
    assert "Jane" not in stored.first_name_ct
    assert stored.timezone == "America/Chicago"
    profile = read_patient_profile(cipher, stored)
    assert profile == PatientProfile(
        id=patient.id,
        first_name="Jane",
        last_name="Doe",
        date_of_birth=date(1985, 4, 12),
        email="Jane.Doe@Example.com",
        phone="+13125550142",
        insurance_member_id="BPH-1",
        location_id=location.id,
        timezone="America/Chicago",
        account_number=stored.account_number,
        mailing_address=None,
    )
    assert stored.email_lookup == cipher.lookup_hash("jane.doe@example.com", EMAIL)
    assert [p.id for p in await find_patients_by_email(cipher, " JANE.DOE@example.com")] == [
        patient.id
    ]


async def test_optional_contact_details_may_be_missing(db: None, cipher: PhiCipher) -> None:
    patient = await create_patient(cipher, "Ana", "Silva", date(1990, 7, 21), None, "", None)

    profile = read_patient_profile(cipher, patient)
    assert (profile.email, profile.phone, profile.location_id) == (None, None, None)
    assert patient.email_lookup is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": "  "}, "first_name"),
        ({"last_name": "x" * 101}, "last_name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"phone": "+1 555 010 0199"}, "phone"),
        ({"date_of_birth": date.today() + timedelta(days=1)}, "date_of_birth"),
        ({"date_of_birth": date(1850, 1, 1)}, "date_of_birth"),
    ],
)
async def test_invalid_details_name_the_field(
    db: None, cipher: PhiCipher, changes: dict[str, object], field: str
) -> None:
    details: dict[str, object] = {
        "first_name": "Jane",
        "last_name": "Doe",
        "date_of_birth": date(1985, 4, 12),
        "email": "jane@example.com",
        "phone": "312-555-0142",
        "location_id": None,
    }
    details.update(changes)

    with pytest.raises(DomainError) as caught:
        await create_patient(cipher, **details)  # type: ignore[arg-type]

    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID_INPUT, field)
    assert "Jane" not in caught.value.message
    assert await Patient.all().count() == 0


async def test_an_unknown_location_is_not_found(db: None, cipher: PhiCipher) -> None:
    with pytest.raises(DomainError) as caught:
        await create_patient(cipher, "Jane", "Doe", date(1985, 4, 12), None, None, 999_999)

    assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, "location_id")


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [("Jane", "Doe", "Jane D."), ("Marcus", "lee", "Marcus L."), ("Cher", "", "Cher")],
)
def test_display_name_is_first_name_and_last_initial(first: str, last: str, shown: str) -> None:
    profile = PatientProfile(
        1, first, last, date(1990, 1, 1), None, None, None, None, "UTC", "1234-5678-2", None
    )

    assert display_name(profile) == shown
