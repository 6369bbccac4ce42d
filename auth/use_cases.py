"""What a caller asks of their account, one function per request: signing in, sessions,
registering a patient with an enrollment code, activation and authenticator enrollment.

``auth`` sits above ``billing``: registering a patient creates the patient through
``billing.patients`` and issues the code the patient activates an account with here.

Each use case puts its outcome on the access log through ``SignInAudit``; one that changes
the account does so inside its transaction. Expected failures are ``DomainError``s; the
API records a refusal the rules did not already report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.transactions import in_transaction

from auth import login as sign_in
from auth import sessions
from auth.enrollment import ActivatedAccount, issue_enrollment_code
from auth.enrollment import activate_patient_account as activate
from auth.sign_in_audit import (
    ACTIVATE,
    ENROLL,
    ENROLL_START,
    LOGIN,
    LOGOUT,
    MFA,
    REFRESH,
    USER,
    SignInAudit,
)
from auth.totp import MFA_SECRET_PURPOSE, TotpEnrollment
from auth.totp import confirm_totp_enrollment as confirm_totp
from auth.totp import start_totp_enrollment as start_totp
from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.errors import DomainError
from billing.patients.rules import create_patient
from billing.phi_cipher import PhiCipher
from models.enums import AuditOutcome
from models.patients import Patient
from models.users import User

REGISTER_PATIENT = AuditedAction("patient.create", "Patient")


@dataclass(frozen=True, slots=True)
class SignIn:
    """A session, or the ticket that waits for the second factor."""

    session: sessions.IssuedSession | None
    mfa_ticket: str | None


@dataclass(frozen=True, slots=True)
class NewPatient:
    """A patient as staff register them."""

    first_name: str
    last_name: str
    date_of_birth: date
    email: str | None
    phone: str | None
    location_id: int | None


@dataclass(frozen=True, slots=True)
class RegisteredPatient:
    patient: Patient
    # Shown once to staff, who hand it to the patient; only its keyed hash is stored.
    enrollment_code: str


@dataclass(frozen=True, slots=True)
class Activation:
    """What a patient proves to turn an enrollment code into an account."""

    enrollment_code: str
    date_of_birth: date
    email: str
    password: str


async def login(audit: AuditBuffer, email: str, password: str, *, now: datetime) -> SignIn:
    """Check the password; a session, or an MFA ticket for accounts with MFA."""
    record = SignInAudit(audit, LOGIN)
    result = await sign_in.login(email, password, now=now, on_failure=record.on_failure)
    if result.session is None:
        # The password passed; the session waits for the second factor.
        await record.succeeded(result.user_id, reference="mfa_required", as_actor=False)
        return SignIn(session=None, mfa_ticket=result.mfa_ticket)
    session = result.session
    await record.succeeded(session.user_id, reference=session.scope.value, as_actor=True)
    return SignIn(session=session, mfa_ticket=None)


async def verify_mfa(
    audit: AuditBuffer,
    ticket: str,
    code: str,
    *,
    cipher: PhiCipher,
    secret_key: str,
    now: datetime,
) -> sessions.IssuedSession:
    """Finish signing in with a TOTP code or a recovery code."""
    record = SignInAudit(audit, MFA)
    verified = await sign_in.verify_mfa(
        ticket,
        code,
        decrypt=_mfa_decrypter(cipher),
        secret_key=secret_key,
        now=now,
        on_failure=record.on_failure,
    )
    session = verified.session
    await record.succeeded(session.user_id, reference=verified.factor.value, as_actor=True)
    return session


async def refresh_session(
    audit: AuditBuffer, refresh_token: str, *, now: datetime, idle_minutes: int
) -> sessions.IssuedSession:
    """A new session for a refresh token; the old token and its access token retire."""
    session = await sessions.refresh_session(refresh_token, now=now, idle_minutes=idle_minutes)
    await SignInAudit(audit, REFRESH).succeeded(session.user_id, as_actor=True)
    return session


async def logout(audit: AuditBuffer, user_id: int, session_id: int, *, now: datetime) -> None:
    """End the caller's session."""
    async with in_transaction():
        await sessions.logout(session_id, now=now)
        await _record_change(audit, LOGOUT, user_id)


async def register_patient(
    audit: AuditBuffer, new: NewPatient, *, cipher: PhiCipher, secret_key: str, now: datetime
) -> RegisteredPatient:
    """Staff register a patient (PHI encrypted) and get the enrollment code for them."""
    async with in_transaction():
        patient = await create_patient(
            cipher,
            new.first_name,
            new.last_name,
            new.date_of_birth,
            new.email,
            new.phone,
            new.location_id,
        )
        enrollment = await issue_enrollment_code(patient.id, secret_key=secret_key, now=now)
        await audit.record_success(REGISTER_PATIENT, resource_id=patient.id, patient_id=patient.id)
    return RegisteredPatient(patient, enrollment.code)


async def activate_patient_account(
    audit: AuditBuffer,
    activation: Activation,
    *,
    read_date_of_birth: Callable[[Patient], date],
    client_key: str,
    secret_key: str,
    now: datetime,
) -> User:
    """Create a patient's account from the enrollment code staff gave them."""
    failure: DomainError | None = None
    account: ActivatedAccount | None = None
    # One transaction for the account and its record. A refused attempt is caught inside
    # it, so the failure counts the rules keep (the rate limit) are committed.
    async with in_transaction():
        try:
            account = await activate(
                activation.enrollment_code,
                activation.date_of_birth,
                activation.email,
                activation.password,
                read_date_of_birth=read_date_of_birth,
                client_key=client_key,
                secret_key=secret_key,
                now=now,
            )
        except DomainError as error:
            failure = error
        else:
            await _record_change(audit, ACTIVATE, account.user_id, account.patient_id)
    if failure is not None:
        raise failure
    assert account is not None
    return await User.get(id=account.user_id)


async def start_totp_enrollment(
    audit: AuditBuffer, user: User, *, cipher: PhiCipher
) -> TotpEnrollment:
    """A new authenticator secret for the caller, pending until confirmed."""
    enrollment = await start_totp(user, encrypt=_mfa_encrypter(cipher))
    await SignInAudit(audit, ENROLL_START).succeeded(user.id, as_actor=False)
    return enrollment


async def confirm_totp_enrollment(
    audit: AuditBuffer,
    user: User,
    code: str,
    *,
    cipher: PhiCipher,
    secret_key: str,
    current_session_id: int | None,
    now: datetime,
) -> list[str]:
    """Turn the pending secret on with a code it shows; ten new recovery codes."""
    async with in_transaction():
        codes = await confirm_totp(
            user,
            code,
            decrypt=_mfa_decrypter(cipher),
            secret_key=secret_key,
            current_session_id=current_session_id,
            now=now,
        )
        await _record_change(audit, ENROLL, user.id)
    return codes


async def _record_change(
    audit: AuditBuffer, action: AuditedAction, user_id: int, patient_id: int | None = None
) -> None:
    # Inside the change's transaction; the account is the resource, whatever the action's
    # refusals name (``sign_in_audit``).
    await audit.write_now(
        action.name,
        AuditOutcome.SUCCESS,
        resource_type=USER,
        resource_id=str(user_id),
        patient_id=patient_id,
    )


# TOTP secrets are stored encrypted with the PHI cipher, under their own purpose.
def _mfa_encrypter(cipher: PhiCipher) -> Callable[[str], str]:
    return lambda secret: cipher.encrypt(secret, MFA_SECRET_PURPOSE)


def _mfa_decrypter(cipher: PhiCipher) -> Callable[[str], str]:
    return lambda ciphertext: cipher.decrypt(ciphertext, MFA_SECRET_PURPOSE)
