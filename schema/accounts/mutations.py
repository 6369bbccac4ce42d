"""Sign-in, sessions, account activation and two-factor enrollment."""

from __future__ import annotations

import datetime

import strawberry

from schema.accounts.types import Session, User
from schema.common import fields
from schema.common.errors import Payload, not_implemented_payload


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
    @fields.mutation(description="Sign in with email and password.")
    async def login(self, email: str, password: str) -> LoginPayload:
        return not_implemented_payload(LoginPayload, "Signing in")

    @fields.mutation(description="Finish signing in with a one-time code or recovery code.")
    async def verify_mfa(self, ticket: str, code: str) -> VerifyMfaPayload:
        return not_implemented_payload(VerifyMfaPayload, "Two-factor sign-in")

    @fields.mutation(description="Exchange a refresh token for a new session.")
    async def refresh_session(self, refresh_token: str) -> RefreshSessionPayload:
        return not_implemented_payload(RefreshSessionPayload, "Refreshing sessions")

    @fields.mutation(description="End the caller's session.")
    async def logout(self) -> LogoutPayload:
        return not_implemented_payload(LogoutPayload, "Signing out")

    @fields.mutation(description="Create a patient's account from an enrollment code.")
    async def activate_patient_account(
        self, input: ActivatePatientAccountInput
    ) -> ActivatePatientAccountPayload:
        return not_implemented_payload(ActivatePatientAccountPayload, "Activating accounts")

    @fields.mutation(description="Begin setting up an authenticator app for the caller.")
    async def start_totp_enrollment(self) -> StartTotpEnrollmentPayload:
        return not_implemented_payload(StartTotpEnrollmentPayload, "Authenticator enrollment")

    @fields.mutation(description="Confirm the authenticator with a code it shows.")
    async def confirm_totp_enrollment(self, code: str) -> ConfirmTotpEnrollmentPayload:
        return not_implemented_payload(ConfirmTotpEnrollmentPayload, "Authenticator enrollment")
