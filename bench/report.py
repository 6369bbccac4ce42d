"""The results of a run: rows per scenario, the targets, and their text as a table."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.load import LoadResult


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a row (the API or the baseline): a load result, or why there is none."""

    load: LoadResult | None = None
    statements: int | None = None
    note: str = ""
    # Whether each request may be sent once only (payments, webhook events).
    one_off: bool = False

    def cells(self) -> list[str]:
        statements = "" if self.statements is None else str(self.statements)
        if self.load is None:
            return [self.note or "—", "", "", statements]
        load = self.load
        rate = f"{load.requests_per_second:,.0f}"
        if load.failures:
            rate += f" ({load.failures} failed)"
        if load.wrapped and self.one_off:
            rate += " (ran out of unique requests)"
        return [rate, f"{load.p50_ms:.1f}", f"{load.p99_ms:.1f}", statements]


@dataclass(frozen=True, slots=True)
class Row:
    scenario: str
    api: Side
    baseline: Side | None = None

    def ratio(self) -> str:
        if self.baseline is None or self.api.load is None or self.baseline.load is None:
            return ""
        base = self.baseline.load.requests_per_second
        return f"{self.api.load.requests_per_second / base:.2f}" if base else ""


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    measured: str
    met: bool | None  # None: could not be measured

    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: "not measured"}[self.met]


@dataclass
class BackendReport:
    backend: str
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)


_HEADER = [
    "scenario",
    "API req/s",
    "p50 ms",
    "p99 ms",
    "SQL/req",
    "baseline req/s",
    "p50 ms",
    "p99 ms",
    "SQL/req",
    "API/baseline",
]


def markdown(report: BackendReport) -> str:
    """The backend's table, targets and checks, as Markdown (it also reads as plain text)."""
    lines = [f"### {report.backend}", ""]
    table = [_HEADER]
    for row in report.rows:
        baseline = row.baseline.cells() if row.baseline else ["—", "", "", ""]
        table.append([row.scenario, *row.api.cells(), *baseline, row.ratio()])
    lines += _table(table)
    lines += ["", "| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {t.name} | {t.measured} | {t.verdict()} |" for t in report.targets]
    if report.checks:
        lines += ["", *[f"- {check}" for check in report.checks]]
    return "\n".join(lines) + "\n"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def render(row: list[str]) -> str:
        return (
            "| "
            + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            + " |"
        )

    separator = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return [render(rows[0]), separator, *[render(row) for row in rows[1:]]]
