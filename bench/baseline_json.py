"""The JSON the GraphQL API answers for MyInvoices and InvoiceDetail, built by hand from the
same rows, for the baseline endpoints. ``bench.query_counts`` checks that both agree."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Any

from billing.invoices.reads import InvoiceLineRecord, InvoiceRecord
from billing.money import to_decimal
from billing.payments.reads import PaymentRecord
from billing.shipments.reads import ShipmentEventRecord, ShipmentItemRecord, ShipmentRecord

JsonObject = dict[str, Any]

_ORDER_TAG = "invoices:ISSUED_AT:DESC"


def global_id(type_name: str, row_id: int) -> str:
    """A Relay global id, as Strawberry makes them: base64 of ``Type:id``."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def money(minor: int, currency: str) -> JsonObject:
    return {"amount": str(to_decimal(minor, currency)), "currency": currency}


def iso(value: date | datetime | str | None) -> str | None:
    """Dates and timestamps as the API writes them (SQLite hands back dates as text)."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def invoice_cursor(issued_at: str, invoice_id: int) -> str:
    """The keyset cursor of a row in the default order (newest issued first)."""
    payload = json.dumps([_ORDER_TAG, issued_at, invoice_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode()


def invoice_page_json(
    rows: list[dict[str, Any]], has_next_page: bool, total_count: int
) -> JsonObject:
    """``myInvoices`` as the MyInvoices operation selects it."""
    edges = []
    for row in rows:
        issued_at = iso(row["issued_at"]) or ""
        currency = row["currency"]
        edges.append(
            {
                "cursor": invoice_cursor(issued_at, row["id"]),
                "node": {
                    "id": global_id("Invoice", row["id"]),
                    "number": row["number"],
                    "status": row["status"],
                    "providerName": row["provider_name"],
                    "issuedAt": issued_at,
                    "dueAt": iso(row["due_at"]),
                    "total": money(row["total_minor"], currency),
                    "balance": money(row["balance_minor"], currency),
                    "insurancePending": money(row["insurance_pending_minor"], currency),
                },
            }
        )
    return {
        "data": {
            "myInvoices": {
                "totalCount": total_count,
                "pageInfo": {
                    "hasNextPage": has_next_page,
                    "endCursor": edges[-1]["cursor"] if edges else None,
                },
                "edges": edges,
            }
        }
    }


def invoice_detail_json(
    invoice: InvoiceRecord,
    location_name: str,
    responsibility_minor: int,
    lines: list[InvoiceLineRecord],
    payments: list[PaymentRecord],
    shipments: list[tuple[ShipmentRecord, list[ShipmentItemRecord], list[ShipmentEventRecord]]],
    line_descriptions: dict[int, str],
) -> JsonObject:
    """``node`` as the InvoiceDetail operation selects it."""
    currency = invoice.currency
    return {
        "data": {
            "node": {
                "id": global_id("Invoice", invoice.id),
                "number": invoice.number,
                "status": invoice.status.value,
                "providerName": invoice.provider_name,
                "location": {
                    "id": global_id("Location", invoice.location_id),
                    "name": location_name,
                },
                "serviceDate": iso(invoice.service_date),
                "issuedAt": iso(invoice.issued_at),
                "dueAt": iso(invoice.due_at),
                "total": money(invoice.total_minor, currency),
                "balance": money(invoice.balance_minor, currency),
                "patientResponsibility": money(responsibility_minor, currency),
                "insurancePending": money(invoice.insurance_pending_minor, currency),
                "lines": [_line(line, currency) for line in lines],
                "payments": [
                    {
                        "id": global_id("Payment", payment.id),
                        "amount": money(payment.amount_minor, payment.currency),
                        "status": payment.status.value,
                        "createdAt": iso(payment.created_at),
                    }
                    for payment in payments
                ],
                "shipments": [
                    _shipment(shipment, items, events, line_descriptions)
                    for shipment, items, events in shipments
                ],
            }
        }
    }


def _line(line: InvoiceLineRecord, currency: str) -> JsonObject:
    return {
        "id": global_id("InvoiceLine", line.id),
        "description": line.description,
        "code": line.code,
        "quantity": line.quantity,
        "unitPrice": money(line.unit_price_minor, currency),
        "amount": money(line.amount_minor, currency),
        "reorderable": line.reorderable,
    }


def _shipment(
    shipment: ShipmentRecord,
    items: list[ShipmentItemRecord],
    events: list[ShipmentEventRecord],
    line_descriptions: dict[int, str],
) -> JsonObject:
    return {
        "id": global_id("Shipment", shipment.id),
        "carrier": shipment.carrier,
        "trackingNumber": shipment.tracking_number,
        "status": shipment.status.value,
        "estimatedDelivery": iso(shipment.estimated_delivery),
        "items": [
            {
                "line": {
                    "id": global_id("InvoiceLine", item.line_id),
                    "description": line_descriptions.get(item.line_id),
                },
                "quantity": item.quantity,
            }
            for item in items
        ],
        "events": [
            {
                "occurredAt": iso(event.occurred_at),
                "status": event.status.value,
                "description": event.description,
                "location": event.location,
            }
            for event in events
        ],
    }
