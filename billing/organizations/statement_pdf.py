"""The printable PDF of an organization's monthly statement, a pure function of what it
prints (run it in a thread: laying out pages is CPU work)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from billing.organizations.statements import MonthlyStatement

_FONT = "DejaVuSans"
# The statements domain bundles the font (with its licence); one copy serves both.
_FONT_FILES = Path(__file__).parents[1] / "statements" / "fonts"
_MARGIN = 18.0
_LINE = 5.5


def render_monthly_statement_pdf(statement: MonthlyStatement) -> bytes:
    """The statement as a Letter-size PDF."""
    pdf = FPDF(orientation="portrait", unit="mm", format="Letter")
    pdf.set_title("Monthly statement")
    pdf.set_creator("healthcare-billing")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN)
    pdf.add_font(_FONT, "", str(_FONT_FILES / "DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", str(_FONT_FILES / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    _write(pdf, f"Statement for {statement.month:%B %Y}", size=16, style="B")
    _write(pdf, statement.organization_name, size=12)
    pdf.ln(3)
    _write(pdf, f"Opening balance: {statement.opening_balance}", style="B")
    _heading(pdf, "Invoices")
    _table(
        pdf,
        ("Invoice", "PO", "Issued", "Due", "Total", "Balance"),
        [
            (
                row.number,
                row.purchase_order_number,
                row.issued_at.isoformat(),
                row.due_at.isoformat(),
                row.total,
                row.balance,
            )
            for row in statement.invoices
        ],
    )
    _heading(pdf, "Payments")
    _table(
        pdf,
        ("Date", "Invoice", "", "Amount"),
        [
            (row.on.isoformat(), row.invoice_number, row.description, row.amount)
            for row in statement.payments
        ],
    )
    pdf.ln(3)
    _write(pdf, f"Closing balance: {statement.closing_balance}", style="B")
    _heading(pdf, "Aging of the closing balance")
    _table(pdf, ("Past due", "Amount"), list(statement.aging))
    return bytes(pdf.output())


def _text(value: str) -> str:
    return "".join(char if char.isprintable() else " " for char in value)


def _write(pdf: FPDF, value: str, *, size: float = 10, style: str = "") -> None:
    pdf.set_font(_FONT, style=style, size=size)
    pdf.multi_cell(0, _LINE, _text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: FPDF, title: str) -> None:
    pdf.ln(4)
    _write(pdf, title, size=12, style="B")
    pdf.ln(1)


def _table(pdf: FPDF, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    if not rows:
        _write(pdf, "None.")
        return
    pdf.set_font(_FONT, size=9)
    with pdf.table(first_row_as_headings=True, line_height=_LINE) as table:
        for values in (header, *rows):
            row = table.row()
            for value in values:
                row.cell(_text(value))
