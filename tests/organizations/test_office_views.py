"""Organizations' invoices in the billing office's views: the staff invoice list, the
receivables report and the CSV exports include them, each telling them apart from patients'
invoices, and none names a patient."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from config.settings import Settings
from models.enums import Role
from tests.support.factories.invoices import (
    global_id,
    invoice,
    location,
    staff_caller,
)
from tests.support.factories.office import office_operation, office_patient_caller
from tests.support.factories.organizations import organization, organization_invoice
from tests.support.graphql_client import contract_operation, gql

STAFF_INVOICES = office_operation("StaffInvoices")
RECEIVABLES = contract_operation("Receivables")
TOLD_APART = """
query ToldApart($first: Int) {
  invoices(first: $first) {
    edges { node { number billedTo purchaseOrderNumber organization { name } patient { id } } }
  }
}
"""
EXPORT = """
mutation CreateExport($input: CreateExportInput!) {
  createExport(input: $input) { url errors { code } }
}
"""


async def test_the_staff_list_receivables_and_exports_include_organizations_invoices(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a patient's invoice and an organization's, both open
    site = await location("Supply Depot")
    patient = await office_patient_caller(settings, "pat@example.org")
    today = datetime.now(UTC).date()
    patients = await invoice(
        patient.patient_id, site.id, prices_minor=(10_000,), issued=today, due=today + timedelta(30)
    )
    mercy = await organization("Mercy General")
    # issued 40 days ago on net 30: overdue
    business = await organization_invoice(
        mercy.id,
        site.id,
        prices_minor=(250_000,),
        purchase_order="PO-4411",
        today=today - timedelta(days=40),
    )
    staff = await staff_caller(Role.BILLING_STAFF)

    # when staff list invoices, as the office's contract asks and telling them apart
    listed = await gql(client, STAFF_INVOICES, {"first": 10}, token=staff.token)
    apart = await gql(client, TOLD_APART, {"first": 10}, token=staff.token)

    # then both are there, the organization's naming no patient
    assert "errors" not in listed, listed
    numbers = {edge["node"]["number"] for edge in listed["data"]["invoices"]["edges"]}
    assert numbers == {patients.number, business.number}
    by_number = {
        edge["node"]["number"]: edge["node"] for edge in apart["data"]["invoices"]["edges"]
    }
    assert by_number[business.number] == {
        "number": business.number,
        "billedTo": "ORGANIZATION",
        "purchaseOrderNumber": "PO-4411",
        "organization": {"name": "Mercy General"},
        "patient": None,
    }
    assert by_number[patients.number]["billedTo"] == "PATIENT"
    assert by_number[patients.number]["organization"] is None

    # and the list filters by who is billed, and counts the organization's overdue invoices
    only_business = await gql(
        client,
        TOLD_APART.replace(
            "invoices(first: $first)", "invoices(first: $first, filter: $filter)"
        ).replace("($first: Int)", "($first: Int, $filter: StaffInvoiceFilter)"),
        {"first": 10, "filter": {"billedTo": "ORGANIZATION"}},
        token=staff.token,
    )
    assert [e["node"]["number"] for e in only_business["data"]["invoices"]["edges"]] == [
        business.number
    ]
    overdue = await gql(
        client,
        STAFF_INVOICES,
        {"first": 10, "filter": {"overdue": True}},
        token=staff.token,
    )
    overdue_numbers = {edge["node"]["number"] for edge in overdue["data"]["invoices"]["edges"]}
    assert overdue_numbers == {business.number}
    assert {
        edge["node"]["number"]: edge["node"]["overdue"]
        for edge in listed["data"]["invoices"]["edges"]
    } == {business.number: True, patients.number: False}

    # and receivables count the organization's balance
    report = await gql(client, RECEIVABLES, {}, token=staff.token)
    assert report["data"]["receivables"][0]["outstanding"] == {
        "amount": "2600.00",
        "currency": "USD",
    }

    # and the invoice export says who each invoice bills
    link = await gql(client, EXPORT, {"input": {"kind": "INVOICES"}}, token=staff.token)
    response = await client.get(urlsplit(link["data"]["createExport"]["url"]).path)
    header, *rows = list(csv.reader(io.StringIO(response.text)))
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    business_row = next(row for row in cells if row["invoice_number"] == business.number)
    assert business_row["billed_to"] == "ORGANIZATION"
    assert business_row["organization"] == "Mercy General"
    assert business_row["purchase_order_number"] == "PO-4411"
    assert business_row["patient_account_number"] == ""
    assert business_row["patient_name"] == ""
    patient_row = next(row for row in cells if row["invoice_number"] == patients.number)
    assert patient_row["billed_to"] == "PATIENT"
    assert patient_row["organization"] == ""
    assert global_id("Invoice", business.id)  # an ID like any other invoice's
