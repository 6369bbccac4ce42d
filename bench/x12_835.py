"""Writing X12 835 (005010X221A1) files: the benchmark's 5,000-claim file and the test
fixtures under ``tests/fixtures/x12/`` (``python -m bench.x12_835 DIR`` writes those)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

PAYER_ID = "1512345678"
PAYER_NAME = "ACME HEALTH PLAN"


@dataclass(frozen=True, slots=True)
class Claim:
    """One CLP; ``adjustments`` are (group, reason, cents) CAS entries."""

    number: str
    charged: int
    paid: int
    status: str = "1"
    payer_claim_number: str = ""
    adjustments: Sequence[tuple[str, str, int]] = field(default_factory=tuple)


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def build_835(
    claims: Sequence[Claim],
    *,
    trace: str,
    payment: int | None = None,
    provider_adjustments: Sequence[tuple[str, int]] = (),
) -> str:
    """An 835 paying ``claims``; ``payment`` (BPR02, cents) defaults to the balanced sum of
    the paid amounts less the ``provider_adjustments`` (PLB reason, cents)."""
    if payment is None:
        payment = sum(c.paid for c in claims) - sum(a for _, a in provider_adjustments)
    # A payment of nothing (every claim denied) is a notice without money (BPR01 H, NON).
    bpr = (
        f"BPR*I*{_money(payment)}*C*ACH*CCP*01*999999999*DA*123456*{PAYER_ID}**01*999988880"
        "*DA*98765*20260105"
        if payment
        else "BPR*H*0*C*NON************20260105"
    )
    body = [
        bpr,
        f"TRN*1*{trace}*{PAYER_ID}",
        "DTM*405*20260102",
        f"N1*PR*{PAYER_NAME}",
        "N3*1 PAYER WAY",
        "N4*SPRINGFIELD*IL*62701",
        "PER*BL*EDI SUPPORT*TE*5555555555",
        "N1*PE*GOOD CLINIC*XX*1234567893",
        "LX*1",
    ]
    for index, claim in enumerate(claims, start=1):
        payer_number = claim.payer_claim_number or f"PCN{index:07d}"
        body.append(
            f"CLP*{claim.number}*{claim.status}*{_money(claim.charged)}*{_money(claim.paid)}"
            f"**12*{payer_number}*11*1"
        )
        by_group: dict[str, list[tuple[str, int]]] = {}
        for group, reason, amount in claim.adjustments:
            by_group.setdefault(group, []).append((reason, amount))
        for group, entries in by_group.items():
            elements = ["CAS", group]
            for reason, amount in entries:
                elements += [reason, _money(amount), ""]  # CAS04, 07, ...: no quantity
            body.append("*".join(elements).rstrip("*"))
        body.append(f"NM1*QC*1*DOE*JANE****MI*W{index:08d}")
    if provider_adjustments:
        pairs = "*".join(
            f"{reason}:ADJ{n}*{_money(a)}"
            for n, (reason, a) in enumerate(provider_adjustments, start=1)
        )
        body.append(f"PLB*1234567893*20261231*{pairs}")
    segments = [
        "ISA*00*          *00*          *ZZ*ACMEPAYER      *ZZ*GOODCLINIC     *260101*1200*^"
        "*00501*000000001*0*P*:",
        "GS*HP*ACMEPAYER*GOODCLINIC*20260101*1200*1*X*005010X221A1",
        "ST*835*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        "GE*1*1",
        "IEA*1*000000001",
    ]
    return "~\n".join(segments) + "~\n"


def fixtures() -> dict[str, str]:
    """The test fixtures by file name (``tests/fixtures/x12/``); the claim numbers are the
    invoice numbers the tests give their invoices."""
    co45 = ("CO", "45", 5_000)
    return {
        "paid.835": build_835(
            [Claim("A-1001", 20_000, 15_000, adjustments=[co45])], trace="PAID0001"
        ),
        "partly_paid.835": build_835(
            [
                Claim(
                    "A-2001",
                    50_000,
                    30_000,
                    adjustments=[
                        ("CO", "45", 10_000),
                        ("PR", "1", 5_000),
                        ("PR", "2", 3_000),
                        ("PR", "3", 2_000),
                    ],
                )
            ],
            trace="PART0001",
        ),
        "denied.835": build_835(
            [Claim("A-3001", 12_000, 0, status="4", adjustments=[("PR", "96", 12_000)])],
            trace="DENY0001",
        ),
        "original.835": build_835(
            [
                Claim(
                    "A-4001",
                    30_000,
                    20_000,
                    payer_claim_number="PCN4001",
                    adjustments=[("CO", "45", 10_000)],
                )
            ],
            trace="ORIG0001",
        ),
        "reversal_and_correction.835": build_835(
            [
                Claim(
                    "A-4001",
                    -30_000,
                    -20_000,
                    status="22",
                    payer_claim_number="PCN4001",
                    adjustments=[("CO", "45", -10_000)],
                ),
                Claim(
                    "A-4001",
                    30_000,
                    18_000,
                    payer_claim_number="PCN4001B",
                    adjustments=[("CO", "45", 10_000), ("PR", "2", 2_000)],
                ),
                Claim("A-4002", 10_000, 8_000, adjustments=[("CO", "45", 2_000)]),
            ],
            trace="CORR0001",
        ),
        "provider_adjustments.835": build_835(
            [Claim("A-5001", 10_000, 10_000)],
            trace="PLB00001",
            provider_adjustments=[("WO", 1_500), ("L6", -250)],
        ),
        "unbalanced.835": build_835(
            [Claim("A-1001", 20_000, 15_000, adjustments=[co45])], trace="UNBAL001", payment=14_000
        ),
        "unknown_claim.835": build_835(
            [
                Claim("A-9999", 20_000, 15_000, adjustments=[co45]),
                Claim("A-6001", 20_000, 15_000, adjustments=[co45]),
            ],
            trace="UNKN0001",
        ),
    }


if __name__ == "__main__":
    target = Path(sys.argv[1])
    for name, text in fixtures().items():
        (target / name).write_text(text, encoding="ascii")
