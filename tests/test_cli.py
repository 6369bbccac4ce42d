"""The `billing` command, run as a user runs it: a separate process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from api.settings import load_settings
from auth.passwords import verify_password
from billing.audit import AuditRecord, append_audit_records, audit_chain_key
from models.audit import AuditEvent
from models.enums import AuditOutcome
from models.users import User


def run_billing(
    *args: str, database_url: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "STRIPE_"))},
        "DATABASE_URL": database_url,
        **(env or {}),
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "api.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


async def test_create_user_reads_the_password_from_stdin(db: None, database_url: str) -> None:
    result = run_billing(
        "create-user",
        "--email",
        "Dana.Staff@Example.org",
        "--role",
        "billing_staff",
        database_url=database_url,
        stdin="a staff passphrase\n",
    )

    assert result.returncode == 0, result.stderr
    user = await User.get(email="dana.staff@example.org")
    assert user.roles == ["billing_staff"]
    assert (await verify_password(user.password_hash, "a staff passphrase")).matches
    assert "a staff passphrase" not in result.stdout + result.stderr


async def test_create_user_refuses_a_short_password_and_creates_nothing(
    db: None, database_url: str
) -> None:
    result = run_billing(
        "create-user",
        "--email",
        "pat@example.org",
        "--role",
        "patient",
        database_url=database_url,
        stdin="too short\n",
    )

    assert result.returncode == 1
    assert "WEAK_PASSWORD" in result.stderr
    assert not await User.filter(email="pat@example.org").exists()


async def test_create_user_refuses_a_taken_email(db: None, database_url: str) -> None:
    args = ("create-user", "--email", "admin@example.org", "--role", "admin")
    first = run_billing(*args, database_url=database_url, stdin="first admin password\n")
    second = run_billing(*args, database_url=database_url, stdin="second admin password\n")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 1
    assert "EMAIL_TAKEN" in second.stderr
    assert await User.filter(email="admin@example.org").count() == 1


def test_create_user_refuses_an_unknown_role(database_url: str) -> None:
    result = run_billing(
        "create-user", "--email", "x@example.org", "--role", "superuser", database_url=database_url
    )

    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_export_schema_prints_the_sdl(database_url: str) -> None:
    result = run_billing("export-schema", database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert "type Query" in result.stdout


@pytest.mark.parametrize("command", ["charge-due-installments"])
def test_commands_of_later_issues_say_they_are_not_available_yet(
    command: str, database_url: str
) -> None:
    result = run_billing(command, database_url=database_url)

    assert result.returncode == 69
    assert f"{command} is not available yet" in result.stderr


def test_production_refuses_to_start_without_secrets(database_url: str) -> None:
    result = run_billing("migrate", database_url=database_url, env={"BILLING_ENV": "production"})

    assert result.returncode == 2
    assert "BILLING_SECRET_KEY must be set in production" in result.stderr


def test_migrate_is_safe_to_run_again(database_url: str) -> None:
    result = run_billing("migrate", database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert "migrations applied" in result.stdout


async def test_audit_verify_reports_an_intact_log_then_the_first_edited_row(
    db: None, database_url: str
) -> None:
    key = audit_chain_key(load_settings({}).secret_key.reveal())
    for invoice_id in ("1", "2", "3"):
        record = AuditRecord(
            action="invoice.read", outcome=AuditOutcome.SUCCESS, resource_id=invoice_id
        )
        await append_audit_records([record], key=key)

    intact = run_billing("audit-verify", database_url=database_url)
    edited = await AuditEvent.filter(resource_id="2").first()
    assert edited is not None
    await AuditEvent.filter(id=edited.id).update(resource_id="20")
    broken = run_billing("audit-verify", database_url=database_url)

    assert intact.returncode == 0, intact.stderr
    assert "intact (3 events checked)" in intact.stdout
    assert broken.returncode == 1
    assert f"BROKEN at event {edited.id}" in broken.stderr
