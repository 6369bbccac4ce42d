"""The 835 fixtures pass pyx12's own validation against 005010X221A1, are what the writer
in ``bench.x12_835`` makes, and read as the figures posting needs; files that are not
an 835 are refused without echoing what they hold."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import pyx12.params
import pyx12.x12n_document

from bench.x12_835 import Claim, build_835, fixtures
from billing.errors import DomainError, ErrorCode
from billing.remittances.x12 import amount_to_minor, parse_835

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"
FILES = sorted(FIXTURES.glob("*.835"))


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_each_fixture_passes_pyx12_validation(path: Path) -> None:
    valid = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(path.read_text(encoding="ascii")), None, None
    )

    assert valid


def test_the_fixtures_are_what_the_writer_makes() -> None:
    # Regenerate with `python -m bench.x12_835 tests/fixtures/x12`.
    written = {path.name: path.read_text(encoding="ascii") for path in FILES}

    assert written == fixtures()


def test_a_partly_paid_claim_reads_as_its_figures() -> None:
    parsed = parse_835((FIXTURES / "partly_paid.835").read_text(encoding="ascii"))

    [claim] = parsed.claims
    assert (parsed.trace_number, parsed.payer_key, parsed.payer_name) == (
        "PART0001",
        "1512345678",
        "ACME HEALTH PLAN",
    )
    assert parsed.payment_minor == 30_000
    assert (claim.claim_number, claim.charged_minor, claim.paid_minor) == ("A-2001", 50_000, 30_000)
    assert claim.patient_responsibility_minor == 10_000
    assert claim.write_off_minor == 10_000


def test_provider_level_adjustments_are_summed() -> None:
    parsed = parse_835((FIXTURES / "provider_adjustments.835").read_text(encoding="ascii"))

    assert parsed.provider_adjustments_minor == 1_250


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Dear payer, JANE DOE owes 12.00", "it must begin with an ISA segment"),
        (
            re.sub(r"SE\*\d+\*", "SE*99*", build_835([Claim("A-1", 100, 100)], trace="T")),
            "the segment count in SE01 does not match the segments",
        ),
        (
            build_835([Claim("A-1", 100, 100)], trace="T").replace("NM1*QC*1*DOE", "NM1*ZZ*1*DOE"),
            "Segment NM1 at position 12",
        ),
    ],
    ids=["not x12", "wrong segment count", "unknown entity code"],
)
def test_a_file_that_does_not_validate_is_refused_saying_where_without_its_values(
    content: str, message: str
) -> None:
    with pytest.raises(DomainError) as refused:
        parse_835(content)

    assert refused.value.code is ErrorCode.INVALID_REMITTANCE
    assert message in refused.value.message
    assert "DOE" not in refused.value.message


def test_an_837_claim_file_is_not_a_remittance() -> None:
    claim_file = build_835([Claim("A-1", 100, 100)], trace="T").replace(
        "005010X221A1", "005010X222A1"
    )

    with pytest.raises(DomainError) as refused:
        parse_835(claim_file)

    assert refused.value.code is ErrorCode.INVALID_REMITTANCE


def test_amounts_are_whole_cents() -> None:
    assert [amount_to_minor(text) for text in ("150", "150.5", "-12.00", ".25")] == [
        15_000,
        15_050,
        -1_200,
        25,
    ]
    with pytest.raises(ValueError, match="cents"):
        amount_to_minor("1.005")


def test_only_pr_adjustments_are_the_patients_and_the_other_groups_are_written_off() -> None:
    content = build_835(
        [
            Claim(
                "A-1",
                10_000,
                6_000,
                adjustments=[
                    ("CO", "45", 1_000),
                    ("PI", "104", 1_000),
                    ("OA", "23", 500),
                    ("PR", "1", 1_500),
                ],
            )
        ],
        trace="GROUPS",
    )

    [claim] = parse_835(content).claims

    assert claim.patient_responsibility_minor == 1_500
    assert claim.write_off_minor == 2_500
