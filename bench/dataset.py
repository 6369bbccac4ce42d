"""A deterministic, realistic data set, produced as plain rows for bulk insertion.

The rows are shaped like the ones the app writes: invoice numbers per location, a ``CHARGE``
ledger row per line, insurance expected and decided, discounts, card and check payments with
posted allocations, voided bills, and supply orders with shipments, items and tracking
events. Every invoice's summary columns come from ``billing.ledger.postings.plan_postings`` over the
very postings inserted for it, so they agree with the ledger by construction (and
``bench.seed`` checks a sample through the ORM afterwards). PHI columns are encrypted with
the real ``PhiCipher``.

Every user shares one password hash, computed once: hashing 10,000 passwords with argon2
would take half an hour here and measures nothing.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from billing.ledger.postings import Posting, plan_postings
from billing.patients import rules as phi
from billing.patients.search_keys import patient_lookups
from billing.phi_cipher import PhiCipher
from models.enums import (
    AllocationStatus,
    LedgerEntryKind,
    PaymentChannel,
    PaymentStatus,
    ShipmentStatus,
)
from models.locations import DEFAULT_ACCENT_COLOR
from models.patients import luhn_check_digit

Row = tuple[Any, ...]

# Column order of every table the seeder fills (ids are given, not generated).
COLUMNS: dict[str, tuple[str, ...]] = {
    "location": (
        "id",
        "name",
        "timezone",
        "address",
        "phone",
        "accent_color",
        "last_invoice_number",
        "created_at",
    ),
    "patient": (
        "id",
        "location_id",
        "first_name_ct",
        "last_name_ct",
        "date_of_birth_ct",
        "email_ct",
        "phone_ct",
        "insurance_member_id_ct",
        "email_lookup",
        "account_number",
        "first_name_lookup",
        "last_name_lookup",
        "date_of_birth_lookup",
        "phone_lookup",
        "timezone",
        "sms_consent",
        "stripe_customer_id",
        "created_at",
    ),
    "app_user": (
        "id",
        "email",
        "password_hash",
        "roles",
        "is_active",
        "patient_id",
        "mfa_enabled",
        "mfa_last_step",
        "created_at",
    ),
    "invoice": (
        "id",
        "patient_id",
        "location_id",
        "number",
        "provider_name",
        "service_date",
        "issued_at",
        "due_at",
        "currency",
        "insurance_payer_name",
        "status",
        "total_minor",
        "balance_minor",
        "insurance_pending_minor",
        "reserved_minor",
        "disputed",
        "created_at",
        "updated_at",
    ),
    "invoice_line": (
        "id",
        "invoice_id",
        "position",
        "code",
        "description",
        "quantity",
        "unit_price_minor",
        "amount_minor",
        "reorderable",
        "sku",
    ),
    "ledger_entry": (
        "id",
        "invoice_id",
        "kind",
        "amount_minor",
        "currency",
        "payment_id",
        "refund_id",
        "actor_id",
        "reason",
        "dedupe_key",
        "created_at",
    ),
    "payment": (
        "id",
        "patient_id",
        "channel",
        "status",
        "amount_minor",
        "credit_applied_minor",
        "refunded_minor",
        "currency",
        "idempotency_key",
        "stripe_payment_intent_id",
        "offline_reference",
        "disputed",
        "recorded_by_id",
        "review_note",
        "created_at",
        "updated_at",
    ),
    "payment_allocation": ("id", "payment_id", "invoice_id", "amount_minor", "status"),
    "shipment": (
        "id",
        "invoice_id",
        "carrier",
        "tracking_number",
        "status",
        "status_at",
        "estimated_delivery",
        "created_at",
    ),
    "shipment_item": ("id", "shipment_id", "line_id", "quantity"),
    "shipment_event": (
        "id",
        "shipment_id",
        "occurred_at",
        "status",
        "description",
        "location",
        "dedupe_key",
        "received_at",
    ),
}
# Parents before children, for foreign keys.
TABLE_ORDER = tuple(COLUMNS)

BENCH_EMAIL_DOMAIN = "bench.example.org"
STAFF_EMAIL = f"bench.staff@{BENCH_EMAIL_DOMAIN}"

_LOCATIONS = (
    ("Riverside Clinic", "America/Chicago", "1200 River Road, Springfield, IL 62701"),
    ("Lakeside Medical Supply", "America/New_York", "45 Lakeshore Drive, Burlington, VT 05401"),
    ("Mesa Family Practice", "America/Denver", "310 Canyon Avenue, Boulder, CO 80302"),
    ("Harbor Pediatrics", "America/Los_Angeles", "9 Pier Street, Monterey, CA 93940"),
)
_SUPPLY_LOCATION = 2
_PROVIDERS = tuple(
    f"Dr. {first} {last}"
    for first, last in (
        ("Priya", "Raman"),
        ("Samuel", "Okafor"),
        ("Helen", "Varga"),
        ("Tomas", "Ortega"),
        ("Mei", "Tanaka"),
        ("Grace", "Adeyemi"),
        ("Lucas", "Moreau"),
        ("Nadia", "Petrova"),
        ("Ethan", "Brooks"),
        ("Leila", "Haddad"),
        ("Jonas", "Berg"),
        ("Amara", "Nwosu"),
    )
)
_SERVICES = (
    ("99213", "Office visit, established patient, low", 14000),
    ("99214", "Office visit, established patient, moderate", 18500),
    ("99203", "Office visit, new patient, low", 16500),
    ("80053", "Comprehensive metabolic panel", 4200),
    ("85025", "Complete blood count with differential", 2800),
    ("87880", "Rapid strep test", 3500),
    ("93000", "Electrocardiogram, complete", 6100),
    ("97110", "Therapeutic exercise, 15 minutes", 6500),
    ("97140", "Manual therapy, 15 minutes", 5500),
    ("90686", "Influenza vaccine, quadrivalent", 3900),
    ("71046", "Chest X-ray, 2 views", 9800),
    ("36415", "Routine venipuncture", 1200),
)
_SUPPLIES = (
    ("CGM-SENSOR-10D", "A9276", "Continuous glucose monitor sensor, 10 days", 9900),
    ("TEST-STRIP-50", "A4253", "Blood glucose test strips, box of 50", 3400),
    ("LANCET-100", "A4259", "Lancets, box of 100", 1100),
    ("PEN-NEEDLE-100", "A4215", "Insulin pen needles, box of 100", 2600),
    ("CPAP-MASK-M", "A7030", "CPAP full face mask, medium", 14500),
)
_PAYERS = ("Blue Prairie Health", "Green Mountain Health", "Coastal Mutual", "Summit Care Plan")
_CARRIERS = ("UPS", "FedEx", "USPS")
_FIRST_NAMES = ("Jane", "Marcus", "Ana", "Liam", "Sofia", "Noah", "Aisha", "Kenji", "Elena", "Omar")
_LAST_NAMES = ("Doe", "Lee", "Silva", "Nguyen", "Kowalski", "Garcia", "Okafor", "Smith", "Haas")
_TRACKING_STEPS = (
    (ShipmentStatus.LABEL_CREATED, "Shipping label created"),
    (ShipmentStatus.IN_TRANSIT, "Departed facility"),
    (ShipmentStatus.OUT_FOR_DELIVERY, "Out for delivery"),
    (ShipmentStatus.DELIVERED, "Delivered"),
)
_TRACKING_PLACES = ("Memphis, TN", "Louisville, KY", "Albany, NY", "Denver, CO")

Convert = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class DatasetShape:
    """How big the data set is. ``today`` anchors every date, so a run is reproducible."""

    patients: int
    invoices: int
    today: date
    seed: int = 20261122


@dataclass(frozen=True, slots=True)
class ValueStyle:
    """How dates and timestamps are handed to the database driver (SQLite wants text in
    Tortoise's format, asyncpg wants the Python objects)."""

    timestamp: Convert
    day: Convert


@dataclass
class Batch:
    """Rows for each table, in ``TABLE_ORDER``."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {name: [] for name in COLUMNS})

    def add(self, table: str, row: Row) -> None:
        self.rows[table].append(row)

    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


@dataclass
class _Ids:
    invoice: int = 0
    line: int = 0
    ledger: int = 0
    payment: int = 0
    allocation: int = 0
    shipment: int = 0
    item: int = 0
    event: int = 0


@dataclass
class _Line:
    id: int
    quantity: int
    amount: int


def bench_account_number(patient_id: int) -> str:
    """A unique account number per patient (a bijection of the id on eight digits, as the
    app's are random: nothing of the patient's in it), with its Luhn check digit."""
    digits = f"{(patient_id * 7919 + 1234567) % 10**8:08d}"
    return f"{digits[:4]}-{digits[4:]}-{luhn_check_digit(digits)}"


def invoices_per_patient(shape: DatasetShape) -> list[int]:
    """How many invoices each patient has: 20 on average at full size, varied (a pair of
    patients trades up to eight), never fewer than two, summing to ``shape.invoices``."""
    if shape.invoices < 2 * shape.patients:
        raise ValueError("the data set needs at least two invoices per patient")
    base, extra = divmod(shape.invoices, shape.patients)
    counts = [base + (1 if index < extra else 0) for index in range(shape.patients)]
    rng = random.Random(shape.seed)  # noqa: S311 (reproducible data, not secrets)
    for index in range(0, shape.patients - 1, 2):
        delta = rng.randint(-8, 8)
        delta = max(min(delta, counts[index + 1] - 2), 2 - counts[index])
        counts[index] += delta
        counts[index + 1] -= delta
    return counts


class DatasetBuilder:
    """Produces the data set in batches of patients, each with everything that hangs off
    them, so memory stays small however large the set is."""

    def __init__(
        self, shape: DatasetShape, cipher: PhiCipher, password_hash: str, style: ValueStyle
    ) -> None:
        self.shape = shape
        self._cipher = cipher
        self._password_hash = password_hash
        self._style = style
        self._rng = random.Random(shape.seed + 1)  # noqa: S311 (reproducible data)
        self._ids = _Ids()
        self._numbers = [0] * len(_LOCATIONS)
        self._counts = invoices_per_patient(shape)
        self.staff_user_id = shape.patients + 1

    def batches(self, patients_per_batch: int = 500) -> Iterator[Batch]:
        """The locations and a staff user first (rows refer to them), then patients with
        their user, invoices and what hangs off those, in batches, so memory stays small.
        The locations' invoice counters are known at the end: see ``location_counters``."""
        yield self._opening_batch()
        last = self.shape.patients
        for start in range(1, last + 1, patients_per_batch):
            batch = Batch()
            for patient_id in range(start, min(start + patients_per_batch, last + 1)):
                self._patient(batch, patient_id)
            yield batch

    def location_counters(self) -> list[tuple[int, int]]:
        """``(location id, last invoice number)`` once every batch was produced."""
        return [(index + 1, number) for index, number in enumerate(self._numbers)]

    def _opening_batch(self) -> Batch:
        batch = Batch()
        created = self._when(self.shape.today - timedelta(days=1500))
        for index, (name, timezone, address) in enumerate(_LOCATIONS):
            batch.add(
                "location",
                (index + 1, name, timezone, address, "", DEFAULT_ACCENT_COLOR, 0, created),
            )
        staff = (
            self.staff_user_id,
            STAFF_EMAIL,
            self._password_hash,
            '["billing_staff"]',
            True,
            None,
            False,
            0,
            created,
        )
        batch.add("app_user", staff)
        return batch

    def _patient(self, batch: Batch, patient_id: int) -> None:
        rng = self._rng
        home = rng.randrange(len(_LOCATIONS))
        first = rng.choice(_FIRST_NAMES)
        last = rng.choice(_LAST_NAMES)
        email = f"patient{patient_id:05d}@{BENCH_EMAIL_DOMAIN}"
        insured = rng.random() < 0.7
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(80 * 365))
        encrypt = self._cipher.encrypt
        created = self._when(self.shape.today - timedelta(days=1200 + rng.randrange(300)))
        # A made-up number in E.164; fictional 555 numbers, one per patient.
        phone = f"+1555{patient_id // 10000:03d}{patient_id % 10000:04d}"
        found_by = patient_lookups(
            self._cipher,
            first_name=first,
            last_name=last,
            date_of_birth=birth,
            email=email,
            phone_e164=phone,
        )
        lookups = (
            found_by.email_lookup,
            bench_account_number(patient_id),
            found_by.first_name_lookup,
            found_by.last_name_lookup,
            found_by.date_of_birth_lookup,
            found_by.phone_lookup,
        )
        batch.add(
            "patient",
            (
                patient_id,
                home + 1,
                encrypt(first, phi.FIRST_NAME),
                encrypt(last, phi.LAST_NAME),
                encrypt(birth.isoformat(), phi.DATE_OF_BIRTH),
                encrypt(email, phi.EMAIL),
                encrypt(phone, phi.PHONE),
                encrypt(f"MBR-{patient_id:08d}", phi.INSURANCE_MEMBER_ID) if insured else None,
                *lookups,
                _LOCATIONS[home][1],
                rng.random() < 0.4,
                None,
                created,
            ),
        )
        batch.add(
            "app_user",
            (
                patient_id,
                email,
                self._password_hash,
                '["patient"]',
                True,
                patient_id,
                False,
                0,
                created,
            ),
        )
        for _ in range(self._counts[patient_id - 1]):
            location = home if rng.random() < 0.85 else rng.randrange(len(_LOCATIONS))
            self._invoice(batch, patient_id, location, insured)

    def _invoice(self, batch: Batch, patient_id: int, location: int, insured: bool) -> None:
        rng = self._rng
        ids = self._ids
        ids.invoice += 1
        invoice_id = ids.invoice
        self._numbers[location] += 1
        age = rng.randrange(1095)
        issued = self.shape.today - timedelta(days=age)
        service = issued - timedelta(days=rng.randrange(6))
        supply = location == _SUPPLY_LOCATION - 1 and rng.random() < 0.5
        lines = self._lines(batch, invoice_id, supply)
        postings = [
            Posting(
                LedgerEntryKind.CHARGE, line.amount, dedupe_key=f"invoice:{invoice_id}:charge:{i}"
            )
            for i, line in enumerate(lines)
        ]
        total = sum(line.amount for line in lines)
        payer = None
        if insured and rng.random() < (0.5 if supply else 0.75):
            payer = rng.choice(_PAYERS)
            covered = max(1, int(total * rng.uniform(0.5, 0.9)))
            postings.append(
                Posting(
                    LedgerEntryKind.INSURANCE_EXPECTED,
                    covered,
                    dedupe_key=f"invoice:{invoice_id}:insurance-expected",
                )
            )
            if age > 45:
                paid = int(covered * rng.uniform(0.6, 1.0))
                for kind, amount, suffix in (
                    (LedgerEntryKind.INSURANCE_PAID, paid, "paid"),
                    (LedgerEntryKind.INSURANCE_DENIED, covered - paid, "denied"),
                ):
                    if amount > 0:
                        key = f"bench:eob:{invoice_id}:{suffix}"
                        postings.append(Posting(kind, amount, dedupe_key=key))
        owed = plan_postings([], postings).figures
        if owed.patient_responsibility > 0 and rng.random() < 0.04:
            discount = min(owed.patient_responsibility, rng.randint(500, 3000))
            postings.append(
                Posting(
                    LedgerEntryKind.ADJUSTMENT,
                    -discount,
                    actor_id=self.staff_user_id,
                    reason="Prompt-pay discount",
                    dedupe_key=f"bench:adjustment:{invoice_id}",
                )
            )
        balance = plan_postings([], postings).figures.balance
        settled_at = datetime.combine(issued + timedelta(days=min(age, 20)), time(16), UTC)
        payment_share = self._payment_share(age, balance)
        if payment_share:
            postings.append(self._payment(batch, patient_id, invoice_id, payment_share, settled_at))
        elif balance > 0 and age > 60 and rng.random() < 0.01:
            postings.append(
                Posting(
                    LedgerEntryKind.VOID,
                    0,
                    reason="Billed in error",
                    dedupe_key=f"bench:void:{invoice_id}",
                )
            )
        plan = plan_postings([], postings)
        if plan.postings != tuple(postings):  # the generator never overpays
            raise AssertionError(f"invoice {invoice_id}: postings were diverted")
        figures = plan.figures
        issued_at = datetime.combine(issued, time(15), UTC)
        for offset, posting in enumerate(postings):
            self._ledger_row(batch, invoice_id, posting, issued_at + timedelta(seconds=offset))
        updated = self._when(settled_at if payment_share else issued_at)
        batch.add(
            "invoice",
            (
                invoice_id,
                patient_id,
                location + 1,
                f"L{location + 1}-{self._numbers[location]:06d}",
                _LOCATIONS[location][0] if supply else rng.choice(_PROVIDERS),
                self._style.day(service),
                self._style.day(issued),
                self._style.day(issued + timedelta(days=30)),
                "USD",
                payer,
                figures.status.value,
                figures.total,
                figures.balance,
                figures.insurance_pending,
                0,
                False,
                self._when(issued_at),
                updated,
            ),
        )
        if supply:
            self._shipment(batch, invoice_id, lines, issued, age)

    def _lines(self, batch: Batch, invoice_id: int, supply: bool) -> list[_Line]:
        rng = self._rng
        lines: list[_Line] = []
        count = rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5))
        for position in range(count):
            self._ids.line += 1
            if supply:
                sku, code, text, price = rng.choice(_SUPPLIES)
                quantity = rng.randint(1, 3)
                reorderable, stored_sku = True, sku
            else:
                code, text, price = rng.choice(_SERVICES)
                quantity = rng.choice((1, 1, 1, 2, 4))
                reorderable, stored_sku = False, None
            amount = quantity * price
            batch.add(
                "invoice_line",
                (
                    self._ids.line,
                    invoice_id,
                    position,
                    code,
                    text,
                    quantity,
                    price,
                    amount,
                    reorderable,
                    stored_sku,
                ),
            )
            lines.append(_Line(self._ids.line, quantity, amount))
        return lines

    def _payment_share(self, age: int, balance: int) -> int:
        """What the patient paid of ``balance``: mostly all of it on older bills, part of
        it on some, nothing on recent ones and on the rest."""
        if balance <= 0:
            return 0
        roll = self._rng.random()
        if age > 30:
            if roll < 0.7:
                return balance
            if roll < 0.85:
                return max(1, int(balance * self._rng.uniform(0.3, 0.7)))
            return 0
        return balance if roll < 0.2 else 0

    def _payment(
        self, batch: Batch, patient_id: int, invoice_id: int, amount: int, at: datetime
    ) -> Posting:
        ids = self._ids
        ids.payment += 1
        ids.allocation += 1
        by_card = self._rng.random() < 0.8
        when = self._when(at)
        batch.add(
            "payment",
            (
                ids.payment,
                patient_id,
                (PaymentChannel.CARD if by_card else PaymentChannel.CHECK).value,
                PaymentStatus.SUCCEEDED.value,
                amount,
                0,
                0,
                "USD",
                f"bench-{ids.payment}" if by_card else None,
                f"pi_bench_{ids.payment:09d}" if by_card else None,
                None if by_card else f"Check {1000 + ids.payment % 9000}",
                False,
                None if by_card else self.staff_user_id,
                "",
                when,
                when,
            ),
        )
        batch.add(
            "payment_allocation",
            (ids.allocation, ids.payment, invoice_id, amount, AllocationStatus.POSTED.value),
        )
        return Posting(
            LedgerEntryKind.PAYMENT,
            amount,
            payment_id=ids.payment,
            actor_id=None if by_card else self.staff_user_id,
            reason="" if by_card else "CHECK payment",
            dedupe_key=f"payment:{ids.payment}:invoice:{invoice_id}",
        )

    def _ledger_row(self, batch: Batch, invoice_id: int, posting: Posting, at: datetime) -> None:
        self._ids.ledger += 1
        batch.add(
            "ledger_entry",
            (
                self._ids.ledger,
                invoice_id,
                posting.kind.value,
                posting.amount_minor,
                "USD",
                posting.payment_id,
                posting.refund_id,
                posting.actor_id,
                posting.reason,
                posting.dedupe_key,
                self._when(at),
            ),
        )

    def _shipment(
        self, batch: Batch, invoice_id: int, lines: list[_Line], issued: date, age: int
    ) -> None:
        ids = self._ids
        ids.shipment += 1
        tracking = f"1ZBENCH{ids.shipment:011d}"
        steps = _TRACKING_STEPS[: 1 + min(age // 2, len(_TRACKING_STEPS) - 1)]
        shipped = datetime.combine(issued + timedelta(days=1), time(9), UTC)
        last_status, _ = steps[-1]
        last_at = shipped + timedelta(days=len(steps) - 1)
        batch.add(
            "shipment",
            (
                ids.shipment,
                invoice_id,
                self._rng.choice(_CARRIERS),
                tracking,
                last_status.value,
                self._when(last_at),
                self._style.day(issued + timedelta(days=4)),
                self._when(shipped),
            ),
        )
        for line in lines:
            ids.item += 1
            batch.add("shipment_item", (ids.item, ids.shipment, line.id, line.quantity))
        for day, (status, text) in enumerate(steps):
            ids.event += 1
            at = shipped + timedelta(days=day)
            key = hashlib.sha256(f"bench:{tracking}:{status.value}".encode()).hexdigest()
            place = _TRACKING_PLACES[(ids.shipment + day) % len(_TRACKING_PLACES)]
            batch.add(
                "shipment_event",
                (
                    ids.event,
                    ids.shipment,
                    self._when(at),
                    status.value,
                    text,
                    place,
                    key,
                    self._when(at),
                ),
            )

    def _when(self, moment: datetime | date) -> Any:
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment, time(12), UTC)
        return self._style.timestamp(moment)
