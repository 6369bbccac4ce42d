"""Every type implementing ``Node`` is fetchable by its ID through ``node(id:)``, with the
same object-level rules as wherever else the type is reached.

The types are read from the built schema, so a new ``Node`` type fails here until it has
a sample object and a row in ``WHO_SEES``. Each sample belongs to one patient ("owner");
every role fetches one of each, and sees it or gets null, exactly as the table says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from billing.audit.chain import AuditRecord, append_audit_records, audit_chain_key
from billing.patients.coverages import NewCoverage, replace_coverages
from billing.statements.paper import request_paper_statement
from config.settings import Settings, load_settings
from models.audit import AuditEvent
from models.enums import AuditOutcome, RefundStatus, Role
from models.patients import Coverage as CoverageRow
from models.payments import Refund
from models.plans import Installment
from models.remittances import (
    Remittance,
    RemittanceClaim,
    RemittanceClaimStatus,
    RemittanceStatus,
)
from schema import build_schema
from tests.support.factories.accounts import api_cipher
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    invoice,
    line_ids,
    location,
    patient_caller,
    payment,
    shipment,
    staff_caller,
)
from tests.support.factories.organizations import organization, organization_caller
from tests.support.factories.plans import card_row, plan
from tests.support.graphql_client import gql

SCHEMA = build_schema(load_settings({"DATABASE_URL": "sqlite://:memory:"}))

NODE_QUERY = "query Node($id: ID!) { node(id: $id) { __typename id } }"

OWNER = "owner"
OTHER_PATIENT = "another patient"
STAFF = "billing_staff"
ACCOUNTANT = "accountant"
ADMIN = "admin"
AUDITOR = "auditor"
# The sample organization's billing user, and another organization's.
ORGANIZATION_USER = "organization's user"
OTHER_ORGANIZATION_USER = "another organization's user"
CALLERS = (
    OWNER,
    OTHER_PATIENT,
    STAFF,
    ACCOUNTANT,
    ADMIN,
    AUDITOR,
    ORGANIZATION_USER,
    OTHER_ORGANIZATION_USER,
)

_BILLS = frozenset({OWNER, STAFF, ACCOUNTANT, ADMIN})
_PATIENT_RECORDS = frozenset({OWNER, STAFF, ADMIN})

# Who gets each type's sample back; everyone else gets null, exactly like a missing ID.
WHO_SEES: dict[str, frozenset[str]] = {
    # bills and what hangs off them: the patient's own, and staff who read all bills
    "Invoice": _BILLS,
    "InvoiceLine": _BILLS,
    "Payment": _BILLS,
    "Refund": _BILLS,
    "PaymentMethod": _BILLS,
    "PaymentPlan": _BILLS,
    "Installment": _BILLS,
    "Shipment": _BILLS,
    # the office's patient record and its coverages: staff who read patient records (not
    # accountants); a patient reaches their own through `me { patient }`, not as the record
    "Patient": frozenset({STAFF, ADMIN}),
    "Coverage": frozenset({STAFF, ADMIN}),
    "PaperStatementRequest": _PATIENT_RECORDS,
    # sites: whoever may list locations (not auditors)
    "Location": frozenset({OWNER, OTHER_PATIENT, STAFF, ACCOUNTANT, ADMIN}),
    # an account: its own user (as `me`), and auditors (as the access log's actors)
    "User": frozenset({OWNER, AUDITOR}),
    # insurers' remittances and their claims: staff who read all bills, never a patient
    "Remittance": frozenset({STAFF, ACCOUNTANT, ADMIN}),
    "RemittanceClaim": frozenset({STAFF, ACCOUNTANT, ADMIN}),
    # the access log: auditors only
    "AuditEvent": frozenset({AUDITOR}),
    # a business customer: staff who read organizations, and its own billing users
    "Organization": frozenset({STAFF, ACCOUNTANT, ADMIN, ORGANIZATION_USER}),
}


def _node_type_names() -> set[str]:
    graphql_schema = SCHEMA._schema
    node = graphql_schema.get_type("Node")
    assert node is not None
    return {
        implementation.name
        for implementation in graphql_schema.get_implementations(node).objects  # type: ignore[arg-type]
    }


NODE_TYPES = sorted(_node_type_names())


def test_every_node_type_has_a_rule_here() -> None:
    assert set(WHO_SEES) == set(NODE_TYPES)


@dataclass(frozen=True)
class World:
    owner: PatientCaller
    tokens: dict[str, str]
    ids: dict[str, str]


async def _world(settings: Settings) -> World:
    """One object of each Node type, all of them the owner's (or about the owner)."""
    owner = await patient_caller("owner@example.org")
    other = await patient_caller("other@example.org")
    tokens = {OWNER: owner.token, OTHER_PATIENT: other.token}
    for name, role in (
        (STAFF, Role.BILLING_STAFF),
        (ACCOUNTANT, Role.ACCOUNTANT),
        (ADMIN, Role.ADMIN),
        (AUDITOR, Role.AUDITOR),
    ):
        tokens[name] = (await staff_caller(role)).token
    business = await organization("Acme Supplies")
    tokens[ORGANIZATION_USER] = (await organization_caller(business.id)).token
    other_business = await organization("Other Supplies")
    tokens[OTHER_ORGANIZATION_USER] = (await organization_caller(other_business.id)).token

    site = await location()
    bill = await invoice(owner.patient_id, site.id, prices_minor=(10000, 2500))
    planned = await invoice(owner.patient_id, site.id, prices_minor=(10000,))
    [line_id, *_] = await line_ids(bill)
    paid = await payment(owner.patient_id, {bill.id: 5000})
    refund = await Refund.create(
        payment_id=paid.id,
        amount_minor=1000,
        currency="USD",
        status=RefundStatus.SUCCEEDED,
        reason="Duplicate charge",
    )
    card = await card_row(owner.patient_id)
    payment_plan = await plan(owner.patient_id, [planned.id], "25.00", card_id=card.id)
    first_installment = await Installment.filter(plan_id=payment_plan.id).order_by("sequence")
    parcel = await shipment(bill, [line_id])
    paper = await request_paper_statement(owner.patient_id, [bill.id], now=datetime.now(UTC))
    await replace_coverages(
        api_cipher(settings),
        owner.patient_id,
        [NewCoverage(payer_name="Acme Health", member_id="AC-1", group_number=None, priority=1)],
    )
    coverage = await CoverageRow.get(patient_id=owner.patient_id)
    await append_audit_records(
        [
            AuditRecord(
                action="invoice.read",
                outcome=AuditOutcome.SUCCESS,
                actor_id=owner.user_id,
                actor_role=Role.PATIENT.value,
                resource_type="Invoice",
                resource_id=str(bill.id),
                patient_id=owner.patient_id,
            )
        ],
        key=audit_chain_key(settings.secret_key.reveal()),
    )
    event = await AuditEvent.filter(action="invoice.read").order_by("-id").first()
    assert event is not None
    remittance = await Remittance.create(
        payer_key="1512345678",
        payer_name="ACME HEALTH PLAN",
        trace_number="NODE0001",
        file_name="node.835",
        payment_minor=0,
        currency="USD",
        status=RemittanceStatus.NEEDS_MATCHING,
        claim_count=1,
        unmatched_count=1,
    )
    remittance_claim = await RemittanceClaim.create(
        remittance_id=remittance.id,
        position=0,
        claim_number=bill.number,
        status_code="1",
        charged_minor=12500,
        paid_minor=0,
        patient_responsibility_minor=0,
        write_off_minor=12500,
        status=RemittanceClaimStatus.UNMATCHED,
    )

    ids = {
        "Invoice": global_id("Invoice", bill.id),
        "InvoiceLine": global_id("InvoiceLine", line_id),
        "Payment": global_id("Payment", paid.id),
        "Refund": global_id("Refund", refund.id),
        "PaymentMethod": global_id("PaymentMethod", card.id),
        "PaymentPlan": global_id("PaymentPlan", payment_plan.id),
        "Installment": global_id("Installment", first_installment[0].id),
        "Shipment": global_id("Shipment", parcel.id),
        "Patient": global_id("Patient", owner.patient_id),
        "Coverage": global_id("Coverage", coverage.id),
        "PaperStatementRequest": global_id("PaperStatementRequest", paper.request.id),
        "Location": global_id("Location", site.id),
        "User": global_id("User", owner.user_id),
        "AuditEvent": global_id("AuditEvent", event.id),
        "Remittance": global_id("Remittance", remittance.id),
        "RemittanceClaim": global_id("RemittanceClaim", remittance_claim.id),
        "Organization": global_id("Organization", business.id),
    }
    return World(owner=owner, tokens=tokens, ids=ids)


@pytest.mark.parametrize("type_name", NODE_TYPES)
async def test_each_role_fetches_a_node_exactly_where_the_rules_let_it(
    client: httpx.AsyncClient, settings: Settings, type_name: str
) -> None:
    world = await _world(settings)
    node_id = world.ids[type_name]

    anonymous = await gql(client, NODE_QUERY, {"id": node_id})
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    assert anonymous["data"] == {"node": None}

    for caller in CALLERS:
        body = await gql(client, NODE_QUERY, {"id": node_id}, token=world.tokens[caller])

        assert "errors" not in body, f"{caller} fetching a {type_name}: {body}"
        if caller in WHO_SEES[type_name]:
            expected = {"__typename": type_name, "id": node_id}
            assert body["data"]["node"] == expected, f"{caller} should see the {type_name}"
        else:
            assert body["data"]["node"] is None, f"{caller} must not see the {type_name}"


@pytest.mark.parametrize("type_name", sorted(set(NODE_TYPES) - {"Location"}))
async def test_a_node_handed_out_is_on_the_access_log(
    client: httpx.AsyncClient, settings: Settings, type_name: str
) -> None:
    world = await _world(settings)
    caller = AUDITOR if type_name in ("AuditEvent", "User") else STAFF
    before = await AuditEvent.filter(resource_type=type_name).count()

    body = await gql(client, NODE_QUERY, {"id": world.ids[type_name]}, token=world.tokens[caller])

    assert body["data"]["node"] is not None
    assert await AuditEvent.filter(resource_type=type_name).count() == before + 1


async def test_another_patients_object_answers_exactly_like_a_missing_one(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await _world(settings)
    token = world.tokens[OTHER_PATIENT]

    for type_name in NODE_TYPES:
        if OTHER_PATIENT in WHO_SEES[type_name]:
            continue
        hidden = await gql(client, NODE_QUERY, {"id": world.ids[type_name]}, token=token)
        missing_id = global_id(type_name, 999_999_999)
        missing = await gql(client, NODE_QUERY, {"id": missing_id}, token=token)

        assert hidden == missing == {"data": {"node": None}}, type_name
