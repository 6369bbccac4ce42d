"""Payment plan quotes: which invoices a plan may cover, the smallest monthly amount, and
the installments a monthly amount makes.

The arithmetic is exact in minor units: every installment is the monthly amount except the
last, which is the remainder (more than 0, at most the monthly amount), so the installments
always add up to the total. A remainder below the smallest card charge is added to the
installment before it instead (that last one is then a little more than the monthly amount).
A monthly amount below the minimum is refused, with the minimum, never raised.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from billing.errors import DomainError, ErrorCode
from billing.invoices.reads import patient_today
from billing.money import CURRENCY_EXPONENTS, to_decimal, to_minor
from billing.payments.card import MIN_CARD_CHARGE_MINOR
from models.enums import InvoiceStatus
from models.invoices import Invoice
from models.plans import PaymentPlanInvoice

# A plan starts within this many days of the day it is set up.
MAX_START_DELAY_DAYS = 60
MAX_INVOICES_PER_PLAN = 50
MONTHLY_FIELD = "monthly_amount_minor"


@dataclass(frozen=True, slots=True)
class PlanRules:
    """The plan terms from the settings: ``minimum_monthly`` in major units of the plan's
    currency, ``max_months`` the longest plan, ``retry_days`` after a due date."""

    minimum_monthly: Decimal = Decimal("25")
    max_months: int = 24
    retry_days: tuple[int, ...] = (3, 7, 14)


class MonthlyAmountTooLow(DomainError):
    """``MONTHLY_AMOUNT_TOO_LOW``, with what the client needs to offer a valid amount: the
    minimum and the total, in minor units of ``currency``."""

    def __init__(self, minimum_minor: int, total_minor: int, currency: str) -> None:
        super().__init__(
            ErrorCode.MONTHLY_AMOUNT_TOO_LOW,
            f"The monthly amount is below the minimum for these invoices, "
            f"{to_decimal(minimum_minor, currency)} {currency}.",
            MONTHLY_FIELD,
        )
        self.minimum_minor = minimum_minor
        self.total_minor = total_minor
        self.currency = currency


@dataclass(frozen=True, slots=True)
class QuotedInstallment:
    due_on: date
    amount_minor: int


@dataclass(frozen=True, slots=True)
class PlanQuote:
    """What a plan for ``invoice_amounts`` (invoice id to the amount covered) would be."""

    currency: str
    total_minor: int
    minimum_monthly_minor: int
    monthly_minor: int
    installments: tuple[QuotedInstallment, ...]
    invoice_amounts: dict[int, int]


def minimum_monthly_minor(total_minor: int, currency: str, rules: PlanRules) -> int:
    """The larger of the configured minimum and the total spread over the longest plan,
    both rounded up to a whole minor unit."""
    floor = int(
        rules.minimum_monthly.scaleb(CURRENCY_EXPONENTS[currency]).to_integral_value(ROUND_CEILING)
    )
    return max(floor, -(-total_minor // rules.max_months))


def split_into_installments(
    total_minor: int, monthly_minor: int, start_on: date, smallest_charge_minor: int = 1
) -> tuple[QuotedInstallment, ...]:
    """``monthly_minor`` each month from ``start_on``, the last one the remainder; a
    remainder below ``smallest_charge_minor`` goes onto the installment before it."""
    if total_minor <= 0 or monthly_minor <= 0:
        raise ValueError("total and monthly amounts must be positive")
    count = -(-total_minor // monthly_minor)
    remainder = total_minor - monthly_minor * (count - 1)
    amounts = [monthly_minor] * (count - 1) + [remainder]
    if count > 1 and remainder < smallest_charge_minor:
        amounts = [*amounts[:-2], monthly_minor + remainder]
    return tuple(
        QuotedInstallment(due_on=add_months(start_on, index), amount_minor=amount)
        for index, amount in enumerate(amounts)
    )


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def quote_amounts(
    invoice_amounts: dict[int, int],
    currency: str,
    monthly_minor: int,
    start_on: date,
    rules: PlanRules,
) -> PlanQuote:
    """The quote for amounts already read from the invoices.

    Raises ``MonthlyAmountTooLow`` for a monthly amount below the minimum, and
    ``INVALID_AMOUNT`` for one that is not positive or for a total too small for one card
    charge (field ``monthly_amount_minor``).
    """
    total = sum(invoice_amounts.values())
    if total <= 0:
        raise DomainError(ErrorCode.INVOICE_NOT_PAYABLE, "Nothing is left to pay.", "invoice_ids")
    if monthly_minor <= 0:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT, "The monthly amount must be positive.", MONTHLY_FIELD
        )
    minimum = minimum_monthly_minor(total, currency, rules)
    if monthly_minor < minimum:
        raise MonthlyAmountTooLow(minimum, total, currency)
    smallest = smallest_card_charge(currency)
    installments = split_into_installments(total, monthly_minor, start_on, smallest)
    _check_chargeable(installments[-1].amount_minor, currency)
    return PlanQuote(
        currency=currency,
        total_minor=total,
        minimum_monthly_minor=minimum,
        monthly_minor=monthly_minor,
        installments=installments,
        invoice_amounts=dict(invoice_amounts),
    )


def smallest_card_charge(currency: str) -> int:
    """Stripe's smallest charge in ``currency``, in minor units."""
    return MIN_CARD_CHARGE_MINOR.get(currency, 50)


def _check_chargeable(last_minor: int, currency: str) -> None:
    smallest = smallest_card_charge(currency)
    if last_minor < smallest:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT,
            f"The amount is below the smallest card charge ({to_decimal(smallest, currency)} "
            f"{currency}): pay it at once instead of in a plan.",
            MONTHLY_FIELD,
        )


async def plan_invoice_amounts(
    patient_id: int, invoice_ids: Sequence[int], *, lock: bool = False
) -> tuple[dict[int, int], str]:
    """What a new plan would cover on each of the patient's invoices (its balance less what
    card payments in flight hold), and their one currency.

    ``lock`` takes the invoices' row locks, in id order (inside a transaction). Raises
    ``DomainError`` on ``invoice_ids`` (or ``invoice_ids.N``): ``INVALID_INPUT`` for none,
    too many or repeated ids, ``NOT_FOUND`` for an invoice that is not the patient's,
    ``CURRENCY_MISMATCH``, ``INVOICE_NOT_PAYABLE`` for one with nothing to pay and
    ``INVOICE_ALREADY_IN_PLAN``.
    """
    _check_ids(invoice_ids)
    query = Invoice.filter(id__in=list(invoice_ids), patient_id=patient_id).order_by("id")
    rows = {row.id: row for row in await (query.select_for_update() if lock else query)}
    currencies = set()
    amounts: dict[int, int] = {}
    for index, invoice_id in enumerate(invoice_ids):
        row = rows.get(invoice_id)
        field = f"invoice_ids.{index}"
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such invoice.", field)
        payable = row.balance_minor - row.reserved_minor
        if row.status is InvoiceStatus.VOID or payable <= 0:
            raise DomainError(ErrorCode.INVOICE_NOT_PAYABLE, "Nothing is left to pay.", field)
        currencies.add(row.currency)
        amounts[invoice_id] = payable
    if len(currencies) != 1:
        raise DomainError(
            ErrorCode.CURRENCY_MISMATCH, "The invoices are in different currencies.", "invoice_ids"
        )
    covered = await PaymentPlanInvoice.filter(active_invoice_id__in=list(invoice_ids)).first()
    if covered is not None:
        index = list(invoice_ids).index(covered.invoice_id)
        raise DomainError(
            ErrorCode.INVOICE_ALREADY_IN_PLAN,
            "The invoice is already in a payment plan.",
            f"invoice_ids.{index}",
        )
    return amounts, currencies.pop()


async def plan_start(patient_id: int, start_on: date | None) -> date:
    """``start_on``, or today where the patient lives; ``INVALID_INPUT`` (``start_on``) for a
    day in the past or more than ``MAX_START_DELAY_DAYS`` ahead."""
    today = await patient_today(patient_id)
    if start_on is None:
        return today
    if start_on < today:
        raise DomainError(ErrorCode.INVALID_INPUT, "The plan cannot start in the past.", "start_on")
    if start_on > today + timedelta(days=MAX_START_DELAY_DAYS):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"The plan must start within {MAX_START_DELAY_DAYS} days.",
            "start_on",
        )
    return start_on


async def quote_plan(
    patient_id: int,
    invoice_ids: Sequence[int],
    monthly_amount: Decimal,
    start_on: date | None,
    rules: PlanRules,
    *,
    lock: bool = False,
) -> PlanQuote:
    """The quote for the patient's invoices, ``monthly_amount`` read in their currency
    (``INVALID_AMOUNT`` with more decimals than it has); nothing is saved."""
    amounts, currency = await plan_invoice_amounts(patient_id, invoice_ids, lock=lock)
    monthly_minor = to_minor(monthly_amount, currency, MONTHLY_FIELD)
    first_due = await plan_start(patient_id, start_on)
    return quote_amounts(amounts, currency, monthly_minor, first_due, rules)


def _check_ids(invoice_ids: Sequence[int]) -> None:
    if not invoice_ids:
        raise DomainError(ErrorCode.INVALID_INPUT, "Choose at least one invoice.", "invoice_ids")
    if len(invoice_ids) > MAX_INVOICES_PER_PLAN:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"A plan covers at most {MAX_INVOICES_PER_PLAN} invoices.",
            "invoice_ids",
        )
    if len(set(invoice_ids)) != len(invoice_ids):
        raise DomainError(ErrorCode.INVALID_INPUT, "An invoice is listed twice.", "invoice_ids")
