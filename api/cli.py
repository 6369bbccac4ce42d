"""The `billing` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

from api.database import close_database, migrate_database, open_database
from api.intake_commands import add_intake_commands
from billing.errors import DomainError
from billing.wiring import connect_domains
from config.settings import Settings, SettingsError, load_settings
from models.enums import Role
from models.notifications import NotificationChannel

if TYPE_CHECKING:
    from billing.notifications.senders import MessageSender

EXIT_USAGE = 2
EXIT_TEMPORARY_FAILURE = 75  # sysexits EX_TEMPFAIL: try again later (Stripe unreachable)
DEFAULT_STRIPE_SIMULATOR_PORT = 12111
SIMULATOR_START_SECONDS = 20.0
SIMULATOR_STOP_SECONDS = 10.0

_T = TypeVar("_T")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"billing: configuration error: {error}", file=sys.stderr)
        return EXIT_USAGE
    command: Callable[[argparse.Namespace, Settings], int] = args.command
    connect_domains()
    try:
        return command(args, settings)
    except DomainError as error:
        field = f" ({error.field})" if error.field else ""
        print(f"billing: {error.code.value}{field}: {error.message}", file=sys.stderr)
        return 1


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="billing", description="Healthcare billing service")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the GraphQL API and webhooks")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--with-stripe-simulator",
        action="store_true",
        help="unless STRIPE_SECRET_KEY is set, also run the local Stripe simulator on loopback "
        "and point the app at it (development only)",
    )
    serve.add_argument(
        "--stripe-simulator-port", type=int, default=DEFAULT_STRIPE_SIMULATOR_PORT, metavar="PORT"
    )
    serve.set_defaults(command=_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(command=_migrate)

    create_user = commands.add_parser(
        "create-user", help="create an account; the password is read from standard input"
    )
    create_user.add_argument("--email", required=True)
    # An organization's billing user belongs to an organization: staff invite them instead.
    create_user.add_argument(
        "--role",
        required=True,
        choices=[role.value for role in Role if role is not Role.ORGANIZATION_BILLING],
    )
    create_user.set_defaults(command=_create_user)

    commands.add_parser("seed-demo", help="create demo locations, users and bills").set_defaults(
        command=_seed_demo
    )
    commands.add_parser("export-schema", help="print the GraphQL schema (SDL)").set_defaults(
        command=_export_schema
    )
    commands.add_parser(
        "export-operations",
        help="print the registered GraphQL documents as JSON: documentId -> document",
    ).set_defaults(command=_export_operations)

    charge = commands.add_parser(
        "charge-due-installments", help="charge payment-plan installments that are due"
    )
    charge.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="charge what is due on this date (YYYY-MM-DD); default: each patient's today",
    )
    charge.set_defaults(command=_charge_due_installments)

    collections = commands.add_parser(
        "run-collections",
        help="take the collections steps due on organizations' unpaid invoices (daily, cron)",
    )
    collections.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="take what is due on this date (YYYY-MM-DD); default: today in UTC",
    )
    collections.set_defaults(command=_run_collections)

    reminders = commands.add_parser(
        "send-reminders", help="queue payment reminders that are due and send queued messages"
    )
    reminders.add_argument(
        "--now",
        type=_aware_datetime,
        default=None,
        help="act as at this ISO 8601 instant with its offset (default: now)",
    )
    reminders.set_defaults(command=_send_reminders)

    commands.add_parser(
        "rotate-phi-key", help="re-encrypt stored PHI under the first PHI_ENCRYPTION_KEY key"
    ).set_defaults(command=_rotate_phi_key)

    commands.add_parser(
        "purge-sign-in-records",
        help="forget stale sign-in records: idle lockout guards, old rate-limit windows, "
        "expired MFA tickets and reset links",
    ).set_defaults(command=_purge_sign_in_records)

    verify = commands.add_parser("audit-verify", help="check the access log's hash chain")
    verify.add_argument(
        "--checkpoints",
        type=argparse.FileType("r", encoding="utf-8"),
        default=None,
        metavar="FILE",
        help="also check the log against the signed lines of `billing audit-checkpoint` "
        "kept in FILE ('-' for standard input)",
    )
    verify.set_defaults(command=_audit_verify)
    commands.add_parser(
        "audit-checkpoint",
        help="print the access log's head as a signed line, to keep outside the database",
    ).set_defaults(command=_audit_checkpoint)
    add_intake_commands(commands, _run_with_database, _aware_datetime)
    _add_dev_commands(commands)
    return parser


def _add_dev_commands(commands: Any) -> None:
    from api.dev_cards import TestCard

    dev = commands.add_parser("dev", help="development helpers (refused in production)")
    dev_commands = dev.add_subparsers(required=True, metavar="DEV_COMMAND")
    confirm = dev_commands.add_parser(
        "confirm",
        help="confirm a SetupIntent or PaymentIntent with a Stripe test card, as the app's "
        "Stripe SDK would, against the local Stripe simulator",
    )
    confirm.add_argument(
        "--client-secret",
        required=True,
        metavar="S",
        help="the clientSecret of startSavingCard (seti_...) or payInvoices (pi_...)",
    )
    confirm.add_argument(
        "--card",
        choices=[card.value for card in TestCard],
        default=None,
        help="the test card (default: visa; for a payment with a saved card, that card)",
    )
    confirm.add_argument(
        "--stripe-simulator-port",
        type=int,
        default=DEFAULT_STRIPE_SIMULATOR_PORT,
        metavar="PORT",
        help="where `make run` runs the simulator, unless STRIPE_API_BASE is set",
    )
    confirm.set_defaults(command=_dev_confirm)
    authenticate = dev_commands.add_parser(
        "authenticate",
        help="answer the 3-D Secure challenge of an intent in requires_action, as the card "
        "holder does in the app (local Stripe simulator only)",
    )
    authenticate.add_argument("--client-secret", required=True, metavar="S")
    authenticate.add_argument(
        "--fail", action="store_true", help="fail the authentication instead of passing it"
    )
    authenticate.add_argument(
        "--stripe-simulator-port",
        type=int,
        default=DEFAULT_STRIPE_SIMULATOR_PORT,
        metavar="PORT",
        help="where `make run` runs the simulator, unless STRIPE_API_BASE is set",
    )
    authenticate.set_defaults(command=_dev_authenticate)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.is_production and not os.environ.get("PUBLIC_BASE_URL", "").strip():
        # Links (PDF statements) point where this server is reached. Each worker reads
        # its settings from the environment (api.asgi).
        os.environ["PUBLIC_BASE_URL"] = f"http://{_reachable_host(args.host)}:{args.port}"
    if not args.with_stripe_simulator:
        return _run_server(args)
    if settings.is_production:
        print("billing: --with-stripe-simulator is refused in production", file=sys.stderr)
        return EXIT_USAGE
    if not settings.uses_development_stripe_key:
        print("billing: STRIPE_SECRET_KEY is set; not starting the Stripe simulator", flush=True)
        return _run_server(args)
    webhook_url = f"http://{_reachable_host(args.host)}:{args.port}/webhooks/stripe"
    try:
        with _local_stripe_simulator(settings, args.stripe_simulator_port, webhook_url) as sim:
            print(
                f"billing: Stripe simulator (pid {sim.pid}) at {sim.url}, "
                f"sending webhooks to {webhook_url}",
                flush=True,
            )
            # Each server worker reads its settings from the environment (api.asgi).
            os.environ["STRIPE_API_BASE"] = sim.url
            return _run_server(args)
    except _SimulatorStartError as error:
        print(f"billing: the Stripe simulator did not start: {error}", file=sys.stderr)
        return 1


def _run_server(args: argparse.Namespace) -> int:
    import uvicorn

    from api.logs import configure_logging

    configure_logging()
    uvicorn.run(
        "api.asgi:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
    return 0


class _SimulatorStartError(Exception):
    """The local Stripe simulator could not be started."""


@dataclass(frozen=True)
class _RunningSimulator:
    pid: int
    url: str


@contextmanager
def _local_stripe_simulator(
    settings: Settings, port: int, webhook_url: str
) -> Iterator[_RunningSimulator]:
    """``python -m stripe_simulator`` as a child process on loopback ``port``, accepting the
    app's development Stripe key and signing webhooks with its secret. The child is stopped
    on the way out, however the server ends."""
    if not _loopback_port_is_free(port):
        raise _SimulatorStartError(f"port {port} is in use; choose another simulator port")
    # Keys go through the environment, not the command line, which `ps` shows to everyone.
    environment = {
        **os.environ,
        "STRIPE_API_KEY": settings.stripe_secret_key.reveal(),
        "STRIPE_WEBHOOK_SECRET": settings.stripe_webhook_secret.reveal(),
        "STRIPE_SIMULATOR_WEBHOOK_URL": webhook_url,
    }
    command = [sys.executable, "-m", "stripe_simulator", "--port", str(port)]
    with _sigterm_raises_system_exit():
        child = subprocess.Popen(command, env=environment)  # noqa: S603 - our own module
        try:
            _wait_until_listening(child, port)
            yield _RunningSimulator(pid=child.pid, url=f"http://127.0.0.1:{port}")
        finally:
            _stop(child)


@contextmanager
def _sigterm_raises_system_exit() -> Iterator[None]:
    # uvicorn stops gracefully on SIGTERM and then raises it again; under the default
    # handler that would end this process before it stops the simulator child.
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _loopback_port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # The same option uvicorn binds with, so a closing connection does not count as busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_until_listening(child: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + SIMULATOR_START_SECONDS
    while time.monotonic() < deadline:
        status = child.poll()
        if status is not None:
            raise _SimulatorStartError(f"it exited with status {status}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise _SimulatorStartError(
        f"it did not listen on port {port} within {SIMULATOR_START_SECONDS}s"
    )


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
    try:
        child.wait(timeout=SIMULATOR_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _reachable_host(host: str) -> str:
    """Where the simulator reaches a server bound to ``host``: wildcards on loopback."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - recognising a wildcard, not binding one
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _migrate(_args: argparse.Namespace, settings: Settings) -> int:
    from billing.audit.chain import HeadInitialization, audit_chain_key, initialize_audit_chain
    from billing.patients.phi_rotation import fill_missing_lookups
    from billing.phi_cipher import PhiCipher

    asyncio.run(migrate_database(settings))
    # Patients stored before their blind indexes existed get them (a migration cannot: it
    # has no PHI key).
    cipher = PhiCipher.from_setting(settings.phi_encryption_key.reveal())
    filled = _run_with_database(settings, lambda: fill_missing_lookups(cipher))
    print("billing: migrations applied")
    key = audit_chain_key(settings.secret_key.reveal())
    outcome = _run_with_database(settings, lambda: initialize_audit_chain(key))
    if outcome is HeadInitialization.REFUSED:
        print(
            "billing: the access log's head is missing or does not match its rows; "
            "nothing can be recorded until `billing audit-verify` passes",
            file=sys.stderr,
        )
        return 1
    if outcome is not HeadInitialization.PRESENT:
        print(f"billing: access log head {outcome.value}")
    if filled:
        print(f"billing: search indexes given to {filled} patients")
    return 0


def _create_user(args: argparse.Namespace, settings: Settings) -> int:
    from auth.accounts import create_user

    password = sys.stdin.readline().rstrip("\r\n")
    user = _run_with_database(settings, lambda: create_user(args.email, Role(args.role), password))
    print(f"billing: created user {user.id} ({args.role})")
    return 0


def _seed_demo(_args: argparse.Namespace, settings: Settings) -> int:
    from auth.passwords import hash_password
    from billing.demo import seed_demo
    from billing.phi_cipher import PhiCipher

    cipher = PhiCipher.from_setting(settings.phi_encryption_key.reveal())
    logins = _run_with_database(settings, lambda: seed_demo(cipher, hash_password))
    if not logins.created:
        print("billing: demo data already present; nothing created")
        return 0
    print("billing: demo data created. Demo logins (for local use only):")
    for login in logins.logins:
        print(f"  {login.role:<14} {login.email:<36} {login.password}")
    return 0


def _export_schema(_args: argparse.Namespace, settings: Settings) -> int:
    from schema import build_schema

    print(build_schema(settings).as_str())
    return 0


def _export_operations(_args: argparse.Namespace, _settings: Settings) -> int:
    import orjson

    from schema.documents.registry import bundled_documents

    manifest = bundled_documents().manifest()
    sys.stdout.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def _rotate_phi_key(_args: argparse.Namespace, settings: Settings) -> int:
    from auth.totp import MFA_SECRET_COLUMNS
    from billing.patients.phi_rotation import rotate_phi_keys
    from billing.phi_cipher import PhiCipher

    cipher = PhiCipher.from_setting(settings.phi_encryption_key.reveal())
    report = _run_with_database(
        settings, lambda: rotate_phi_keys(cipher, user_columns=MFA_SECRET_COLUMNS)
    )
    print(
        f"billing: {report.values_reencrypted} values re-encrypted in {report.rows_updated} rows "
        f"under key {cipher.active_key_id!r}"
    )
    return 0


def _purge_sign_in_records(_args: argparse.Namespace, settings: Settings) -> int:
    from auth.housekeeping import purge_stale_sign_in_records

    report = _run_with_database(settings, lambda: purge_stale_sign_in_records(datetime.now(UTC)))
    print(
        f"billing: purged {report.guards} idle guards, {report.counters} rate-limit counters, "
        f"{report.mfa_tickets} MFA tickets, {report.resets} reset links"
    )
    return 0


def _audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    from billing.audit.chain import ChainReport, audit_chain_key, verify_audit_chain
    from billing.audit.checkpoints import CheckpointError, checkpoint_problem, parse_checkpoint

    key = audit_chain_key(settings.secret_key.reveal())
    checkpoints = []
    if args.checkpoints is not None:
        with args.checkpoints as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    checkpoints.append(parse_checkpoint(line, key))
                except CheckpointError as error:
                    print(f"billing: checkpoint line {number}: {error}", file=sys.stderr)
                    return 1

    async def verify() -> ChainReport:
        report = await verify_audit_chain(key)
        if report.intact and checkpoints:
            return ChainReport(report.checked, None, await checkpoint_problem(checkpoints))
        return report

    report = _run_with_database(settings, verify)
    if report.intact:
        against = f", {len(checkpoints)} checkpoints matched" if checkpoints else ""
        print(f"billing: access log intact ({report.checked} events checked{against})")
        return 0
    where = f" at event {report.first_broken_id}" if report.first_broken_id is not None else ""
    print(
        f"billing: access log BROKEN{where}: {report.problem} "
        f"({report.checked} events before it are intact)",
        file=sys.stderr,
    )
    return 1


def _audit_checkpoint(_args: argparse.Namespace, settings: Settings) -> int:
    from billing.audit.chain import AuditWriteError, audit_chain_key
    from billing.audit.checkpoints import audit_checkpoint

    key = audit_chain_key(settings.secret_key.reveal())
    try:
        checkpoint = _run_with_database(settings, lambda: audit_checkpoint(key))
    except AuditWriteError as error:
        print(f"billing: no checkpoint: {error}", file=sys.stderr)
        return 1
    print(checkpoint.to_line())
    return 0


def _charge_due_installments(args: argparse.Namespace, settings: Settings) -> int:
    from billing.audit.chain import audit_chain_key
    from billing.gateways.stripe import new_stripe_gateway
    from billing.plans.scheduler import ChargeOutcome, ChargeReport, charge_due_installments

    async def charge() -> ChargeReport:
        gateway = new_stripe_gateway(settings)
        try:
            return await charge_due_installments(
                gateway, audit_key=audit_chain_key(settings.secret_key.reveal()), today=args.today
            )
        finally:
            await gateway.close()

    report = _run_with_database(settings, charge)
    counts = ", ".join(f"{report.count(outcome)} {outcome.value}" for outcome in ChargeOutcome)
    print(f"billing: installments: {counts}")
    if report.count(ChargeOutcome.UNAVAILABLE):
        print("billing: Stripe could not be reached; run again later", file=sys.stderr)
        return EXIT_TEMPORARY_FAILURE
    return 0


def _run_collections(args: argparse.Namespace, settings: Settings) -> int:
    from billing.audit.chain import audit_chain_key
    from billing.organizations.collections import CollectionsReport, run_collections

    today = args.today or datetime.now(UTC).date()

    async def collect() -> CollectionsReport:
        return await run_collections(
            settings.collections,
            today=today,
            audit_key=audit_chain_key(settings.secret_key.reveal()),
        )

    report = _run_with_database(settings, collect)
    print(
        f"billing: collections on {today.isoformat()}: {len(report.reminded)} reminded, "
        f"{len(report.flagged)} flagged, {report.skipped} skipped as superseded, "
        f"{report.paused} paused or disputed"
    )
    return 0


def _send_reminders(args: argparse.Namespace, settings: Settings) -> int:
    from billing.notifications.account_messages import password_reset_link_key
    from billing.notifications.delivery import DeliveryReport, DeliveryRules, send_due_notifications
    from billing.notifications.reminders import ReminderReport, queue_reminders
    from billing.phi_cipher import PhiCipher

    now = args.now or datetime.now(UTC)
    senders = _notification_senders(settings)
    rules = DeliveryRules(
        settings.public_base_url,
        reset_link_key=password_reset_link_key(settings.secret_key.reveal()),
        sms_send_hours=settings.reminders.sms_send_hours,
    )
    cipher = PhiCipher.from_setting(settings.phi_encryption_key.reveal())

    async def remind() -> tuple[ReminderReport, DeliveryReport]:
        queued = await queue_reminders(now, settings.reminders.days_before_due)
        return queued, await send_due_notifications(senders, cipher, rules, now=now)

    queued, delivered = _run_with_database(settings, remind)
    print(
        f"billing: reminders queued: {queued.due_soon} due soon, {queued.overdue} overdue; "
        f"messages: {delivered.sent} sent, {delivered.deferred} deferred, "
        f"{delivered.skipped} skipped, {delivered.retrying} to retry, {delivered.failed} failed"
    )
    unconfigured = [channel.value for channel in NotificationChannel if channel not in senders]
    if unconfigured:
        print(f"billing: no delivery configured for {', '.join(unconfigured)}; kept queued")
    return 0


def _notification_senders(settings: Settings) -> dict[NotificationChannel, MessageSender]:
    from billing.notifications.senders import SmtpEmailSender, TwilioSmsSender

    reminders = settings.reminders
    senders: dict[NotificationChannel, MessageSender] = {}
    if reminders.smtp_url is not None:
        senders[NotificationChannel.EMAIL] = SmtpEmailSender(
            reminders.smtp_url.reveal(), reminders.email_from
        )
    if (
        reminders.twilio_account_sid
        and reminders.twilio_auth_token is not None
        and reminders.twilio_from_number
    ):
        senders[NotificationChannel.SMS] = TwilioSmsSender(
            reminders.twilio_account_sid,
            reminders.twilio_auth_token.reveal(),
            reminders.twilio_from_number,
        )
    return senders


def _dev_confirm(args: argparse.Namespace, settings: Settings) -> int:
    import stripe

    from api.dev_cards import (
        DevConfirmRefused,
        TestCard,
        confirm_with_test_card,
        simulator_base,
    )

    card = TestCard(args.card) if args.card else None
    api_base = simulator_base(settings, args.stripe_simulator_port)
    try:
        confirmation = asyncio.run(
            confirm_with_test_card(settings, args.client_secret, card, api_base)
        )
    except DevConfirmRefused as refusal:
        print(f"billing: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    except stripe.APIConnectionError:
        print(
            f"billing: no Stripe simulator answers at {api_base}: start `make run` (or pass "
            "--stripe-simulator-port, or set STRIPE_API_BASE)",
            file=sys.stderr,
        )
        return EXIT_TEMPORARY_FAILURE
    print(f"billing: {confirmation.report}", file=sys.stdout if confirmation.ok else sys.stderr)
    return 0 if confirmation.ok else 1


def _dev_authenticate(args: argparse.Namespace, settings: Settings) -> int:
    import stripe

    from api.dev_cards import (
        DevConfirmRefused,
        SimulatorUnreachable,
        authenticate_as_card_holder,
        simulator_base,
    )

    api_base = simulator_base(settings, args.stripe_simulator_port)
    try:
        answer = asyncio.run(
            authenticate_as_card_holder(
                settings, args.client_secret, succeed=not args.fail, api_base=api_base
            )
        )
    except DevConfirmRefused as refusal:
        print(f"billing: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    except (stripe.APIConnectionError, SimulatorUnreachable):
        print(f"billing: no Stripe simulator answers at {api_base}", file=sys.stderr)
        return EXIT_TEMPORARY_FAILURE
    print(f"billing: {answer.report}", file=sys.stdout if answer.ok else sys.stderr)
    return 0 if answer.ok else 1


def _aware_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give the instant with its offset, e.g. +00:00")
    return value


def _run_with_database(settings: Settings, action: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    async def run() -> _T:
        async with _database(settings):
            return await action()

    return asyncio.run(run())


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[None]:
    await open_database(settings)
    try:
        yield
    finally:
        await close_database()


if __name__ == "__main__":
    sys.exit(main())
