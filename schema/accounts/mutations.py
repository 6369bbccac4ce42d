"""Sign-in, sessions, account activation and two-factor enrollment."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry import Info
from tortoise.transactions import in_transaction

from auth import login as sign_in
from auth import sessions
from auth.enrollment import activate_patient_account
from auth.scopes import Scope
from auth.totp import confirm_totp_enrollment, start_totp_enrollment
from billing.errors import DomainError
from billing.patients.rules import read_patient_profile
from models.enums import AuditOutcome
from models.users import User as UserRow
from schema.accounts import sign_in_audit
from schema.accounts.mfa_secret import mfa_secret_decrypter, mfa_secret_encrypter
from schema.accounts.sign_in_audit import SignInAudit
from schema.accounts.types import Session, User
from schema.common import fields
from schema.common.errors import ExpectedError, Payload, RequestErrorCode, UserError
from schema.common.permissions import AllowAnyone, requires
from schema.context import GraphQLContext
from schema.patients.cipher import phi_cipher


@strawberry.input(description="What a patient proves to turn an enrollment code into an account.")
class ActivatePatientAccountInput:
    enrollment_code: str = strawberry.field(description="The code staff gave the patient.")
    date_of_birth: datetime.date = strawberry.field(description="The patient's date of birth.")
    email: str = strawberry.field(description="The email address to sign in with.")
    password: str = strawberry.field(description="The new password.")


@strawberry.type(description="The result of login.")
class LoginPayload(Payload):
    mfa_required: bool = strawberry.field(
        default=False,
        description="True when a one-time code is needed: call verifyMfa with mfaTicket.",
    )
    mfa_ticket: str | None = strawberry.field(
        default=None, description="Passed to verifyMfa when mfaRequired is true."
    )
    session: Session | None = strawberry.field(
        default=None, description="The new session; null when MFA is required or on errors."
    )


@strawberry.type(description="The result of verifyMfa.")
class VerifyMfaPayload(Payload):
    session: Session | None = strawberry.field(
        default=None, description="The new session; null when errors is not empty."
    )


@strawberry.type(description="The result of refreshSession.")
class RefreshSessionPayload(Payload):
    session: Session | None = strawberry.field(
        default=None, description="The new session; null when errors is not empty."
    )


@strawberry.type(description="The result of logout.")
class LogoutPayload(Payload):
    ok: bool = strawberry.field(default=False, description="True when the session was ended.")


@strawberry.type(description="The result of activatePatientAccount.")
class ActivatePatientAccountPayload(Payload):
    user: User | None = strawberry.field(
        default=None, description="The new account; null when errors is not empty."
    )


@strawberry.type(description="The result of startTotpEnrollment.")
class StartTotpEnrollmentPayload(Payload):
    secret: str | None = strawberry.field(
        default=None, description="The TOTP secret, for typing into an authenticator app."
    )
    provisioning_uri: str | None = strawberry.field(
        default=None, description="The otpauth:// URI holding the secret."
    )
    qr_code_svg: str | None = strawberry.field(
        default=None, description="The provisioning URI as an SVG QR code."
    )


@strawberry.type(description="The result of confirmTotpEnrollment.")
class ConfirmTotpEnrollmentPayload(Payload):
    recovery_codes: list[str] = strawberry.field(
        default_factory=list,
        description="One-time codes for when the authenticator is lost; shown once.",
    )


@strawberry.type
class AccountMutation:
    @fields.mutation(
        description="Sign in with email and password.", permission_classes=[AllowAnyone]
    )
    async def login(
        self, info: Info[GraphQLContext, Any], email: str, password: str
    ) -> LoginPayload:
        audit = SignInAudit(info.context, sign_in_audit.LOGIN)
        try:
            result = await sign_in.login(email, password, now=_now(), on_failure=audit.on_failure)
        except DomainError as error:
            audit.failed(error)
            return LoginPayload(errors=[UserError.from_domain_error(error)])
        if result.session is None:
            # The password passed; the session waits for the second factor.
            await audit.succeeded(result.user_id, reference="mfa_required", as_actor=False)
            return LoginPayload(mfa_required=True, mfa_ticket=result.mfa_ticket)
        session = result.session
        await audit.succeeded(session.user_id, reference=session.scope.value, as_actor=True)
        return LoginPayload(session=Session.from_issued(session))

    @fields.mutation(
        description="Finish signing in with a one-time code or recovery code.",
        permission_classes=[AllowAnyone],
    )
    async def verify_mfa(
        self, info: Info[GraphQLContext, Any], ticket: str, code: str
    ) -> VerifyMfaPayload:
        context = info.context
        audit = SignInAudit(context, sign_in_audit.MFA)
        try:
            verified = await sign_in.verify_mfa(
                ticket,
                code,
                decrypt=mfa_secret_decrypter(context),
                secret_key=context.settings.secret_key.reveal(),
                now=_now(),
                on_failure=audit.on_failure,
            )
        except DomainError as error:
            audit.failed(error)
            return VerifyMfaPayload(errors=[UserError.from_domain_error(error)])
        session = verified.session
        await audit.succeeded(session.user_id, reference=verified.factor.value, as_actor=True)
        return VerifyMfaPayload(session=Session.from_issued(session))

    @fields.mutation(
        description="Exchange a refresh token for a new session.",
        permission_classes=[AllowAnyone],
    )
    async def refresh_session(
        self, info: Info[GraphQLContext, Any], refresh_token: str
    ) -> RefreshSessionPayload:
        context = info.context
        audit = SignInAudit(context, sign_in_audit.REFRESH)
        try:
            session = await sessions.refresh_session(
                refresh_token, now=_now(), idle_minutes=context.settings.session_idle_minutes
            )
        except DomainError as error:
            audit.failed(error)
            return RefreshSessionPayload(errors=[UserError.from_domain_error(error)])
        await audit.succeeded(session.user_id, as_actor=True)
        return RefreshSessionPayload(session=Session.from_issued(session))

    @fields.mutation(
        description="End the caller's session.",
        permission_classes=[requires(Scope.ACCOUNT_SELF)],
    )
    async def logout(self, info: Info[GraphQLContext, Any]) -> LogoutPayload:
        context = info.context
        user_id, session_id = _signed_in(context)
        async with in_transaction():
            await sessions.logout(session_id, now=_now())
            await context.audit.write_now(
                sign_in_audit.LOGOUT,
                AuditOutcome.SUCCESS,
                resource_type=sign_in_audit.USER,
                resource_id=str(user_id),
            )
        return LogoutPayload(ok=True)

    @fields.mutation(
        description="Create a patient's account from an enrollment code.",
        permission_classes=[AllowAnyone],
    )
    async def activate_patient_account(
        self, info: Info[GraphQLContext, Any], input: ActivatePatientAccountInput
    ) -> ActivatePatientAccountPayload:
        context = info.context
        cipher = phi_cipher(context)
        failure: DomainError | None = None
        # One transaction for the account and its record. A refused attempt is caught inside
        # it, so the failure counts the domain keeps (the rate limit) are committed.
        async with in_transaction():
            try:
                account = await activate_patient_account(
                    input.enrollment_code,
                    input.date_of_birth,
                    input.email,
                    input.password,
                    read_date_of_birth=lambda row: read_patient_profile(cipher, row).date_of_birth,
                    client_key=context.client_ip,
                    secret_key=context.settings.secret_key.reveal(),
                    now=_now(),
                )
            except DomainError as error:
                failure = error
            else:
                await context.audit.write_now(
                    sign_in_audit.ACTIVATE,
                    AuditOutcome.SUCCESS,
                    resource_type=sign_in_audit.USER,
                    resource_id=str(account.user_id),
                    patient_id=account.patient_id,
                )
        if failure is not None:
            SignInAudit(context, sign_in_audit.ACTIVATE).failed(failure)
            return ActivatePatientAccountPayload(errors=[UserError.from_domain_error(failure)])
        user = await UserRow.get(id=account.user_id)
        return ActivatePatientAccountPayload(user=User.from_model(user))

    @fields.mutation(
        description="Begin setting up an authenticator app for the caller.",
        permission_classes=[requires(Scope.MFA_ENROLL)],
    )
    async def start_totp_enrollment(
        self, info: Info[GraphQLContext, Any]
    ) -> StartTotpEnrollmentPayload:
        context = info.context
        user = await _viewer_row(context)
        enrollment = await start_totp_enrollment(user, encrypt=mfa_secret_encrypter(context))
        await SignInAudit(context, sign_in_audit.ENROLL_START).succeeded(user.id, as_actor=False)
        return StartTotpEnrollmentPayload(
            secret=enrollment.secret,
            provisioning_uri=enrollment.provisioning_uri,
            qr_code_svg=enrollment.qr_code_svg,
        )

    @fields.mutation(
        description="Confirm the authenticator with a code it shows.",
        permission_classes=[requires(Scope.MFA_ENROLL)],
    )
    async def confirm_totp_enrollment(
        self, info: Info[GraphQLContext, Any], code: str
    ) -> ConfirmTotpEnrollmentPayload:
        context = info.context
        user = await _viewer_row(context)
        try:
            async with in_transaction():
                codes = await confirm_totp_enrollment(
                    user,
                    code,
                    decrypt=mfa_secret_decrypter(context),
                    secret_key=context.settings.secret_key.reveal(),
                    current_session_id=context.viewer.session_id,
                    now=_now(),
                )
                await context.audit.write_now(
                    sign_in_audit.ENROLL,
                    AuditOutcome.SUCCESS,
                    resource_type=sign_in_audit.USER,
                    resource_id=str(user.id),
                )
        except DomainError as error:
            SignInAudit(context, sign_in_audit.ENROLL).failed(error)
            return ConfirmTotpEnrollmentPayload(errors=[UserError.from_domain_error(error)])
        return ConfirmTotpEnrollmentPayload(recovery_codes=codes)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _signed_in(context: GraphQLContext) -> tuple[int, int]:
    """The caller's user and session ids (the field's permission already required them)."""
    viewer = context.viewer
    if viewer.user_id is None or viewer.session_id is None:
        raise ExpectedError(RequestErrorCode.UNAUTHENTICATED, "Sign in first.")
    return viewer.user_id, viewer.session_id


async def _viewer_row(context: GraphQLContext) -> UserRow:
    user_id, _session_id = _signed_in(context)
    user = await UserRow.get_or_none(id=user_id, is_active=True)
    if user is None:
        raise ExpectedError(RequestErrorCode.UNAUTHENTICATED, "Sign in first.")
    return user
