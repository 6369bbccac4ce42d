"""The `billing` commands of the intake: API clients, location codes, issuing held charges."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from config.settings import Settings

_T = TypeVar("_T")
Runner = Callable[[Settings, Callable[[], Coroutine[Any, Any, _T]]], _T]


def add_intake_commands(
    commands: Any, run: Runner[Any], instant: Callable[[str], datetime]
) -> None:
    """Add the intake's commands to the ``billing`` parser; ``run`` runs a coroutine with the
    database open, ``instant`` reads an ISO 8601 instant with its offset."""
    _add_client_commands(
        commands, ("create-api-client", "revoke-api-client", "list-api-clients"), run
    )
    # The same three, grouped: `billing api-client create|revoke|list`.
    group = commands.add_parser("api-client", help="make, revoke or list API clients")
    _add_client_commands(
        group.add_subparsers(required=True, metavar="ACTION"), ("create", "revoke", "list"), run
    )

    code = commands.add_parser(
        "set-location-code",
        help="name the location by which the clinical system's urn:billing:location CODE is known",
    )
    code.add_argument("code")
    code.add_argument("--location", required=True, help="the location's name")
    code.set_defaults(command=lambda args, settings: _set_location_code(args, settings, run))

    issue = commands.add_parser(
        "issue-held-charges",
        help="invoice the held charges of every encounter whose last charge is "
        "CHARGE_HOLD_HOURS old; safe twice and on two machines at once",
    )
    issue.add_argument(
        "--now",
        type=instant,
        default=None,
        help="act as at this ISO 8601 instant with its offset (default: now)",
    )
    issue.set_defaults(command=lambda args, settings: _issue(args, settings, run))


def _add_client_commands(commands: Any, names: tuple[str, str, str], run: Runner[Any]) -> None:
    from billing.intake.clients import SCOPES

    create_name, revoke_name, list_name = names
    create = commands.add_parser(
        create_name,
        help="make an API client for the clinical system; its secret is printed once",
    )
    create.add_argument("--name", required=True)
    create.add_argument("--scope", required=True, action="append", choices=SCOPES)
    create.set_defaults(command=lambda args, settings: _create(args, settings, run))

    revoke = commands.add_parser(revoke_name, help="end an API client's access at once")
    revoke.add_argument("name")
    revoke.set_defaults(command=lambda args, settings: _revoke(args, settings, run))

    commands.add_parser(
        list_name, help="list API clients: name, scopes, made, revoked"
    ).set_defaults(command=lambda args, settings: _list(args, settings, run))


def _create(args: argparse.Namespace, settings: Settings, run: Runner[Any]) -> int:
    from billing.intake.clients import client_secret_key, create_api_client

    key = client_secret_key(settings.secret_key.reveal())
    issued = run(settings, lambda: create_api_client(key, args.name, args.scope))
    print(f"billing: API client {issued.client.name} ({issued.client.scopes}) created")
    print("billing: its secret, shown only now (send it as 'Authorization: Bearer <secret>'):")
    print(issued.secret)
    return 0


def _revoke(args: argparse.Namespace, settings: Settings, run: Runner[Any]) -> int:
    from billing.intake.clients import revoke_api_client

    client = run(settings, lambda: revoke_api_client(args.name))
    print(f"billing: API client {client.name} revoked at {client.revoked_at:%Y-%m-%dT%H:%M:%SZ}")
    return 0


def _list(_args: argparse.Namespace, settings: Settings, run: Runner[Any]) -> int:
    from billing.intake.clients import list_api_clients

    clients = run(settings, list_api_clients)
    if not clients:
        print("billing: no API clients")
    for client in clients:
        made = f"{client.created_at:%Y-%m-%dT%H:%M:%SZ}"
        revoked = f"revoked {client.revoked_at:%Y-%m-%dT%H:%M:%SZ}" if client.revoked_at else "live"
        print(f"{client.name}\t{client.scopes}\tmade {made}\t{revoked}")
    return 0


def _set_location_code(args: argparse.Namespace, settings: Settings, run: Runner[Any]) -> int:
    from billing.intake.use_cases import set_location_code

    run(settings, lambda: set_location_code(args.code, args.location))
    print(f"billing: location code {args.code.strip()} names {args.location}")
    return 0


def _issue(args: argparse.Namespace, settings: Settings, run: Runner[Any]) -> int:
    from billing.audit.chain import audit_chain_key
    from billing.intake.issuing import issue_held_charges

    now = args.now or datetime.now(UTC)
    report = run(
        settings,
        lambda: issue_held_charges(
            now=now,
            hold=timedelta(hours=settings.intake.charge_hold_hours),
            due_days=settings.intake.invoice_due_days,
            audit_key=audit_chain_key(settings.secret_key.reveal()),
        ),
    )
    print(
        f"billing: held charges: {len(report.invoices)} invoices issued for {report.charges} "
        f"charges, {report.passed_over} groups passed over"
    )
    return 0
