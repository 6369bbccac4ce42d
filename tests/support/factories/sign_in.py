"""Sign-in state for the lockout tests: MFA tickets made directly (a real login per ticket
would cost an argon2 hash each), and what the lock schedule allows (no tests here)."""

from __future__ import annotations

from datetime import datetime, timedelta

from auth.lockout import delay_after
from auth.login import MFA_TICKET_PREFIX
from auth.tokens import new_token, token_hash
from models.users import MfaChallenge


async def mfa_tickets(user_id: int, count: int, *, expires_at: datetime) -> list[str]:
    """``count`` tickets waiting for ``user_id``'s second factor, as ``login`` issues them
    after a right password."""
    tickets = [new_token(MFA_TICKET_PREFIX) for _ in range(count)]
    await MfaChallenge.bulk_create(
        [
            MfaChallenge(user_id=user_id, ticket_hash=token_hash(ticket), expires_at=expires_at)
            for ticket in tickets
        ]
    )
    return tickets


def evaluations_allowed_within(elapsed: timedelta, *, failures_before: int = 0) -> int:
    """How many attempts the lock schedule lets through in ``elapsed``, from
    ``failures_before`` failures and no delay, however they are spread: the free ones at
    once, then one at the end of each delay. A burst that lasts less than the first delay
    (it always does) gets exactly the free ones; the bound holds on a stalled machine too."""
    allowed = 0
    waited = timedelta(0)
    failures = failures_before
    while True:
        allowed += 1
        failures += 1
        delay = delay_after(failures)
        if delay is None:
            continue
        waited += delay
        if waited > elapsed:
            return allowed
