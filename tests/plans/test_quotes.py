"""Plan quotes: the arithmetic for any total and monthly amount (property tests), and which
invoices a plan may cover."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from billing.errors import DomainError, ErrorCode
from billing.invoices.reads import patient_today
from billing.payments.offline import record_offline_payment
from billing.plans.quotes import (
    MonthlyAmountTooLow,
    PlanRules,
    add_months,
    minimum_monthly_minor,
    quote_amounts,
    quote_plan,
    smallest_card_charge,
)
from billing.plans.rules import cancel_payment_plan
from models.enums import PaymentChannel
from models.invoices import Invoice
from tests.support.factories.auth import make_patient
from tests.support.factories.invoices import invoice, location
from tests.support.factories.plans import RULES, plan

START = date(2025, 1, 31)
totals = st.integers(min_value=1, max_value=10**9)
rule_sets = st.builds(
    PlanRules,
    minimum_monthly=st.sampled_from(
        [Decimal("25"), Decimal("1"), Decimal("10.50"), Decimal("100")]
    ),
    max_months=st.integers(min_value=1, max_value=60),
)
starts = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def quotable(draw: st.DrawFn) -> tuple[int, int, PlanRules, date]:
    """A total, a monthly amount at or above its minimum, the rules and a first due date."""
    total = draw(totals)
    rules = draw(rule_sets)
    minimum = minimum_monthly_minor(total, "USD", rules)
    monthly = draw(st.integers(min_value=minimum, max_value=max(minimum, total) * 2))
    return total, monthly, rules, draw(starts)


@given(quotable())
@example((10_025, 2500, RULES, START))  # a remainder below the smallest card charge
@example((10_000, 2500, RULES, START))  # no remainder: the last one is a whole month
@example((10, 2500, RULES, START))  # a total below the smallest card charge
@settings(max_examples=500, deadline=None)
def test_installments_always_add_up_to_the_total(case: tuple[int, int, PlanRules, date]) -> None:
    total, monthly, rules, start = case
    smallest = smallest_card_charge("USD")
    if total < smallest:
        # The only refusal of a monthly amount at or above the minimum: nothing a card can
        # be charged for.
        with pytest.raises(DomainError) as refused:
            quote_amounts({1: total}, "USD", monthly, start, rules)
        assert refused.value.code is ErrorCode.INVALID_AMOUNT
        return

    quote = quote_amounts({1: total}, "USD", monthly, start, rules)

    amounts = [row.amount_minor for row in quote.installments]
    count = -(-total // monthly)
    remainder = total - monthly * (count - 1)
    folded = count > 1 and remainder < smallest

    assert sum(amounts) == quote.total_minor == total
    assert all(amount == monthly for amount in amounts[:-1])
    assert all(amount >= smallest for amount in amounts)
    if folded:
        # a remainder too small to charge rides on the installment before it
        assert len(amounts) == count - 1
        assert amounts[-1] == monthly + remainder
    else:
        assert len(amounts) == count
        assert 0 < amounts[-1] <= monthly
    assert len(amounts) <= rules.max_months
    assert all(amount >= quote.minimum_monthly_minor for amount in amounts[:-1])
    assert [row.due_on for row in quote.installments] == [
        add_months(start, n) for n in range(len(amounts))
    ]


def test_a_remainder_below_the_smallest_card_charge_joins_the_installment_before_it() -> None:
    # 100.25 at 25.00 a month: four of 25.00 would leave 0.25, too little to charge
    quote = quote_amounts({1: 10_025}, "USD", 2_500, START, RULES)

    assert [row.amount_minor for row in quote.installments] == [2_500, 2_500, 2_500, 2_525]


@given(totals, rule_sets, st.data())
@settings(max_examples=300, deadline=None)
def test_a_monthly_amount_below_the_minimum_is_refused_not_raised(
    total: int, rules: PlanRules, data: st.DataObject
) -> None:
    minimum = minimum_monthly_minor(total, "USD", rules)
    monthly = data.draw(st.integers(min_value=1, max_value=minimum - 1)) if minimum > 1 else 0

    with pytest.raises(DomainError) as refused:
        quote_amounts({1: total}, "USD", monthly, START, rules)

    expected = ErrorCode.MONTHLY_AMOUNT_TOO_LOW if monthly > 0 else ErrorCode.INVALID_AMOUNT
    assert refused.value.code is expected
    assert refused.value.field == "monthly_amount_minor"
    if isinstance(refused.value, MonthlyAmountTooLow):
        # the refusal says what would do
        assert (refused.value.minimum_minor, refused.value.total_minor) == (minimum, total)


@given(totals, rule_sets)
@settings(max_examples=300, deadline=None)
def test_the_minimum_is_the_setting_or_the_balance_over_the_longest_plan(
    total: int, rules: PlanRules
) -> None:
    minimum = minimum_monthly_minor(total, "USD", rules)

    floor = int(rules.minimum_monthly * 100)
    assert minimum == max(floor, -(-total // rules.max_months))
    assert minimum * rules.max_months >= total


@given(starts, st.integers(min_value=0, max_value=60))
def test_each_installment_falls_on_the_same_day_or_the_months_last(
    start: date, months: int
) -> None:
    due = add_months(start, months)

    assert (due.year - start.year) * 12 + due.month - start.month == months
    assert due.day == min(start.day, calendar.monthrange(due.year, due.month)[1])


def test_a_thirty_first_becomes_the_end_of_shorter_months() -> None:
    assert [add_months(START, n) for n in range(4)] == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]


def test_the_default_minimum_is_25_dollars_or_the_balance_over_24_months() -> None:
    assert minimum_monthly_minor(30_000, "USD", RULES) == 2_500
    assert minimum_monthly_minor(120_001, "USD", RULES) == 5_001
    assert minimum_monthly_minor(3_000, "JPY", RULES) == 125


# ------------------------------------------------------------------ which invoices --


async def test_a_quote_covers_the_unpaid_balances_of_the_patients_invoices(db: None) -> None:
    # given two bills, one partly paid by check
    patient = await make_patient()
    place = await location()
    first = await invoice(patient.id, place.id, prices_minor=(30_000,))
    second = await invoice(patient.id, place.id, prices_minor=(12_550,))
    await record_offline_payment(second.id, 2_550, PaymentChannel.CASH, None, actor_id=None)

    # when the patient asks for $100 a month
    quote = await quote_plan(patient.id, [first.id, second.id], Decimal("100"), None, RULES)

    # then the plan covers $400 in four installments from today
    today = await patient_today(patient.id)
    assert quote.total_minor == 40_000
    assert quote.invoice_amounts == {first.id: 30_000, second.id: 10_000}
    assert [(row.due_on, row.amount_minor) for row in quote.installments] == [
        (add_months(today, n), 10_000) for n in range(4)
    ]


async def test_what_a_card_payment_in_flight_holds_is_not_quoted(db: None) -> None:
    patient = await make_patient()
    bill = await invoice(patient.id, (await location()).id, prices_minor=(30_000,))
    await Invoice.filter(id=bill.id).update(reserved_minor=5_000)

    quote = await quote_plan(patient.id, [bill.id], Decimal("25"), None, RULES)

    assert quote.total_minor == 25_000


@pytest.mark.parametrize(
    ("case", "code", "field"),
    [
        ("another patient's", ErrorCode.NOT_FOUND, "invoice_ids.1"),
        ("paid", ErrorCode.INVOICE_NOT_PAYABLE, "invoice_ids.1"),
        ("repeated", ErrorCode.INVALID_INPUT, "invoice_ids"),
        ("none", ErrorCode.INVALID_INPUT, "invoice_ids"),
    ],
)
async def test_only_the_patients_own_unpaid_invoices_can_be_quoted(
    db: None, case: str, code: ErrorCode, field: str
) -> None:
    patient, other = await make_patient(), await make_patient()
    place = await location()
    own = await invoice(patient.id, place.id)
    if case == "another patient's":
        ids = [own.id, (await invoice(other.id, place.id)).id]
    elif case == "paid":
        ids = [own.id, (await invoice(patient.id, place.id, paid_minor=10_000)).id]
    else:
        ids = [own.id, own.id] if case == "repeated" else []

    with pytest.raises(DomainError) as refused:
        await quote_plan(patient.id, ids, Decimal("50"), None, RULES)

    assert (refused.value.code, refused.value.field) == (code, field)


async def test_an_invoice_is_in_one_active_plan_at_most(db: None) -> None:
    patient = await make_patient()
    place = await location()
    covered, free = await invoice(patient.id, place.id), await invoice(patient.id, place.id)
    first = await plan(patient.id, [covered.id], "50")

    with pytest.raises(DomainError) as refused:
        await quote_plan(patient.id, [free.id, covered.id], Decimal("50"), None, RULES)
    assert (refused.value.code, refused.value.field) == (
        ErrorCode.INVOICE_ALREADY_IN_PLAN,
        "invoice_ids.1",
    )

    # once the first plan is canceled the invoice can go into a new one
    await cancel_payment_plan(patient.id, first.id)
    quote = await quote_plan(patient.id, [free.id, covered.id], Decimal("50"), None, RULES)
    assert quote.total_minor == 20_000


async def test_a_plan_starts_between_today_and_sixty_days_from_now(db: None) -> None:
    patient = await make_patient()
    bill = await invoice(patient.id, (await location()).id)
    today = await patient_today(patient.id)

    later = await quote_plan(
        patient.id, [bill.id], Decimal("50"), today + timedelta(days=60), RULES
    )
    assert later.installments[0].due_on == today + timedelta(days=60)
    for start in (today - timedelta(days=1), today + timedelta(days=61)):
        with pytest.raises(DomainError) as refused:
            await quote_plan(patient.id, [bill.id], Decimal("50"), start, RULES)
        assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "start_on")


async def test_a_monthly_amount_with_too_many_decimals_is_refused(db: None) -> None:
    patient = await make_patient()
    bill = await invoice(patient.id, (await location()).id)

    with pytest.raises(DomainError) as refused:
        await quote_plan(patient.id, [bill.id], Decimal("50.005"), None, RULES)

    assert (refused.value.code, refused.value.field) == (
        ErrorCode.INVALID_AMOUNT,
        "monthly_amount_minor",
    )
