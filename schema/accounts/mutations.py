"""Sign-in, sessions, account activation, two-factor enrollment and replacement, changing
and resetting passwords, and staff's help with a patient's account."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth import use_cases
from auth.scopes import Scope
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
)
from billing.errors import DomainError
from billing.patients.rules import read_patient_profile
from models.users import User as UserRow
from schema.accounts.cookie_session import (
    clear_session_cookie,
    deliver_session,
    refresh_token_of,
)
from schema.accounts.types import Session, User
from schema.common import fields
from schema.common.errors import ExpectedError, Payload, RequestErrorCode
from schema.common.ids import row_id
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


@strawberry.input(
    description=(
        "What an organization's invited billing user proves to turn the code into an account."
    )
)
class ActivateOrganizationAccountInput:
    invitation_code: str = strawberry.field(description="The code staff gave the user.")
    email: str = strawberry.field(
        description="The address staff invited; it becomes the sign-in address."
    )
    password: str = strawberry.field(
        description="The new password (the multi-factor length rule: MFA is required)."
    )


@strawberry.type(description="The result of activateOrganizationAccount.")
class ActivateOrganizationAccountPayload(Payload):
    user: User | None = strawberry.field(
        default=None,
        description="The new account; it must enroll MFA at its first sign-in. Null on errors.",
    )


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


@strawberry.type(description="The result of changePassword.")
class ChangePasswordPayload(Payload):
    ok: bool = strawberry.field(default=False, description="True when the password changed.")


@strawberry.type(description="The result of requestPasswordReset.")
class RequestPasswordResetPayload(Payload):
    ok: bool = strawberry.field(
        default=False,
        description=(
            "True for every valid address, whether an account has it or not; an account's "
            "address gets an email with a link."
        ),
    )


@strawberry.type(description="The result of resetPassword.")
class ResetPasswordPayload(Payload):
    ok: bool = strawberry.field(
        default=False, description="True when the new password is set; sign in with it."
    )


@strawberry.type(description="The result of forcePasswordReset.")
class ForcePasswordResetPayload(Payload):
    ok: bool = strawberry.field(
        default=False,
        description="True when the old password stopped working and a reset link was sent.",
    )


@strawberry.type(description="The result of clearSignInLockout.")
class ClearSignInLockoutPayload(Payload):
    ok: bool = strawberry.field(default=False, description="True when the request was done.")
    was_locked: bool = strawberry.field(
        default=False,
        description="Whether failed attempts were counted against the account (now cleared).",
    )


@strawberry.type
class AccountMutation:
    @fields.mutation(
        description="Sign in with email and password.",
        permission_classes=[AllowAnyone],
        audit=LOGIN,
    )
    async def login(
        self,
        info: Info[GraphQLContext, Any],
        email: Annotated[
            str, strawberry.argument(description="The sign-in email address, in any case.")
        ],
        password: Annotated[str, strawberry.argument(description="The password.")],
    ) -> LoginPayload:
        context = info.context
        signed_in = await use_cases.login(
            context.audit,
            email,
            password,
            secret_key=context.settings.secret_key.reveal(),
            now=_now(),
        )
        if signed_in.session is None:
            return LoginPayload(mfa_required=True, mfa_ticket=signed_in.mfa_ticket)
        return LoginPayload(session=deliver_session(context, signed_in.session))

    @fields.mutation(
        description="Finish signing in with a one-time code or recovery code.",
        permission_classes=[AllowAnyone],
        audit=MFA,
    )
    async def verify_mfa(
        self,
        info: Info[GraphQLContext, Any],
        ticket: Annotated[
            str,
            strawberry.argument(description="The mfaTicket login returned; valid for 5 minutes."),
        ],
        code: Annotated[
            str,
            strawberry.argument(
                description="A code from the authenticator app, or an unused recovery code."
            ),
        ],
    ) -> VerifyMfaPayload:
        context = info.context
        session = await use_cases.verify_mfa(
            context.audit,
            ticket,
            code,
            cipher=phi_cipher(context),
            secret_key=context.settings.secret_key.reveal(),
            now=_now(),
        )
        return VerifyMfaPayload(session=deliver_session(context, session))

    @fields.mutation(
        description=(
            "Exchange a refresh token for a new session. A browser that signed in with "
            "X-Session-Transport: cookie leaves refreshToken out: the cookie is used."
        ),
        permission_classes=[AllowAnyone],
        audit=REFRESH,
    )
    async def refresh_session(
        self,
        info: Info[GraphQLContext, Any],
        refresh_token: Annotated[
            str | None,
            strawberry.argument(
                description=(
                    "The refreshToken of the current session; it works once. Null for a "
                    "browser's cookie session."
                )
            ),
        ] = None,
    ) -> RefreshSessionPayload:
        context = info.context
        try:
            session = await use_cases.refresh_session(
                context.audit,
                refresh_token_of(context, refresh_token),
                now=_now(),
                idle_minutes=context.settings.session_idle_minutes,
            )
        except DomainError:
            clear_session_cookie(context)
            raise
        return RefreshSessionPayload(session=deliver_session(context, session))

    @fields.mutation(
        description="End the caller's session.",
        permission_classes=[requires(Scope.ACCOUNT_SELF)],
        audit=LOGOUT,
    )
    async def logout(self, info: Info[GraphQLContext, Any]) -> LogoutPayload:
        context = info.context
        user_id, session_id = _signed_in(context)
        await use_cases.logout(context.audit, user_id, session_id, now=_now())
        clear_session_cookie(context)
        return LogoutPayload(ok=True)

    @fields.mutation(
        description=(
            "Create an organization's billing user's account from the code staff gave them "
            "(inviteOrganizationUser) and the address they invited."
        ),
        permission_classes=[AllowAnyone],
        audit=ACTIVATE,
    )
    async def activate_organization_account(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            ActivateOrganizationAccountInput,
            strawberry.argument(description="The code, the invited address and the password."),
        ],
    ) -> ActivateOrganizationAccountPayload:
        context = info.context
        user = await use_cases.activate_organization_account(
            context.audit,
            input.invitation_code,
            input.email,
            input.password,
            client_key=context.client_ip,
            secret_key=context.settings.secret_key.reveal(),
            now=_now(),
        )
        return ActivateOrganizationAccountPayload(user=User.from_model(user))

    @fields.mutation(
        description="Create a patient's account from an enrollment code.",
        permission_classes=[AllowAnyone],
        audit=ACTIVATE,
    )
    async def activate_patient_account(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            ActivatePatientAccountInput,
            strawberry.argument(
                description="The enrollment code, the proof of identity and the new sign-in."
            ),
        ],
    ) -> ActivatePatientAccountPayload:
        context = info.context
        cipher = phi_cipher(context)
        user = await use_cases.activate_patient_account(
            context.audit,
            use_cases.Activation(
                enrollment_code=input.enrollment_code,
                date_of_birth=input.date_of_birth,
                email=input.email,
                password=input.password,
            ),
            read_date_of_birth=lambda row: read_patient_profile(cipher, row).date_of_birth,
            client_key=context.client_ip,
            secret_key=context.settings.secret_key.reveal(),
            now=_now(),
        )
        return ActivatePatientAccountPayload(user=User.from_model(user))

    @fields.mutation(
        description=(
            "Begin setting up an authenticator app for the caller. Replacing one already "
            "enrolled needs currentPassword and currentCode; a first enrollment needs neither."
        ),
        permission_classes=[requires(Scope.MFA_ENROLL)],
        audit=ENROLL_START,
    )
    async def start_totp_enrollment(
        self,
        info: Info[GraphQLContext, Any],
        current_password: Annotated[
            str | None,
            strawberry.argument(description="The account's password, to replace an authenticator."),
        ] = None,
        current_code: Annotated[
            str | None,
            strawberry.argument(
                description="A current code of the enrolled authenticator, or a recovery code."
            ),
        ] = None,
    ) -> StartTotpEnrollmentPayload:
        context = info.context
        enrollment = await use_cases.start_totp_enrollment(
            context.audit,
            await _viewer_row(context),
            current_password=current_password,
            current_code=current_code,
            cipher=phi_cipher(context),
            secret_key=context.settings.secret_key.reveal(),
            now=_now(),
        )
        return StartTotpEnrollmentPayload(
            secret=enrollment.secret,
            provisioning_uri=enrollment.provisioning_uri,
            qr_code_svg=enrollment.qr_code_svg,
        )

    @fields.mutation(
        description="Confirm the authenticator with a code it shows.",
        permission_classes=[requires(Scope.MFA_ENROLL)],
        audit=ENROLL,
    )
    async def confirm_totp_enrollment(
        self,
        info: Info[GraphQLContext, Any],
        code: Annotated[
            str,
            strawberry.argument(
                description="A current 6-digit code from the authenticator app just set up."
            ),
        ],
    ) -> ConfirmTotpEnrollmentPayload:
        context = info.context
        codes = await use_cases.confirm_totp_enrollment(
            context.audit,
            await _viewer_row(context),
            code,
            cipher=phi_cipher(context),
            secret_key=context.settings.secret_key.reveal(),
            current_session_id=context.viewer.session_id,
            now=_now(),
        )
        return ConfirmTotpEnrollmentPayload(recovery_codes=codes)

    @fields.mutation(
        description=(
            "Change the caller's password. Every other session of the account ends; the "
            "new password follows the same rules as at activation."
        ),
        permission_classes=[requires(Scope.ACCOUNT_SELF)],
        audit=CHANGE_PASSWORD,
    )
    async def change_password(
        self,
        info: Info[GraphQLContext, Any],
        current_password: Annotated[str, strawberry.argument(description="The password now.")],
        new_password: Annotated[str, strawberry.argument(description="The password to use.")],
    ) -> ChangePasswordPayload:
        context = info.context
        await use_cases.change_password(
            context.audit,
            await _viewer_row(context),
            current_password,
            new_password,
            secret_key=context.settings.secret_key.reveal(),
            current_session_id=context.viewer.session_id,
            now=_now(),
        )
        return ChangePasswordPayload(ok=True)

    @fields.mutation(
        description=(
            "Ask for a password-reset email. The answer is the same whether an account has "
            "the address or not; an account's address gets a link valid for 30 minutes."
        ),
        permission_classes=[AllowAnyone],
        audit=RESET_REQUEST,
    )
    async def request_password_reset(
        self,
        info: Info[GraphQLContext, Any],
        email: Annotated[str, strawberry.argument(description="The sign-in email address.")],
    ) -> RequestPasswordResetPayload:
        context = info.context
        await use_cases.request_password_reset(
            context.audit,
            email,
            client_key=context.client_ip,
            secret_key=context.settings.secret_key.reveal(),
            now=_now(),
        )
        return RequestPasswordResetPayload(ok=True)

    @fields.mutation(
        description=(
            "Set a new password with the token of a reset email's link. An account with MFA "
            "also gives a current code. Every session of the account ends."
        ),
        permission_classes=[AllowAnyone],
        audit=RESET,
    )
    async def reset_password(
        self,
        info: Info[GraphQLContext, Any],
        token: Annotated[str, strawberry.argument(description="The token of the email's link.")],
        new_password: Annotated[str, strawberry.argument(description="The password to use.")],
        mfa_code: Annotated[
            str | None,
            strawberry.argument(
                description="For an account with MFA: a current code, or a recovery code."
            ),
        ] = None,
    ) -> ResetPasswordPayload:
        context = info.context
        await use_cases.reset_password(
            context.audit,
            token,
            new_password,
            mfa_code,
            cipher=phi_cipher(context),
            secret_key=context.settings.secret_key.reveal(),
            now=_now(),
        )
        return ResetPasswordPayload(ok=True)

    @fields.mutation(
        description=(
            "Staff: make a patient choose a new password. The current one stops working, "
            "every session ends, and a reset link goes to the account's address."
        ),
        permission_classes=[requires(Scope.PATIENT_ACCOUNTS_ASSIST)],
        audit=FORCE_RESET,
    )
    async def force_password_reset(
        self,
        info: Info[GraphQLContext, Any],
        patient_id: Annotated[
            relay.GlobalID, strawberry.argument(description="The patient whose account it is.")
        ],
    ) -> ForcePasswordResetPayload:
        context = info.context
        await use_cases.force_password_reset(
            context.audit,
            row_id(patient_id, "Patient", "patient_id"),
            secret_key=context.settings.secret_key.reveal(),
            now=_now(),
        )
        return ForcePasswordResetPayload(ok=True)

    @fields.mutation(
        description="Staff: lift the delay or lock that failed sign-ins put on a patient account.",
        permission_classes=[requires(Scope.PATIENT_ACCOUNTS_ASSIST)],
        audit=CLEAR_LOCKOUT,
    )
    async def clear_sign_in_lockout(
        self,
        info: Info[GraphQLContext, Any],
        patient_id: Annotated[
            relay.GlobalID, strawberry.argument(description="The patient whose account it is.")
        ],
    ) -> ClearSignInLockoutPayload:
        context = info.context
        was_locked = await use_cases.clear_sign_in_lockout(
            context.audit,
            row_id(patient_id, "Patient", "patient_id"),
            secret_key=context.settings.secret_key.reveal(),
        )
        return ClearSignInLockoutPayload(ok=True, was_locked=was_locked)


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
