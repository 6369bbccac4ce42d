"""The in-process pass before the load: SQL statements per request of each scenario, the
baseline's JSON compared with the API's, and whether payInvoices works at all yet."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.app import build_app
from bench.baseline import build_baseline_app
from bench.office import Desk, patient_search_requests, staff_invoices_requests
from bench.query_counts import Answer, InProcessClient
from bench.workload import (
    Cast,
    HttpRequest,
    invoice_detail_requests,
    login_requests,
    my_invoices_requests,
    pay_invoices_requests,
    stripe_event_requests,
)
from config.settings import Settings
from models.payments import PaymentAllocation
from models.shipments import Shipment

PAGE_SIZES = (5, 20, 50)


@dataclass
class ProbeResults:
    """Statements per request (API, baseline) by scenario, and findings in words."""

    statements: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    page_size_statements: dict[int, tuple[int, int]] = field(default_factory=dict)
    pay_error_codes: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    json_mismatches: int = 0


async def probe(
    settings: Settings,
    paying: Settings,
    cast: Cast,
    password: str,
    intents: list[str],
    desk: Desk | None = None,
) -> ProbeResults:
    """Send one request of each scenario to the API and to the baseline, in this process,
    after one request to warm each path (first-time work is not a request's cost).
    PayInvoices goes to an app built with ``paying``, whose Stripe is the simulator."""
    api = InProcessClient(build_app(settings))
    baseline = InProcessClient(build_baseline_app(settings))
    results = ProbeResults()
    try:
        await _reads(api, baseline, cast, results)
        if desk is not None:
            await _office(api, baseline, desk, results)
        await _writes(api, baseline, cast, password, intents, settings, results)
    finally:
        await api.aclose()
        await baseline.aclose()
    payer = InProcessClient(build_app(paying))
    try:
        await _pay(payer, cast, results)
    finally:
        await payer.aclose()
    return results


async def _reads(
    api: InProcessClient, baseline: InProcessClient, cast: Cast, results: ProbeResults
) -> None:
    graphql = my_invoices_requests(cast, baseline=False)
    plain = my_invoices_requests(cast, baseline=True)
    await api.send(graphql[0])
    await baseline.send(plain[0])
    mine = await _compare(api, baseline, graphql[1], plain[1], "MyInvoices", results)
    results.statements["my_invoices"] = mine
    for size in PAGE_SIZES:
        sized = (
            my_invoices_requests(cast, baseline=False, first=size)[2],
            my_invoices_requests(cast, baseline=True, first=size)[2],
        )
        api_answer, base_answer = await api.send(sized[0]), await baseline.send(sized[1])
        page = api_answer.body["data"]["myInvoices"]
        edges = len(page["edges"])
        if edges != min(size, page["totalCount"]):
            results.findings.append(f"MyInvoices first={size} answered {edges} invoices")
        results.page_size_statements[size] = (
            len(api_answer.statements),
            len(base_answer.statements),
        )

    details = invoice_detail_requests(cast, baseline=False)
    plain_details = invoice_detail_requests(cast, baseline=True)
    await api.send(details[0])
    await baseline.send(plain_details[0])
    typical = await _compare(api, baseline, details[1], plain_details[1], "InvoiceDetail", results)
    results.statements["invoice_detail"] = typical
    for label, index in await _rich_targets(cast):
        counted = await _compare(
            api, baseline, details[index], plain_details[index], f"InvoiceDetail {label}", results
        )
        results.findings.append(
            f"InvoiceDetail of an invoice {label}: {counted[0]} statements "
            f"(baseline {counted[1]}); a typical one: {typical[0]}"
        )


async def _office(
    api: InProcessClient, baseline: InProcessClient, desk: Desk, results: ProbeResults
) -> None:
    """The billing office's scenarios: statements per request and the same JSON."""
    searches = patient_search_requests(desk, baseline=False)
    plain_searches = patient_search_requests(desk, baseline=True)
    await api.send(searches[0])
    await baseline.send(plain_searches[0])
    results.statements["patient_search"] = await _compare(
        api, baseline, searches[1], plain_searches[1], "FindPatients", results
    )
    lists = staff_invoices_requests(desk, baseline=False, copies=2)
    plain_lists = staff_invoices_requests(desk, baseline=True, copies=2)
    await api.send(lists[0])
    await baseline.send(plain_lists[0])
    results.statements["staff_invoices"] = await _compare(
        api, baseline, lists[1], plain_lists[1], "StaffInvoices", results
    )


async def _writes(
    api: InProcessClient,
    baseline: InProcessClient,
    cast: Cast,
    password: str,
    intents: list[str],
    settings: Settings,
    results: ProbeResults,
) -> None:
    secret = settings.stripe_webhook_secret.reveal()
    events = stripe_event_requests(2, "probe_api", intents, secret)
    plain_events = stripe_event_requests(2, "probe_base", intents, secret)
    await api.send(events[0])
    await baseline.send(plain_events[0])
    answer, base_answer = await api.send(events[1]), await baseline.send(plain_events[1])
    results.statements["webhook"] = (len(answer.statements), len(base_answer.statements))
    results.findings.append(
        f"payment_intent.succeeded webhook answered {answer.body} (baseline {base_answer.body})"
    )

    logins = login_requests(cast, password, baseline=False)
    plain_logins = login_requests(cast, password, baseline=True)
    await api.send(logins[-1])
    await baseline.send(plain_logins[-2])
    answer, base_answer = await api.send(logins[-3]), await baseline.send(plain_logins[-4])
    for name, side in (("API", answer), ("baseline", base_answer)):
        if side.error_codes() or "accessToken" not in str(side.body):
            results.findings.append(f"{name} login failed in the probe: {side.error_codes()}")
    results.statements["login"] = (len(answer.statements), len(base_answer.statements))


async def _pay(payer: InProcessClient, cast: Cast, results: ProbeResults) -> None:
    payments = pay_invoices_requests(cast, "probe")
    if len(payments) < 2:
        results.pay_error_codes = ["TOO_FEW_UNPAID_INVOICES"]
        return
    await payer.send(payments[-1])
    paid = await payer.send(payments[-2])
    results.pay_error_codes = paid.error_codes()
    results.statements["pay_invoices"] = (len(paid.statements), None)


async def _compare(
    api: InProcessClient,
    baseline: InProcessClient,
    graphql: HttpRequest,
    plain: HttpRequest,
    label: str,
    results: ProbeResults,
) -> tuple[int, int]:
    api_answer: Answer = await api.send(graphql)
    base_answer: Answer = await baseline.send(plain)
    if api_answer.body != base_answer.body:
        results.json_mismatches += 1
        results.findings.append(f"{label}: the baseline's JSON differs from the API's")
    elif api_answer.error_codes():
        results.findings.append(f"{label}: the API answered errors {api_answer.error_codes()}")
    return len(api_answer.statements), len(base_answer.statements)


async def _rich_targets(cast: Cast) -> list[tuple[str, int]]:
    """Positions in ``cast.detail_targets`` of an invoice with a shipment and of one with
    a payment (the detail's longest paths), when the cast has them."""
    invoice_ids = [invoice_id for _, invoice_id in cast.detail_targets]
    shipped = await _invoices_among(Shipment, invoice_ids)
    paid = await _invoices_among(PaymentAllocation, invoice_ids)
    found: list[tuple[str, int]] = []
    for label, wanted in (("with a shipment", shipped), ("with a payment", paid)):
        positions = [i for i, target in enumerate(invoice_ids) if target in wanted and i > 1]
        if positions:
            found.append((label, positions[0]))
    return found


async def _invoices_among(model: type[Shipment | PaymentAllocation], ids: list[int]) -> set[int]:
    found = await model.filter(invoice_id__in=ids).values_list("invoice_id", flat=True)
    return {int(str(invoice_id)) for invoice_id in found}
