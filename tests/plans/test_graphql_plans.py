"""Payment plans over GraphQL, with the contract's operations: quoting, setting up, listing
and canceling one's own plans, and staff following up defaulted plans."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from billing.invoices.reads import patient_today
from billing.plans.quotes import add_months
from billing.plans.rules import end_plan
from models.audit import AuditEvent
from models.enums import PaymentPlanStatus, Role
from models.locations import Location as LocationRow
from models.plans import PaymentPlan as PaymentPlanRow
from tests.support.factories.invoices import (
    PatientCaller,
    global_id,
    invoice,
    location,
    patient_caller,
    staff_caller,
)
from tests.support.factories.plans import card_row, plan
from tests.support.graphql_client import contract_operation, gql

QUOTE = contract_operation("QuotePaymentPlan")
CREATE = contract_operation("CreatePaymentPlan")
MY_PLANS = contract_operation("MyPaymentPlans")
CANCEL = contract_operation("CancelPaymentPlan")
STAFF_PLANS = """
query PaymentPlans($status: [PaymentPlanStatus!], $first: Int, $after: String) {
  paymentPlans(status: $status, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id status patientId remaining { amount currency } } }
  }
}
"""
PLAN_NODE = """
query Plan($id: ID!) { node(id: $id) { ... on PaymentPlan { id status total { amount } } } }
"""


@pytest.fixture
async def ada(db: None) -> PatientCaller:
    return await patient_caller("ada@example.org")


@pytest.fixture
async def bob(db: None) -> PatientCaller:
    return await patient_caller("bob@example.org")


async def _bill(caller: PatientCaller, minor: int) -> str:
    place = await LocationRow.first() or await location()
    row = await invoice(caller.patient_id, place.id, prices_minor=(minor,))
    return global_id("Invoice", row.id)


async def _payload(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str
) -> dict[str, Any]:
    body = await gql(client, query, variables, token)
    assert "errors" not in body, body
    [payload] = body["data"].values()
    result: dict[str, Any] = payload
    return result


async def test_a_quote_lists_every_installment_the_last_one_the_remainder(
    client: httpx.AsyncClient, ada: PatientCaller
) -> None:
    bills = [await _bill(ada, 30_000), await _bill(ada, 12_550)]

    quote = await _payload(
        client, QUOTE, {"invoiceIds": bills, "monthlyAmount": "100.00"}, ada.token
    )

    today = await patient_today(ada.patient_id)
    assert quote["errors"] == []
    assert quote["total"] == {"amount": "425.50", "currency": "USD"}
    assert quote["minimumMonthly"] == {"amount": "25.00", "currency": "USD"}
    assert [(i["dueOn"], i["amount"]["amount"]) for i in quote["installments"]] == [
        *((add_months(today, n).isoformat(), "100.00") for n in range(4)),
        (add_months(today, 4).isoformat(), "25.50"),
    ]
    assert await AuditEvent.filter(action="invoice.read", patient_id=ada.patient_id).count() == 1


async def test_a_monthly_amount_below_the_minimum_comes_back_with_the_minimum(
    client: httpx.AsyncClient, ada: PatientCaller
) -> None:
    # 1,200.00 over at most 24 months: the minimum is 50.00, above the 25.00 setting
    bills = [await _bill(ada, 120_000)]

    quote = await _payload(
        client, QUOTE, {"invoiceIds": bills, "monthlyAmount": "49.99"}, ada.token
    )

    [error] = quote["errors"]
    assert (error["code"], error["field"]) == ("MONTHLY_AMOUNT_TOO_LOW", "monthlyAmount")
    assert "50.00 USD" in error["message"]
    assert quote["minimumMonthly"] == {"amount": "50.00", "currency": "USD"}
    assert quote["total"] == {"amount": "1200.00", "currency": "USD"}
    assert quote["installments"] == []


async def test_a_remainder_too_small_to_charge_is_added_to_the_installment_before_it(
    client: httpx.AsyncClient, ada: PatientCaller
) -> None:
    bills = [await _bill(ada, 10_025)]

    quote = await _payload(client, QUOTE, {"invoiceIds": bills, "monthlyAmount": "25"}, ada.token)

    assert quote["errors"] == []
    assert [i["amount"]["amount"] for i in quote["installments"]] == [
        "25.00",
        "25.00",
        "25.00",
        "25.25",
    ]


@pytest.mark.parametrize(
    ("monthly", "code", "field"),
    [
        ("30.001", "INVALID_AMOUNT", "monthlyAmount"),
        ("0", "INVALID_AMOUNT", "monthlyAmount"),
    ],
)
async def test_a_monthly_amount_below_the_minimum_is_an_error_not_clamped(
    client: httpx.AsyncClient, ada: PatientCaller, monthly: str, code: str, field: str
) -> None:
    bills = [await _bill(ada, 30_000)]

    quote = await _payload(
        client, QUOTE, {"invoiceIds": bills, "monthlyAmount": monthly}, ada.token
    )

    assert [(e["code"], e["field"]) for e in quote["errors"]] == [(code, field)]
    assert (quote["total"], quote["minimumMonthly"], quote["installments"]) == (None, None, [])


async def test_another_patients_invoice_quotes_as_missing(
    client: httpx.AsyncClient, ada: PatientCaller, bob: PatientCaller
) -> None:
    bobs = await _bill(bob, 30_000)

    quote = await _payload(client, QUOTE, {"invoiceIds": [bobs], "monthlyAmount": "50"}, ada.token)

    assert [(e["code"], e["field"]) for e in quote["errors"]] == [("NOT_FOUND", "invoiceIds.0")]


async def test_a_patient_sets_up_a_plan_and_sees_it_in_their_plans(
    client: httpx.AsyncClient, ada: PatientCaller
) -> None:
    # given a bill and a saved card
    bill = await _bill(ada, 30_000)
    card = await card_row(ada.patient_id)
    start = await patient_today(ada.patient_id) + timedelta(days=5)

    # when Ada sets up a $120 a month plan from five days from now
    created = await _payload(
        client,
        CREATE,
        {
            "input": {
                "invoiceIds": [bill],
                "monthlyAmount": "120",
                "paymentMethodId": global_id("PaymentMethod", card.id),
                "startOn": start.isoformat(),
            }
        },
        ada.token,
    )

    # then the plan has three installments, the last one the remainder
    assert created["errors"] == []
    plan_out = created["plan"]
    assert plan_out["status"] == "ACTIVE"
    assert plan_out["total"] == plan_out["remaining"] == {"amount": "300.00", "currency": "USD"}
    assert [(i["dueOn"], i["status"], i["amount"]["amount"]) for i in plan_out["installments"]] == [
        (add_months(start, 0).isoformat(), "SCHEDULED", "120.00"),
        (add_months(start, 1).isoformat(), "SCHEDULED", "120.00"),
        (add_months(start, 2).isoformat(), "SCHEDULED", "60.00"),
    ]
    row = await PaymentPlanRow.get(patient_id=ada.patient_id)
    recorded = await AuditEvent.get(action="payment_plan.create")
    assert (recorded.resource_id, recorded.patient_id, recorded.outcome) == (
        str(row.id),
        ada.patient_id,
        "SUCCESS",
    )
    # and it is among her plans, its next installment the first one
    [mine] = (await gql(client, MY_PLANS, token=ada.token))["data"]["myPaymentPlans"]
    assert mine["id"] == plan_out["id"]
    assert mine["remaining"] == {"amount": "300.00", "currency": "USD"}
    assert mine["nextInstallment"] == {
        "dueOn": start.isoformat(),
        "amount": {"amount": "120.00", "currency": "USD"},
    }


async def test_an_invoice_in_a_plan_cannot_go_into_another(
    client: httpx.AsyncClient, ada: PatientCaller
) -> None:
    bill = await _bill(ada, 30_000)
    card = global_id("PaymentMethod", (await card_row(ada.patient_id)).id)
    variables = {"input": {"invoiceIds": [bill], "monthlyAmount": "50", "paymentMethodId": card}}

    first = await _payload(client, CREATE, variables, ada.token)
    second = await _payload(client, CREATE, variables, ada.token)

    assert first["errors"] == []
    assert second["plan"] is None
    assert [(e["code"], e["field"]) for e in second["errors"]] == [
        ("INVOICE_ALREADY_IN_PLAN", "invoiceIds.0")
    ]
    refused = await AuditEvent.get(action="payment_plan.create", outcome="FAILURE")
    assert refused.reference == "INVOICE_ALREADY_IN_PLAN"


async def test_a_retried_plan_with_its_idempotency_key_is_set_up_once(
    client: httpx.AsyncClient, ada: PatientCaller
) -> None:
    bill = await _bill(ada, 30_000)
    card = global_id("PaymentMethod", (await card_row(ada.patient_id)).id)
    fields = {"invoiceIds": [bill], "paymentMethodId": card, "idempotencyKey": "plan-tap-1"}

    first = await _payload(client, CREATE, {"input": {**fields, "monthlyAmount": "50"}}, ada.token)
    again = await _payload(
        client, CREATE, {"input": {**fields, "monthlyAmount": "50.00"}}, ada.token
    )
    other = await _payload(client, CREATE, {"input": {**fields, "monthlyAmount": "60"}}, ada.token)

    assert first["errors"] == []
    assert again == first
    assert [(e["code"], e["field"]) for e in other["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    ]
    assert await PaymentPlanRow.filter(patient_id=ada.patient_id).count() == 1


async def test_a_plan_needs_one_of_the_patients_saved_cards(
    client: httpx.AsyncClient, ada: PatientCaller, bob: PatientCaller
) -> None:
    bill = await _bill(ada, 30_000)
    bobs_card = global_id("PaymentMethod", (await card_row(bob.patient_id)).id)

    created = await _payload(
        client,
        CREATE,
        {"input": {"invoiceIds": [bill], "monthlyAmount": "50", "paymentMethodId": bobs_card}},
        ada.token,
    )

    assert [(e["code"], e["field"]) for e in created["errors"]] == [
        ("NOT_FOUND", "paymentMethodId")
    ]
    assert not await PaymentPlanRow.exists()


async def test_a_patient_cancels_their_own_plan_only(
    client: httpx.AsyncClient, ada: PatientCaller, bob: PatientCaller
) -> None:
    bill = await invoice(ada.patient_id, (await location()).id, prices_minor=(30_000,))
    row = await plan(ada.patient_id, [bill.id], "100")
    plan_id = global_id("PaymentPlan", row.id)

    by_bob = await _payload(client, CANCEL, {"id": plan_id}, bob.token)
    by_ada = await _payload(client, CANCEL, {"id": plan_id}, ada.token)
    again = await _payload(client, CANCEL, {"id": plan_id}, ada.token)

    assert [(e["code"], e["field"]) for e in by_bob["errors"]] == [("NOT_FOUND", "id")]
    assert by_ada == {"plan": {"id": plan_id, "status": "CANCELED"}, "errors": []}
    assert [e["code"] for e in again["errors"]] == ["CONFLICT"]
    [mine] = (await gql(client, MY_PLANS, token=ada.token))["data"]["myPaymentPlans"]
    assert mine["remaining"] == {"amount": "0.00", "currency": "USD"}
    assert mine["nextInstallment"] is None
    assert (await gql(client, MY_PLANS, token=bob.token))["data"]["myPaymentPlans"] == []


async def test_a_plan_by_id_is_its_patients_and_staffs_only(
    client: httpx.AsyncClient, ada: PatientCaller, bob: PatientCaller
) -> None:
    bill = await invoice(ada.patient_id, (await location()).id, prices_minor=(30_000,))
    plan_id = global_id("PaymentPlan", (await plan(ada.patient_id, [bill.id], "100")).id)
    staff = await staff_caller(Role.BILLING_STAFF)

    seen = {
        who: (await gql(client, PLAN_NODE, {"id": plan_id}, token))["data"]["node"]
        for who, token in (("ada", ada.token), ("bob", bob.token), ("staff", staff.token))
    }

    assert (
        seen["ada"]
        == seen["staff"]
        == {
            "id": plan_id,
            "status": "ACTIVE",
            "total": {"amount": "300.00"},
        }
    )
    assert seen["bob"] is None


async def test_staff_list_defaulted_plans_to_follow_them_up(
    client: httpx.AsyncClient, ada: PatientCaller, bob: PatientCaller
) -> None:
    place = await location()
    adas = await plan(ada.patient_id, [(await invoice(ada.patient_id, place.id)).id], "50")
    bobs = await plan(bob.patient_id, [(await invoice(bob.patient_id, place.id)).id], "50")
    await end_plan(bobs, PaymentPlanStatus.DEFAULTED)

    for role in (Role.BILLING_STAFF, Role.ACCOUNTANT):
        staff = await staff_caller(role)
        everyone = await gql(client, STAFF_PLANS, {"first": 1}, staff.token)
        defaulted = await gql(client, STAFF_PLANS, {"status": ["DEFAULTED"]}, staff.token)

        page = everyone["data"]["paymentPlans"]
        assert [e["node"]["id"] for e in page["edges"]] == [global_id("PaymentPlan", bobs.id)]
        assert page["pageInfo"]["hasNextPage"] is True
        [row] = defaulted["data"]["paymentPlans"]["edges"]
        assert row["node"] == {
            "id": global_id("PaymentPlan", bobs.id),
            "status": "DEFAULTED",
            "patientId": global_id("Patient", bob.patient_id),
            "remaining": {"amount": "100.00", "currency": "USD"},
        }
    assert adas.status is PaymentPlanStatus.ACTIVE
