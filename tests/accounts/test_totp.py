"""TOTP enrollment and single use of each code."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlparse

import pyotp
import pytest

from auth.recovery_codes import (
    RECOVERY_CODE_COUNT,
    count_unused_recovery_codes,
    use_recovery_code,
)
from auth.totp import accept_totp_code, confirm_totp_enrollment, start_totp_enrollment
from billing.errors import DomainError, ErrorCode
from models.enums import Role
from models.users import RecoveryCode, User
from tests.support.factories.auth import NOW, SECRET_KEY, decrypt, enable_mfa, encrypt, make_user


async def test_enrollment_shows_a_secret_uri_and_qr_code_and_keeps_the_secret_pending(
    db: None,
) -> None:
    user = await make_user("ada@example.org", Role.BILLING_STAFF)

    enrollment = await start_totp_enrollment(user, encrypt=encrypt)

    uri = urlparse(enrollment.provisioning_uri)
    assert uri.scheme == "otpauth"
    assert uri.netloc == "totp"
    assert unquote(uri.path) == "/Healthcare Billing:ada@example.org"
    query = parse_qs(uri.query)
    assert query["secret"] == [enrollment.secret]
    assert query["issuer"] == ["Healthcare Billing"]
    assert enrollment.qr_code_svg.startswith("<svg")
    assert 'xmlns="http://www.w3.org/2000/svg"' in enrollment.qr_code_svg
    stored = await User.get(id=user.id)
    assert not stored.mfa_enabled
    assert stored.mfa_secret_ct is None
    assert stored.mfa_pending_secret_ct == encrypt(enrollment.secret)


async def test_a_wrong_code_does_not_confirm_enrollment(db: None) -> None:
    user = await make_user()
    enrollment = await start_totp_enrollment(user, encrypt=encrypt)
    wrong = pyotp.TOTP(enrollment.secret).at(NOW - timedelta(minutes=5))

    with pytest.raises(DomainError) as raised:
        await confirm_totp_enrollment(
            user, wrong, decrypt=decrypt, secret_key=SECRET_KEY, current_session_id=None, now=NOW
        )

    assert raised.value.code is ErrorCode.INVALID_MFA_CODE
    assert not (await User.get(id=user.id)).mfa_enabled


async def test_confirming_enables_mfa_and_returns_ten_hashed_recovery_codes(db: None) -> None:
    user = await make_user()

    device = await enable_mfa(user, at=NOW)

    assert user.mfa_enabled
    assert user.mfa_pending_secret_ct is None
    assert user.mfa_secret_ct is not None
    assert decrypt(user.mfa_secret_ct) == device.totp.secret
    assert len(set(device.recovery_codes)) == RECOVERY_CODE_COUNT
    stored = await RecoveryCode.filter(user_id=user.id).values_list("code_hash", flat=True)
    assert len(stored) == RECOVERY_CODE_COUNT
    assert not set(device.recovery_codes) & set(stored)
    # The code that confirmed enrollment cannot be used again to sign in.
    assert not await accept_totp_code(user, device.totp.at(NOW), decrypt=decrypt, now=NOW)


async def test_a_code_is_accepted_once_only(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)
    code = device.totp.at(NOW)

    assert await accept_totp_code(user, code, decrypt=decrypt, now=NOW)
    assert not await accept_totp_code(user, code, decrypt=decrypt, now=NOW)
    # Nor an older code still inside the window, once a newer one was used.
    previous = device.totp.at(NOW - timedelta(seconds=30))
    assert not await accept_totp_code(user, previous, decrypt=decrypt, now=NOW)


async def test_one_step_of_clock_drift_either_way_is_accepted_and_two_are_not(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)

    for drift, accepted in [(-60, False), (-30, True), (30, True), (60, False)]:
        code = device.totp.at(NOW + timedelta(seconds=drift))
        result = await accept_totp_code(user, code, decrypt=decrypt, now=NOW)
        assert result is accepted, drift


async def test_one_code_used_twice_at_once_is_accepted_once(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)
    code = device.totp.at(NOW)

    results = await asyncio.gather(
        *(accept_totp_code(user, code, decrypt=decrypt, now=NOW) for _ in range(2))
    )

    assert sorted(results) == [False, True]


async def test_re_enrolling_keeps_the_old_authenticator_until_confirmed(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)

    await start_totp_enrollment(user, encrypt=encrypt)
    await user.refresh_from_db()

    assert user.mfa_enabled
    assert await accept_totp_code(user, device.totp.at(NOW), decrypt=decrypt, now=NOW)


async def test_the_user_can_see_how_many_recovery_codes_are_left(db: None) -> None:
    user = await make_user()
    device = await enable_mfa(user)

    assert await use_recovery_code(
        user.id, device.recovery_codes[0], secret_key=SECRET_KEY, now=NOW
    )

    assert await count_unused_recovery_codes(user.id) == RECOVERY_CODE_COUNT - 1
