"""The printable PDF statement of an invoice, as a pure function of what it prints.

``render_statement_pdf`` touches neither the database nor the event loop's time: callers
load a ``StatementDocument`` first and run the renderer in a thread, since laying out a
page is CPU work. Text is set in DejaVu Sans (bundled in ``fonts/`` with its licence), so
names such as "Nguyễn" or "Zoë" print as written. The top of the first page is the
location's letterhead: its logo, name, address and phone, in its accent colour.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

_FONT = "DejaVuSans"
_FONT_FILES = Path(__file__).with_name("fonts")
_MARGIN = 18.0
_LINE_HEIGHT = 5.5
_GREY = (90, 90, 90)
_LOGO_HEIGHT = 16.0
_LOGO_MAX_WIDTH = 50.0


@dataclass(frozen=True, slots=True)
class StatementLine:
    code: str
    description: str
    quantity: int
    unit_price: str
    amount: str


@dataclass(frozen=True, slots=True)
class StatementPayment:
    on: date
    description: str
    amount: str


@dataclass(frozen=True, slots=True)
class Letterhead:
    """The top of a location's statements: ``accent_color`` is ``#RRGGBB``; ``logo`` the
    PNG or SVG bytes checked when an admin uploaded them, or None."""

    name: str
    address: str
    phone: str = ""
    accent_color: str = "#1F4E79"
    logo: bytes | None = None

    @property
    def accent_rgb(self) -> tuple[int, int, int]:
        value = self.accent_color.lstrip("#")
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


@dataclass(frozen=True, slots=True)
class StatementDocument:
    """What a statement prints, amounts already formatted. Holds PHI (the patient's name)."""

    letterhead: Letterhead
    patient_name: str
    invoice_number: str
    provider_name: str
    service_date: date
    issued_at: date
    due_at: date
    status: str
    lines: tuple[StatementLine, ...]
    total: str
    adjustments: str | None
    insurance_payer: str | None
    insurance_expected: str
    insurance_paid: str
    insurance_denied: str
    insurance_pending: str
    patient_responsibility: str
    payments: tuple[StatementPayment, ...]
    paid: str
    balance: str
    generated_on: date
    # The patient's account number (not PHI), to quote on the phone and on checks.
    account_number: str = ""


def render_statement_pdf(document: StatementDocument) -> bytes:
    """The statement as a one-or-more-page, Letter-size PDF."""
    pdf = FPDF(orientation="portrait", unit="mm", format="Letter")
    pdf.set_title("Statement")
    pdf.set_creator("healthcare-billing")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN)
    pdf.add_font(_FONT, "", str(_FONT_FILES / "DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", str(_FONT_FILES / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    _header(pdf, document)
    _facts(pdf, document)
    _lines(pdf, document)
    _summary(pdf, document)
    _payments(pdf, document)
    _how_to_pay(pdf, document)
    return bytes(pdf.output())


def _text(value: str) -> str:
    """``value`` without control characters (a line break is the layout's to make)."""
    return "".join(char if char.isprintable() else " " for char in value)


def _write(pdf: FPDF, value: str, *, size: float = 10, style: str = "") -> None:
    pdf.set_font(_FONT, style=style, size=size)
    pdf.multi_cell(0, _LINE_HEIGHT, _text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: FPDF, title: str) -> None:
    pdf.ln(4)
    _write(pdf, title, size=12, style="B")
    pdf.ln(1)


def _header(pdf: FPDF, document: StatementDocument) -> None:
    letterhead = document.letterhead
    accent = letterhead.accent_rgb
    if letterhead.logo is not None:
        pdf.image(
            io.BytesIO(letterhead.logo),
            x=pdf.l_margin,
            y=pdf.t_margin,
            h=_LOGO_HEIGHT,
            keep_aspect_ratio=True,
            w=_LOGO_MAX_WIDTH,
        )
        pdf.set_y(pdf.t_margin + _LOGO_HEIGHT + 3)
    pdf.set_text_color(*accent)
    _write(pdf, letterhead.name, size=16, style="B")
    pdf.set_text_color(0, 0, 0)
    for line in letterhead.address.splitlines() or [""]:
        _write(pdf, line)
    if letterhead.phone:
        _write(pdf, f"Phone {letterhead.phone}")
    pdf.set_draw_color(*accent)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.w - pdf.r_margin, pdf.get_y() + 2)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.ln(6)
    pdf.set_text_color(*accent)
    _write(pdf, "STATEMENT", size=14, style="B")
    pdf.set_text_color(*_GREY)
    _write(pdf, f"Prepared {document.generated_on.isoformat()}", size=9)
    pdf.set_text_color(0, 0, 0)


def _facts(pdf: FPDF, document: StatementDocument) -> None:
    pdf.ln(3)
    rows = (
        ("Patient", document.patient_name),
        ("Account number", document.account_number),
        ("Invoice number", document.invoice_number),
        ("Provider", document.provider_name),
        ("Date of service", document.service_date.isoformat()),
        ("Issued", document.issued_at.isoformat()),
        ("Due", document.due_at.isoformat()),
        ("Status", document.status),
    )
    for label, value in rows:
        pdf.set_font(_FONT, style="B", size=10)
        pdf.cell(40, _LINE_HEIGHT, _text(label))
        pdf.set_font(_FONT, size=10)
        pdf.multi_cell(0, _LINE_HEIGHT, _text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _lines(pdf: FPDF, document: StatementDocument) -> None:
    _heading(pdf, "Services and items")
    pdf.set_font(_FONT, size=9)
    with pdf.table(
        col_widths=(22, 78, 14, 32, 32),
        text_align=(Align.L, Align.L, Align.R, Align.R, Align.R),
        headings_style=FontFace(emphasis="BOLD"),
        line_height=_LINE_HEIGHT,
    ) as table:
        table.row(("Code", "Description", "Qty", "Unit price", "Amount"))
        for line in document.lines:
            table.row(
                (
                    _text(line.code),
                    _text(line.description),
                    str(line.quantity),
                    line.unit_price,
                    line.amount,
                )
            )


def _amount_row(pdf: FPDF, label: str, amount: str, *, bold: bool = False) -> None:
    style = "B" if bold else ""
    pdf.set_font(_FONT, style=style, size=10)
    pdf.cell(120, _LINE_HEIGHT, _text(label))
    pdf.cell(0, _LINE_HEIGHT, amount, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _summary(pdf: FPDF, document: StatementDocument) -> None:
    _heading(pdf, "Summary")
    if document.adjustments is not None:
        _amount_row(pdf, "Adjustments (included in total)", document.adjustments)
    _amount_row(pdf, "Total charges", document.total)
    if document.insurance_payer:
        payer = document.insurance_payer
        _amount_row(pdf, f"Insurance ({payer}): expected", document.insurance_expected)
        _amount_row(pdf, "Insurance: paid", document.insurance_paid)
        _amount_row(pdf, "Insurance: denied (now yours to pay)", document.insurance_denied)
        _amount_row(pdf, "Insurance: pending", document.insurance_pending)
    else:
        _write(pdf, "No insurance claim on this invoice.")
    _amount_row(pdf, "Your responsibility", document.patient_responsibility)
    _amount_row(pdf, "Paid by you", document.paid)
    _amount_row(pdf, "Balance due", document.balance, bold=True)


def _payments(pdf: FPDF, document: StatementDocument) -> None:
    _heading(pdf, "Payments")
    if not document.payments:
        _write(pdf, "No payments yet.")
        return
    for payment in document.payments:
        pdf.set_font(_FONT, size=10)
        pdf.cell(30, _LINE_HEIGHT, payment.on.isoformat())
        pdf.cell(90, _LINE_HEIGHT, _text(payment.description))
        pdf.cell(
            0, _LINE_HEIGHT, payment.amount, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )


def _how_to_pay(pdf: FPDF, document: StatementDocument) -> None:
    _heading(pdf, "How to pay")
    _write(pdf, "In the app: open your bills, choose this invoice and tap Pay.")
    letterhead = document.letterhead
    address = ", ".join(line.strip() for line in letterhead.address.splitlines() if line)
    _write(
        pdf,
        f"By mail: send a check payable to {letterhead.name} to "
        f"{address or letterhead.name}. Write account number {document.account_number} "
        f"and invoice number {document.invoice_number} on the check.",
    )
    if letterhead.phone:
        _write(pdf, f"Questions about this bill: call {letterhead.phone}.")
