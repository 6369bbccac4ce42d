"""The `billing` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, TypeVar

from api.database import close_database, migrate_database, open_database
from api.settings import Settings, SettingsError, load_settings
from billing.errors import DomainError
from models.enums import Role

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 69  # sysexits EX_UNAVAILABLE: the command exists but is not built yet

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
    serve.set_defaults(command=_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(command=_migrate)

    create_user = commands.add_parser(
        "create-user", help="create an account; the password is read from standard input"
    )
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--role", required=True, choices=[role.value for role in Role])
    create_user.set_defaults(command=_create_user)

    commands.add_parser("seed-demo", help="create demo locations, users and bills").set_defaults(
        command=_seed_demo
    )
    commands.add_parser("export-schema", help="print the GraphQL schema (SDL)").set_defaults(
        command=_export_schema
    )

    charge = commands.add_parser(
        "charge-due-installments", help="charge payment-plan installments that are due"
    )
    charge.add_argument("--today", type=date.fromisoformat, default=None)
    charge.set_defaults(command=_not_available_yet, name="charge-due-installments")

    commands.add_parser(
        "rotate-phi-key", help="re-encrypt stored PHI under the first PHI_ENCRYPTION_KEY key"
    ).set_defaults(command=_rotate_phi_key)

    commands.add_parser("audit-verify", help="check the access log's hash chain").set_defaults(
        command=_audit_verify
    )
    return parser


def _serve(args: argparse.Namespace, settings: Settings) -> int:
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


def _migrate(_args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(migrate_database(settings))
    print("billing: migrations applied")
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


def _rotate_phi_key(_args: argparse.Namespace, settings: Settings) -> int:
    from auth.totp import MFA_SECRET_COLUMNS
    from billing.phi_cipher import PhiCipher
    from billing.phi_rotation import rotate_phi_keys

    cipher = PhiCipher.from_setting(settings.phi_encryption_key.reveal())
    report = _run_with_database(
        settings, lambda: rotate_phi_keys(cipher, user_columns=MFA_SECRET_COLUMNS)
    )
    print(
        f"billing: {report.values_reencrypted} values re-encrypted in {report.rows_updated} rows "
        f"under key {cipher.active_key_id!r}"
    )
    return 0


def _audit_verify(_args: argparse.Namespace, settings: Settings) -> int:
    from billing.audit import audit_chain_key, verify_audit_chain

    key = audit_chain_key(settings.secret_key.reveal())
    report = _run_with_database(settings, lambda: verify_audit_chain(key))
    if report.intact:
        print(f"billing: access log intact ({report.checked} events checked)")
        return 0
    print(
        f"billing: access log BROKEN at event {report.first_broken_id}: {report.problem} "
        f"({report.checked} events before it are intact)",
        file=sys.stderr,
    )
    return 1


def _not_available_yet(args: argparse.Namespace, _settings: Settings) -> int:
    print(f"billing: {args.name} is not available yet", file=sys.stderr)
    return EXIT_UNAVAILABLE


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
