"""Reading an X12 835 (005010X221A1) with ``pyx12``: validated and parsed in one pass.

``pyx12.x12n_document`` walks the file segment by segment against the implementation
guide's map and calls us back for each segment; we keep only the few figures posting needs
(``ParsedRemittance``), never the segments themselves and nothing about the patient (no
names, no member ids). A file that does not validate is refused with the first problem's
segment, position and the guide's reason, reduced to fixed words: nothing of the file's
values is echoed, so no PHI reaches an error, a log or the access log.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pyx12.errors
import pyx12.params
import pyx12.x12n_document

from billing.errors import DomainError, ErrorCode

IMPLEMENTATION_GUIDE = "005010X221A1"
# pyx12 logs the guide's findings with the values it found: keep them out of our logs.
_PYX12_LOG = logging.getLogger("pyx12")
_PYX12_LOG.addHandler(logging.NullHandler())
_PYX12_LOG.propagate = False

# The 999 acknowledgment's reasons (IK304 for segments, IK403 for elements, IK502 for a
# transaction), in our own words.
_SEGMENT_REASONS = {
    "1": "unrecognized segment",
    "2": "unexpected segment",
    "3": "a required segment is missing",
    "4": "the loop occurs more often than allowed",
    "5": "the segment occurs more often than allowed",
    "6": "the segment is not defined in this transaction",
    "7": "the segment is out of sequence",
    "8": "the segment has element errors",
}
_ELEMENT_REASONS = {
    "1": "a required element is missing",
    "2": "a conditionally required element is missing",
    "3": "too many elements",
    "4": "the element is too short",
    "5": "the element is too long",
    "6": "invalid character in the element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "the element must not be used here",
    "12": "too many repetitions",
    "13": "too many components",
}
_TRANSACTION_REASONS = {
    "1": "the transaction set is not supported",
    "2": "the transaction set trailer is missing",
    "3": "the trailer's control number does not match the header's",
    "4": "the segment count in SE01 does not match the segments",
    "5": "one or more segments are in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid control number",
}


@dataclass(frozen=True, slots=True)
class ParsedAdjustment:
    """One CAS reason: group code (CO, PR, OA, PI, CR), CARC reason code, signed amount."""

    group: str
    reason: str
    amount_minor: int


@dataclass(slots=True)
class ParsedClaim:
    """One CLP and the adjustments (claim- and service-level CAS) that follow it."""

    claim_number: str
    status_code: str
    charged_minor: int
    paid_minor: int
    payer_claim_number: str
    adjustments: list[ParsedAdjustment] = field(default_factory=list)

    @property
    def patient_responsibility_minor(self) -> int:
        """The PR adjustments: deductible, coinsurance, co-payment and the like."""
        return sum(a.amount_minor for a in self.adjustments if a.group == "PR")

    @property
    def write_off_minor(self) -> int:
        """Adjustments the patient does not owe: contractual (CO), payer-initiated (PI),
        other (OA) and correction (CR) amounts are written off by the provider."""
        return sum(a.amount_minor for a in self.adjustments if a.group != "PR")

    @property
    def is_reversal(self) -> bool:
        return self.status_code == "22"


@dataclass(slots=True)
class ParsedRemittance:
    """What posting needs of one 835 transaction."""

    payment_minor: int = 0
    trace_number: str = ""
    payer_key: str = ""
    payer_name: str = ""
    provider_adjustments_minor: int = 0
    claims: list[ParsedClaim] = field(default_factory=list)
    transactions: int = 0


def parse_835(content: str) -> ParsedRemittance:
    """Validate ``content`` against 005010X221A1 and return its figures.

    Raises ``DomainError(INVALID_REMITTANCE)`` naming the first segment in error and why,
    when the file is not an X12 interchange, not one 835 of that guide, or does not
    validate.
    """
    if not content.lstrip().startswith("ISA"):
        raise _invalid("The file is not an X12 interchange: it must begin with an ISA segment.")
    collector = _Collector()
    errors = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(
            pyx12.params.params(),
            io.StringIO(content),
            None,
            None,
            fd_json=errors,
            callback=collector.segment,
        )
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as error:
        raise _invalid("The file is not an X12 interchange pyx12 can read.") from error
    if collector.failure:
        raise _invalid(collector.failure)
    if not valid:
        raise _invalid(_first_problem(errors.getvalue()))
    parsed = collector.parsed
    if collector.guide != IMPLEMENTATION_GUIDE or collector.transaction_type != "835":
        raise _invalid(f"The file is not an 835 of the {IMPLEMENTATION_GUIDE} guide.")
    if parsed.transactions != 1:
        raise _invalid("The file must hold exactly one 835 transaction (one payment).")
    return parsed


def amount_to_minor(text: str) -> int:
    """An X12 decimal amount (``150``, ``150.5``, ``-12.00``) in cents."""
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise ValueError("not an amount") from error
    cents = value * 100
    if not value.is_finite() or cents != cents.to_integral_value():
        raise ValueError("not an amount in cents")
    return int(cents)


class _Collector:
    """pyx12's per-segment callback: keeps the figures, drops the segment."""

    def __init__(self) -> None:
        self.parsed = ParsedRemittance()
        self.guide = ""
        self.transaction_type = ""
        self.failure = ""
        self._claim: ParsedClaim | None = None
        self._in_payer = False

    def segment(self, seg: Any, src: Any, node: Any, valid: bool) -> None:
        # pyx12 swallows a callback's exception; we keep the first one to refuse the file.
        try:
            self._read(seg)
        except (ValueError, TypeError):
            if not self.failure:
                self.failure = (
                    f"Segment {seg.get_seg_id()} at position {src.get_seg_count()}: "
                    "an amount is not a decimal number of cents."
                )

    def _read(self, seg: Any) -> None:
        seg_id = seg.get_seg_id()
        parsed = self.parsed
        if seg_id == "GS":
            self.guide = seg.get_value("GS08") or ""
        elif seg_id == "ST":
            self.transaction_type = seg.get_value("ST01") or ""
            parsed.transactions += 1
        elif seg_id == "BPR":
            parsed.payment_minor = amount_to_minor(seg.get_value("BPR02") or "")
        elif seg_id == "TRN":
            parsed.trace_number = seg.get_value("TRN02") or ""
            parsed.payer_key = seg.get_value("TRN03") or ""
        elif seg_id == "N1":
            self._in_payer = seg.get_value("N101") == "PR"
            if self._in_payer and self._claim is None:
                parsed.payer_name = seg.get_value("N102") or ""
        elif seg_id == "CLP":
            self._claim = ParsedClaim(
                claim_number=seg.get_value("CLP01") or "",
                status_code=seg.get_value("CLP02") or "",
                charged_minor=amount_to_minor(seg.get_value("CLP03") or ""),
                paid_minor=amount_to_minor(seg.get_value("CLP04") or ""),
                payer_claim_number=seg.get_value("CLP07") or "",
            )
            parsed.claims.append(self._claim)
        elif seg_id == "CAS" and self._claim is not None:
            group = seg.get_value("CAS01") or ""
            # Up to six reason, amount (and quantity) triples: CAS02/03, CAS05/06, ...
            for position in range(2, 19, 3):
                reason = seg.get_value(f"CAS{position:02d}")
                if not reason:
                    continue
                amount = amount_to_minor(seg.get_value(f"CAS{position + 1:02d}") or "")
                self._claim.adjustments.append(ParsedAdjustment(group, reason, amount))
        elif seg_id == "PLB":
            self._claim = None
            # Up to six adjustment identifier, amount pairs: PLB03/04, PLB05/06, ...
            for position in range(3, 14, 2):
                if seg.get_value(f"PLB{position:02d}"):
                    text = seg.get_value(f"PLB{position + 1:02d}") or ""
                    parsed.provider_adjustments_minor += amount_to_minor(text)


def _first_problem(report: str) -> str:
    try:
        document = json.loads(report) if report.strip() else {}
    except ValueError:
        document = {}
    for interchange in document.get("interchanges", []):
        if interchange.get("errors"):
            return "The interchange envelope (ISA/IEA) does not validate."
        for group in interchange.get("groups", []):
            if group.get("errors"):
                return "The functional group envelope (GS/GE) does not validate."
            for transaction in group.get("transactions", []):
                for segment in transaction.get("segments", []):
                    found = _segment_problem(segment)
                    if found:
                        return found
                for error in transaction.get("errors", []):
                    reason = _TRANSACTION_REASONS.get(str(error.get("err_cde")), "it is invalid")
                    return f"The 835 transaction does not validate: {reason}."
    return f"The file does not validate against {IMPLEMENTATION_GUIDE}."


def _segment_problem(segment: dict[str, Any]) -> str:
    where = f"Segment {segment.get('seg_id')} at position {segment.get('seg_count')}"
    for element in segment.get("elements", []):
        for error in element.get("errors", []):
            reason = _ELEMENT_REASONS.get(str(error.get("err_cde")), "invalid element")
            name = f"{segment.get('seg_id')}{int(element.get('ele_pos') or 0):02d}"
            return f"{where}, element {name}: {reason}."
    for error in segment.get("errors", []):
        reason = _SEGMENT_REASONS.get(str(error.get("err_cde")), "invalid segment")
        return f"{where}: {reason}."
    return ""


def _invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_REMITTANCE, message, "content")
