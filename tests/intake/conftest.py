"""The intake tests' common cast: a location the EHR knows by its code, a patient, and
the secret of an API client that may send charges."""

from __future__ import annotations

import pytest

from config.settings import Settings
from models.locations import Location
from models.patients import Patient
from tests.support.factories.auth import make_patient
from tests.support.factories.intake import api_client_secret, coded_location


@pytest.fixture
async def clinic(db: None) -> Location:
    return await coded_location()


@pytest.fixture
async def ada(db: None) -> Patient:
    return await make_patient()


@pytest.fixture
async def secret(settings: Settings, db: None) -> str:
    return await api_client_secret(settings)
