from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.organizations import Organization
    from models.patients import Patient


class User(Model):
    """Someone who signs in: a patient, or staff with one or more roles."""

    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=320, unique=True)
    password_hash = fields.CharField(max_length=255)
    roles: fields.Field[list[str]] = fields.JSONField(default=list)
    is_active = fields.BooleanField(default=True)
    patient: fields.OneToOneNullableRelation[Patient] = fields.OneToOneField(
        "models.Patient", related_name="user", null=True, on_delete=fields.RESTRICT
    )
    patient_id: int | None
    # Set for a user of role organization_billing: the one organization they act for.
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="users", null=True, on_delete=fields.RESTRICT
    )
    organization_id: int | None
    mfa_secret_ct = fields.TextField(null=True)
    # Shown to the user but not yet confirmed with a code; mfa_secret_ct stays in force.
    mfa_pending_secret_ct = fields.TextField(null=True)
    mfa_enabled = fields.BooleanField(default=False)
    # The TOTP time step last accepted; a code at or before it is a replay.
    mfa_last_step = fields.BigIntField(default=0)
    password_changed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"


class RecoveryCode(Model):
    """A single-use second factor, stored as a keyed hash."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    user_id: int
    code_hash = fields.CharField(max_length=255)
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "recovery_code"


class AuthSession(Model):
    """One sign-in. Tokens are stored only as hashes, and a refresh rotates within a family."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    user_id: int
    family_id = fields.CharField(max_length=64, db_index=True)
    access_token_hash = fields.CharField(max_length=64, unique=True)
    refresh_token_hash = fields.CharField(max_length=64, unique=True)
    # Only able to enroll MFA (staff without MFA), or waiting for the second factor.
    scope = fields.CharField(max_length=20, default="full")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField()
    access_expires_at = fields.DatetimeField()
    absolute_expires_at = fields.DatetimeField()
    rotated_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "auth_session"


class EnrollmentCode(Model):
    """The one-time code staff give a patient to activate an account."""

    id = fields.BigIntField(primary_key=True)
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="enrollment_codes", on_delete=fields.CASCADE
    )
    patient_id: int
    code_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    failed_attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "enrollment_code"


class MfaChallenge(Model):
    """A password that matched, waiting for the second factor. Only a hash of the ticket is kept."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="mfa_challenges", on_delete=fields.CASCADE
    )
    user_id: int
    ticket_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mfa_challenge"


class RateLimitCounter(Model):
    """Failures of one kind from one client in a fixed time window, shared by every process."""

    id = fields.BigIntField(primary_key=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    window_start = fields.DatetimeField()
    count = fields.IntField(default=0)

    class Meta:
        table = "rate_limit_counter"


class SignInGuard(Model):
    """Failed attempts at one sign-in address, known or not: keyed by a keyed hash of the
    normalised email, so an unknown address locks exactly as a real account does and the
    table holds no addresses. ``version`` moves with every change, so an attempt is
    reserved by a compare-and-set that SQLite and PostgreSQL both apply atomically."""

    id = fields.BigIntField(primary_key=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    failures = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    version = fields.BigIntField(default=0)
    last_attempt_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sign_in_guard"


class PasswordReset(Model):
    """A password-reset link sent to an account's address: single use, short-lived.

    The link's token is never stored: it is derived, when the email is sent, from
    ``nonce`` under the service's secret key, and found again by its SHA-256
    (``token_hash``)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="password_resets", on_delete=fields.CASCADE
    )
    user_id: int
    nonce = fields.CharField(max_length=64, unique=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    # Asked for by staff (``forcePasswordReset``) rather than by the account's owner.
    forced = fields.BooleanField(default=False)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "password_reset"
        indexes = (("user_id", "used_at"),)


class OrganizationInvitation(Model):
    """The one-time code staff give an organization's billing user to activate an account,
    for the address staff named. Kept only as a keyed hash; dies after five wrong addresses."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="invitations", on_delete=fields.CASCADE
    )
    organization_id: int
    email = fields.CharField(max_length=320)
    code_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    failed_attempts = fields.IntField(default=0)
    invited_by_id = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organization_invitation"
