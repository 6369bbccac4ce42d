"""The bench seeds its data set with raw inserts, so a column the app's models gained must be
seeded too: these tests fill the test database with a small data set the way the bench does."""

from __future__ import annotations

from datetime import date

from bench.dataset import DatasetBuilder, DatasetShape
from bench.seed import POSTGRES_STYLE, SQLITE_STYLE, check_seeded_sample, seed_postgres, seed_sqlite
from billing.patients.rules import read_patient_profile
from billing.phi_cipher import PhiCipher
from config.settings import Settings
from models.invoices import Invoice
from models.locations import Location
from models.patients import Patient

SHAPE = DatasetShape(patients=12, invoices=60, today=date(2026, 11, 22))


async def _seed(settings: Settings, cipher: PhiCipher) -> None:
    url = settings.database_url
    if url.startswith("sqlite://"):
        builder = DatasetBuilder(SHAPE, cipher, "not-a-real-hash", SQLITE_STYLE)
        seed_sqlite(url.removeprefix("sqlite://"), builder)
    else:
        builder = DatasetBuilder(SHAPE, cipher, "not-a-real-hash", POSTGRES_STYLE)
        await seed_postgres(url, builder)


async def test_the_bench_data_set_seeds_into_the_migrated_schema(
    db: None, settings: Settings
) -> None:
    cipher = PhiCipher.from_setting(settings.phi_encryption_key.reveal())
    await _seed(settings, cipher)

    assert await Invoice.all().count() == SHAPE.invoices
    assert await check_seeded_sample(cipher, range(1, SHAPE.invoices + 1)) == SHAPE.invoices
    location = await Location.first()
    assert location is not None
    assert location.accent_color.startswith("#")
    patient = await Patient.get(id=1)
    assert read_patient_profile(cipher, patient).last_name
