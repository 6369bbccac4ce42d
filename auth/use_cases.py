"""What a caller asks of their account, one function per request: signing in, sessions,
registering a patient with an enrollment code, activation, authenticator enrollment and
replacement, changing and resetting a password, and what staff may do for a patient's
account (force a reset, clear a lockout).

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

from auth import accounts, lockout, password_reset, sessions
from auth import login as sign_in
from auth.account_proof import prove_both_factors
from auth.enrollment import ActivatedAccount, issue_enrollment_code
from auth.enrollment import activate_patient_account as activate
from auth.organization_invitations import IssuedInvitation
from auth.organization_invitations import activate_organization_account as activate_member
from auth.organization_invitations import invite_organization_user as invite_member
from auth.passwords import hash_password
from auth.sign_in_audit import (
    ACTIVATE,
    CHANGE_PASSWORD,
    CLEAR_LOCKOUT,
    ENROLL,
    ENROLL_START,
    FORCE_RESET,
    LOGIN,
    LOGOUT,
    MFA,
    REFRESH,
    RESET,
    RESET_REQUEST,
    USER,
    SignInAudit,
)
from auth.tokens import new_token
from auth.totp import MFA_SECRET_PURPOSE, TotpEnrollment
from auth.totp import confirm_totp_enrollment as confirm_totp
from auth.totp import start_totp_enrollment as start_totp
from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.errors import DomainError, ErrorCode
from billing.notifications.account_messages import password_reset_link_key, queue_account_message
from billing.patients.rules import create_patient
from billing.phi_cipher import PhiCipher
from models.enums import AuditOutcome
from models.notifications import NotificationKind
from models.patients import Patient
from models.users import MfaChallenge, User

REGISTER_PATIENT = AuditedAction("patient.create", "Patient")
INVITE_ORGANIZATION_USER = AuditedAction("organization.user_invite", "Organization")


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


async def login(
    audit: AuditBuffer, email: str, password: str, *, secret_key: str, now: datetime
) -> SignIn:
    """Check the password; a session, or an MFA ticket for accounts with MFA."""
    record = SignInAudit(audit, LOGIN)
    result = await sign_in.login(
        email, password, secret_key=secret_key, now=now, on_failure=record.on_failure
    )
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


async def invite_organization_user(
    audit: AuditBuffer,
    organization_id: int | None,
    email: str,
    *,
    invited_by: int,
    secret_key: str,
    now: datetime,
) -> IssuedInvitation:
    """Staff invite a billing user of an organization; the code is shown once."""
    async with in_transaction():
        invitation = await invite_member(
            organization_id, email, invited_by=invited_by, secret_key=secret_key, now=now
        )
        await audit.record_success(
            INVITE_ORGANIZATION_USER,
            resource_id=invitation.organization_id,
            reference=f"invitation:{invitation.id}",
        )
    return invitation


async def activate_organization_account(
    audit: AuditBuffer,
    code: str,
    email: str,
    password: str,
    *,
    client_key: str,
    secret_key: str,
    now: datetime,
) -> User:
    """Create an organization's billing user's account from the code staff gave them."""
    failure: DomainError | None = None
    user: User | None = None
    # As for a patient: a refused attempt is caught inside, so its counts are committed.
    async with in_transaction():
        try:
            user = await activate_member(
                code, email, password, client_key=client_key, secret_key=secret_key, now=now
            )
        except DomainError as error:
            failure = error
        else:
            await _record_change(audit, ACTIVATE, user.id, reference="organization")
    if failure is not None:
        raise failure
    assert user is not None
    return user


async def start_totp_enrollment(
    audit: AuditBuffer,
    user: User,
    *,
    current_password: str | None,
    current_code: str | None,
    cipher: PhiCipher,
    secret_key: str,
    now: datetime,
) -> TotpEnrollment:
    """A new authenticator secret for the caller, pending until confirmed. Replacing an
    enrolled authenticator first needs the password and a current TOTP or recovery code;
    a first enrollment needs neither."""
    record = SignInAudit(audit, ENROLL_START)
    replacing = user.mfa_enabled
    if replacing:
        await prove_both_factors(
            user,
            current_password,
            current_code,
            decrypt=_mfa_decrypter(cipher),
            secret_key=secret_key,
            now=now,
            on_failure=record.on_failure,
        )
    enrollment = await start_totp(user, encrypt=_mfa_encrypter(cipher))
    await record.succeeded(user.id, reference=_enrollment_kind(replacing), as_actor=False)
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
    """Turn the pending secret on with a code it shows; ten new recovery codes. Every
    other session ends, and the account's owner is told by email."""
    async with in_transaction():
        codes = await confirm_totp(
            user,
            code,
            decrypt=_mfa_decrypter(cipher),
            secret_key=secret_key,
            current_session_id=current_session_id,
            now=now,
        )
        await queue_account_message(user.id, NotificationKind.MFA_CHANGED, now=now)
        await _record_change(
            audit, ENROLL, user.id, user.patient_id, reference=_enrollment_kind(user.mfa_enabled)
        )
    return codes


async def change_password(
    audit: AuditBuffer,
    user: User,
    current_password: str,
    new_password: str,
    *,
    secret_key: str,
    current_session_id: int | None,
    now: datetime,
) -> None:
    """Replace the caller's password after checking the current one; every other session
    ends, unused reset links stop working, and the owner is told by email."""
    record = SignInAudit(audit, CHANGE_PASSWORD)
    new_hash = await accounts.check_password_change(
        user,
        current_password,
        new_password,
        secret_key=secret_key,
        now=now,
        on_failure=record.on_failure,
    )
    async with in_transaction():
        await accounts.replace_password(user, new_hash, now=now)
        await sessions.revoke_other_sessions(user.id, current_session_id, now=now)
        await password_reset.retire_resets(user.id, now=now)
        await queue_account_message(user.id, NotificationKind.PASSWORD_CHANGED, now=now)
        await _record_change(audit, CHANGE_PASSWORD, user.id, user.patient_id)


async def request_password_reset(
    audit: AuditBuffer, email: str, *, client_key: str, secret_key: str, now: datetime
) -> None:
    """Email a reset link to ``email`` if an account has it; the same outcome either way."""
    async with in_transaction():
        reset = await password_reset.request_password_reset(
            email,
            client_key=client_key,
            link_key=password_reset_link_key(secret_key),
            secret_key=secret_key,
            now=now,
        )
        if reset is None:
            # Unknown, inactive, or past its limit: on record, with no account named.
            await audit.write_now(RESET_REQUEST.name, AuditOutcome.SUCCESS, reference="no_email")
            return
        await queue_account_message(
            reset.user_id, NotificationKind.PASSWORD_RESET, subject_id=reset.id, now=now
        )
        await _record_change(audit, RESET_REQUEST, reset.user_id, reference="email_queued")


async def reset_password(
    audit: AuditBuffer,
    token: str,
    new_password: str,
    mfa_code: str | None,
    *,
    cipher: PhiCipher,
    secret_key: str,
    now: datetime,
) -> None:
    """Set a new password with a reset link's token (and, with MFA, a current code).
    Every session of the account ends, its lockout clears, and the owner is told."""
    record = SignInAudit(audit, RESET)
    checked = await password_reset.check_password_reset(
        token,
        new_password,
        mfa_code,
        decrypt=_mfa_decrypter(cipher),
        secret_key=secret_key,
        now=now,
        on_failure=record.on_failure,
    )
    user = checked.user
    async with in_transaction():
        await password_reset.consume_reset(checked.reset_id, now=now)
        await User.filter(id=user.id).update(
            password_hash=checked.new_password_hash, password_changed_at=now
        )
        await password_reset.retire_resets(user.id, now=now)
        await _end_every_session(user.id, now=now)
        await lockout.signed_in(lockout.guard_key(secret_key, user.email))
        await queue_account_message(user.id, NotificationKind.PASSWORD_CHANGED, now=now)
        await _record_change(audit, RESET, user.id, user.patient_id)


async def force_password_reset(
    audit: AuditBuffer, patient_id: int, *, secret_key: str, now: datetime
) -> None:
    """Staff make a patient choose a new password: the current one stops working (it is
    replaced by a random one nobody knows), every session ends, and a reset link is
    emailed to the account's address."""
    user = await _patient_account(patient_id)
    unknowable = await hash_password(new_token(""))
    async with in_transaction():
        await User.filter(id=user.id).update(password_hash=unknowable, password_changed_at=now)
        await _end_every_session(user.id, now=now)
        reset = await password_reset.issue_reset(
            user.id, link_key=password_reset_link_key(secret_key), now=now, forced=True
        )
        await queue_account_message(
            user.id, NotificationKind.PASSWORD_RESET_REQUIRED, subject_id=reset.id, now=now
        )
        await _record_change(audit, FORCE_RESET, user.id, patient_id)


async def clear_sign_in_lockout(audit: AuditBuffer, patient_id: int, *, secret_key: str) -> bool:
    """Staff lift the delay or lock on a patient's sign-in; whether there was one."""
    user = await _patient_account(patient_id)
    async with in_transaction():
        cleared = await lockout.clear_lockout(lockout.guard_key(secret_key, user.email))
        reference = "cleared" if cleared else "not_locked"
        await _record_change(audit, CLEAR_LOCKOUT, user.id, patient_id, reference=reference)
    return cleared


async def _patient_account(patient_id: int) -> User:
    user = await User.get_or_none(patient_id=patient_id, is_active=True)
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This patient has no account.", "patient_id")
    return user


async def _end_every_session(user_id: int, *, now: datetime) -> None:
    await sessions.revoke_other_sessions(user_id, None, now=now)
    # Passwords checked before now cannot finish signing in either.
    await MfaChallenge.filter(user_id=user_id, used_at__isnull=True).update(used_at=now)


def _enrollment_kind(replacing: bool) -> str:
    return "replacement" if replacing else "first"


async def _record_change(
    audit: AuditBuffer,
    action: AuditedAction,
    user_id: int,
    patient_id: int | None = None,
    *,
    reference: str = "",
) -> None:
    # Inside the change's transaction; the account is the resource, whatever the action's
    # refusals name (``sign_in_audit``).
    await audit.write_now(
        action.name,
        AuditOutcome.SUCCESS,
        resource_type=USER,
        resource_id=str(user_id),
        patient_id=patient_id,
        reference=reference,
    )


# TOTP secrets are stored encrypted with the PHI cipher, under their own purpose.
def _mfa_encrypter(cipher: PhiCipher) -> Callable[[str], str]:
    return lambda secret: cipher.encrypt(secret, MFA_SECRET_PURPOSE)


def _mfa_decrypter(cipher: PhiCipher) -> Callable[[str], str]:
    return lambda ciphertext: cipher.decrypt(ciphertext, MFA_SECRET_PURPOSE)
