"""The `billing` command, run as a user runs it: a separate process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auth.passwords import verify_password
from billing.audit.chain import AuditRecord, append_audit_records, audit_chain_key
from config.settings import load_settings
from models.audit import AuditChainHead, AuditEvent
from models.enums import AuditOutcome
from models.users import SignInGuard, User

PRODUCTION_SECRETS = {
    "BILLING_ENV": "production",
    "PUBLIC_BASE_URL": "https://billing.example.org",
    "BILLING_SECRET_KEY": "a-real-secret-key-from-the-vault-0123456789",
    "PHI_ENCRYPTION_KEY": "k2026:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "STRIPE_SECRET_KEY": "sk_live_from_the_vault",
    "STRIPE_WEBHOOK_SECRET": "whsec_from_the_vault",
    "SHIPPING_WEBHOOK_SECRET": "shipping-secret-from-the-vault",
    # The suite's database may be SQLite; these tests are about the other settings.
    "ALLOW_SQLITE_IN_PRODUCTION": "1",
}


def run_billing(
    *args: str, database_url: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("BILLING_", "STRIPE_", "ALLOW_SQLITE"))
        },
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


def test_charge_due_installments_with_nothing_due_charges_nothing(
    database_url: str, db: None
) -> None:
    result = run_billing(
        "charge-due-installments", "--today", "2026-11-22", database_url=database_url
    )

    assert result.returncode == 0, result.stderr
    assert "0 charged" in result.stdout


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


async def test_audit_verify_fails_when_the_tail_is_cut_and_the_head_rewritten(
    db: None, database_url: str
) -> None:
    # given three records, the last two cut and the head rewritten to the first (the
    # attack that passed before heads were signed)
    key = audit_chain_key(load_settings({}).secret_key.reveal())
    for invoice_id in ("1", "2", "3"):
        record = AuditRecord(
            action="invoice.read", outcome=AuditOutcome.SUCCESS, resource_id=invoice_id
        )
        await append_audit_records([record], key=key)
    first = await AuditEvent.all().order_by("id").first()
    assert first is not None
    await AuditEvent.filter(id__gt=first.id).delete()
    await AuditChainHead.filter(id=1).update(
        last_event_id=first.id, last_hash=first.row_hash, event_count=1, mac=""
    )

    result = run_billing("audit-verify", database_url=database_url)

    assert result.returncode == 1
    assert "BROKEN: the chain head is not signed" in result.stderr

    # and so it does once the head is gone altogether
    await AuditChainHead.all().delete()
    gone = run_billing("audit-verify", database_url=database_url)
    assert gone.returncode == 1
    assert "the chain head is missing" in gone.stderr


async def test_a_checkpoint_printed_earlier_finds_the_log_put_back_to_an_older_copy(
    db: None, database_url: str, tmp_path: Path
) -> None:
    key = audit_chain_key(load_settings({}).secret_key.reveal())

    async def record(invoice_id: str) -> None:
        entry = AuditRecord(
            action="invoice.read", outcome=AuditOutcome.SUCCESS, resource_id=invoice_id
        )
        await append_audit_records([entry], key=key)

    # given a log of two records and a copy of it (rows and head) taken then
    await record("1")
    await record("2")
    old_rows = await AuditEvent.all().order_by("id").values()
    old_head = await AuditChainHead.get(id=1).values()
    # when a third record is made and a checkpoint of it shipped off the database
    await record("3")
    printed = run_billing("audit-checkpoint", database_url=database_url)
    assert printed.returncode == 0, printed.stderr
    shipped = tmp_path / "checkpoints.jsonl"
    shipped.write_text(printed.stdout)
    intact = run_billing("audit-verify", "--checkpoints", str(shipped), database_url=database_url)
    # and later the old copy is put back
    await AuditEvent.all().delete()
    await AuditEvent.bulk_create([AuditEvent(**row) for row in old_rows])
    await AuditChainHead.filter(id=1).update(**{k: v for k, v in old_head.items() if k != "id"})
    alone = run_billing("audit-verify", database_url=database_url)
    against = run_billing("audit-verify", "--checkpoints", str(shipped), database_url=database_url)

    # then the log alone looks fine, and the checkpoint shows it went back
    assert '"audit_checkpoint":1' in printed.stdout
    assert '"event_count":3' in printed.stdout
    assert intact.returncode == 0, intact.stderr
    assert "1 checkpoints matched" in intact.stdout
    assert alone.returncode == 0, alone.stderr
    assert against.returncode == 1
    assert "behind the checkpoint" in against.stderr


async def test_a_checkpoint_line_not_signed_with_the_service_key_is_refused(
    db: None, database_url: str, tmp_path: Path
) -> None:
    printed = run_billing("audit-checkpoint", database_url=database_url)
    forged = tmp_path / "forged.jsonl"
    forged.write_text(printed.stdout.replace('"event_count":0', '"event_count":7'))

    result = run_billing("audit-verify", "--checkpoints", str(forged), database_url=database_url)

    assert printed.returncode == 0, printed.stderr
    assert result.returncode == 1
    assert "checkpoint line 1: a checkpoint not signed" in result.stderr


async def test_purge_sign_in_records_forgets_only_what_is_stale(
    db: None, database_url: str
) -> None:
    # given a guard nobody touched for two days, and one locked now
    now = datetime.now(UTC)
    await SignInGuard.bulk_create(
        [
            SignInGuard(key_hash="a" * 64, failures=2, last_attempt_at=now - timedelta(days=2)),
            SignInGuard(
                key_hash="b" * 64,
                failures=6,
                locked_until=now + timedelta(minutes=20),
                last_attempt_at=now - timedelta(minutes=10),
            ),
        ]
    )

    result = run_billing("purge-sign-in-records", database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert "purged 1 idle guards" in result.stdout
    assert [g.key_hash for g in await SignInGuard.all()] == ["b" * 64]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port something else is already listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_refuses_the_stripe_simulator_in_production(database_url: str) -> None:
    simulator_port = free_port()

    result = run_billing(
        "serve",
        "--with-stripe-simulator",
        "--stripe-simulator-port",
        str(simulator_port),
        database_url=database_url,
        env=PRODUCTION_SECRETS,
    )

    assert result.returncode == 2
    assert "--with-stripe-simulator is refused in production" in result.stderr
    assert "Stripe simulator (pid" not in result.stdout


def test_serve_does_not_start_the_simulator_when_a_stripe_key_is_set(
    database_url: str, busy_port: int
) -> None:
    # The server cannot bind its own (busy) port, so the command ends right after deciding.
    result = run_billing(
        "serve",
        "--port",
        str(busy_port),
        "--with-stripe-simulator",
        "--stripe-simulator-port",
        str(free_port()),
        database_url=database_url,
        env={"STRIPE_SECRET_KEY": "sk_test_a_real_test_mode_account"},
    )

    assert result.returncode == 3  # uvicorn's status for a server that could not start
    assert "STRIPE_SECRET_KEY is set; not starting the Stripe simulator" in result.stdout
    assert "Stripe simulator (pid" not in result.stdout


def test_serve_says_when_the_simulator_port_is_taken(database_url: str, busy_port: int) -> None:
    result = run_billing(
        "serve",
        "--port",
        str(free_port()),
        "--with-stripe-simulator",
        "--stripe-simulator-port",
        str(busy_port),
        database_url=database_url,
    )

    assert result.returncode == 1
    assert f"the Stripe simulator did not start: port {busy_port} is in use" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("migrate",),
        ("serve", "--port", "0"),
        ("seed-demo",),
        ("rotate-phi-key",),
        ("send-reminders",),
        ("charge-due-installments",),
        ("export-schema",),
    ],
    ids=lambda command: command[0],
)
def test_every_command_refuses_a_malformed_phi_key_in_one_line_naming_it(
    database_url: str, command: tuple[str, ...]
) -> None:
    result = run_billing(
        *command, database_url=database_url, env={"PHI_ENCRYPTION_KEY": "dev:not-32-bytes"}
    )

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("billing: configuration error: PHI_ENCRYPTION_KEY")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["confirm", "authenticate"])
def test_dev_commands_are_refused_in_production(database_url: str, command: str) -> None:
    result = run_billing(
        "dev",
        command,
        "--client-secret",
        "seti_123_secret_abc",
        database_url=database_url,
        env={**PRODUCTION_SECRETS, "STRIPE_SECRET_KEY": "sk_test_from_the_vault"},
    )

    assert result.returncode == 2
    assert result.stderr == f"billing: dev {command} is refused in production\n"


@pytest.mark.parametrize("secret", ["seti_123", "sk_test_local_simulator", "pi_1_secret_"])
def test_dev_confirm_refuses_what_is_not_a_client_secret(database_url: str, secret: str) -> None:
    result = run_billing("dev", "confirm", "--client-secret", secret, database_url=database_url)

    assert result.returncode == 2
    assert "--client-secret must be a SetupIntent's" in result.stderr
    assert secret not in result.stderr


@pytest.mark.parametrize("command", ["confirm", "authenticate"])
def test_dev_commands_say_when_no_simulator_answers(database_url: str, command: str) -> None:
    result = run_billing(
        "dev",
        command,
        "--client-secret",
        "seti_123_secret_abc",
        "--stripe-simulator-port",
        str(free_port()),
        database_url=database_url,
    )

    assert result.returncode == 75
    assert "no Stripe simulator answers" in result.stderr
