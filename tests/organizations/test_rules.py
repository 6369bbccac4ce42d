"""Rules of organizations' invoices that no GraphQL operation shows on its own."""

from __future__ import annotations

import pytest

from billing.errors import DomainError, ErrorCode
from billing.invoices.rules import adjust_invoice
from billing.ledger.postings import Posting, post_entries
from models.enums import InvoiceStatus, LedgerEntryKind
from models.patients import CreditEntry
from tests.support.factories.invoices import location
from tests.support.factories.organizations import organization, organization_invoice


async def test_an_organization_has_no_credit_balance_to_overpay_into(db: None) -> None:
    site = await location()
    org = await organization()
    bill = await organization_invoice(org.id, site.id, prices_minor=(10_000,))
    await post_entries(bill, [Posting(LedgerEntryKind.PAYMENT, 10_000, dedupe_key="paid")])

    with pytest.raises(DomainError) as refused:
        await adjust_invoice(bill.id, -2_500, "Goodwill", actor_id=None)

    assert refused.value.code is ErrorCode.AMOUNT_EXCEEDS_BALANCE
    await bill.refresh_from_db()
    assert (bill.status, bill.balance_minor) == (InvoiceStatus.PAID, 0)
    assert not await CreditEntry.exists()


async def test_terms_and_limits_are_checked(db: None) -> None:
    with pytest.raises(DomainError) as terms:
        await organization(terms_days=400)
    with pytest.raises(DomainError) as limit:
        await organization(credit_limit="-1.00")

    assert (terms.value.code, terms.value.field) == (ErrorCode.INVALID_INPUT, "payment_terms_days")
    assert limit.value.code is ErrorCode.INVALID_AMOUNT
