"""Payment.refunds: a payment lists its refunds, newest first, whatever became of each, to
its patient and to staff; each one listed is a read on the access log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from models.audit import AuditEvent
from models.enums import RefundStatus, Role
from models.payments import Refund
from tests.support.factories.invoices import (
    global_id,
    invoice,
    location,
    patient_caller,
    payment,
    staff_caller,
)
from tests.support.graphql_client import gql

PAYMENT_REFUNDS = """
query PaymentRefunds($id: ID!) {
  node(id: $id) {
    ... on Payment {
      refunded { amount currency }
      refunds { id status amount { amount currency } createdAt }
    }
  }
}
"""


async def test_a_payment_lists_its_refunds_newest_first(client: httpx.AsyncClient) -> None:
    # given a card payment of 50.00 refunded twice, the second refund still pending
    ada = await patient_caller("ada@example.org")
    bill = await invoice(ada.patient_id, (await location()).id)
    paid = await payment(ada.patient_id, {bill.id: 5000})
    earlier = datetime.now(UTC) - timedelta(days=2)
    first = await Refund.create(
        payment_id=paid.id,
        amount_minor=1000,
        currency="USD",
        status=RefundStatus.SUCCEEDED,
        reason="Duplicate line",
    )
    await Refund.filter(id=first.id).update(created_at=earlier)
    second = await Refund.create(
        payment_id=paid.id,
        amount_minor=500,
        currency="USD",
        status=RefundStatus.PENDING,
        reason="Goodwill",
    )
    clerk = await staff_caller(Role.BILLING_STAFF)

    # when the patient and a clerk look at the payment
    for token in (ada.token, clerk.token):
        body = await gql(client, PAYMENT_REFUNDS, {"id": global_id("Payment", paid.id)}, token)

        # then both see the refunds, newest first, with their status; never staff's reason
        refunds = body["data"]["node"]["refunds"]
        assert [refund["id"] for refund in refunds] == [
            global_id("Refund", second.id),
            global_id("Refund", first.id),
        ]
        assert [refund["status"] for refund in refunds] == ["PENDING", "SUCCEEDED"]
        assert [refund["amount"]["amount"] for refund in refunds] == ["5.00", "10.00"]
        assert "Goodwill" not in str(body)

    reads = await AuditEvent.filter(action="refund.read", patient_id=ada.patient_id)
    assert {row.resource_id for row in reads} == {f"{second.id},{first.id}"}


async def test_a_payment_without_refunds_lists_none(client: httpx.AsyncClient) -> None:
    ada = await patient_caller("ada@example.org")
    bill = await invoice(ada.patient_id, (await location()).id)
    paid = await payment(ada.patient_id, {bill.id: 5000})

    body = await gql(client, PAYMENT_REFUNDS, {"id": global_id("Payment", paid.id)}, ada.token)

    assert body["data"]["node"]["refunds"] == []
