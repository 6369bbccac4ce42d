"""API clients of the intake: made, listed and revoked with the `billing` command (its own
process, as an operator runs it), the secret shown once and stored only as a hash, a
revoked client refused from its next request on, a client without the scope refused, and
every request on the access log with the client as the actor."""

from __future__ import annotations

import httpx
import orjson
import pytest

from billing.intake.clients import client_secret_key, hash_client_secret
from config.settings import Settings
from models.audit import AuditEvent
from models.enums import AuditOutcome
from models.intake import ApiClient, HeldCharge
from models.locations import Location
from models.patients import Patient
from tests.api.test_cli import run_billing
from tests.support.factories.intake import (
    api_client_secret,
    bundle,
    charge_item,
    post_bundle,
    statuses,
)


def _created_secret(output: str) -> str:
    return output.strip().splitlines()[-1]


async def test_a_client_made_with_the_cli_sends_charges_until_it_is_revoked(
    client: httpx.AsyncClient, database_url: str, ada: Patient, clinic: Location
) -> None:
    # given a client made with the command
    made = run_billing(
        "create-api-client", "--name", "ehr-main", "--scope", "charges:write",
        database_url=database_url,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    secret = _created_secret(made.stdout)
    stored = await ApiClient.get(name="ehr-main")
    assert secret not in str(await ApiClient.filter(id=stored.id).values())

    # then its secret is taken
    sent = await post_bundle(client, secret, bundle(charge_item(ada.account_number)))
    assert statuses(sent) == ["201"]

    # when it is revoked, its very next request is refused
    revoked = run_billing("revoke-api-client", "ehr-main", database_url=database_url)
    assert revoked.returncode == 0, revoked.stderr
    refused = await post_bundle(client, secret, bundle(charge_item(ada.account_number)))
    assert refused.status_code == 401
    assert await HeldCharge.all().count() == 1

    listed = run_billing("list-api-clients", database_url=database_url)
    assert listed.returncode == 0
    assert "ehr-main\tcharges:write\tmade " in listed.stdout
    assert "\trevoked " in listed.stdout
    assert secret not in listed.stdout


def test_the_cli_refuses_a_taken_name_and_an_unknown_client(database_url: str) -> None:
    first = run_billing(
        "create-api-client", "--name", "lab", "--scope", "charges:write", database_url=database_url
    )
    again = run_billing(
        "create-api-client", "--name", "lab", "--scope", "charges:write", database_url=database_url
    )
    unknown = run_billing("revoke-api-client", "nobody", database_url=database_url)

    assert first.returncode == 0, first.stderr
    assert again.returncode == 1
    assert "CONFLICT" in again.stderr
    assert unknown.returncode == 1
    assert "NOT_FOUND" in unknown.stderr


@pytest.mark.parametrize(
    "authorization", [None, "Bearer bk_not-a-client", "Basic dXNlcjpwYXNz", "Bearer "]
)
async def test_a_missing_or_bad_secret_is_401(
    client: httpx.AsyncClient, ada: Patient, clinic: Location, authorization: str | None
) -> None:
    headers = {"content-type": "application/fhir+json"}
    if authorization is not None:
        headers["authorization"] = authorization

    response = await client.post(
        "/intake/fhir/Bundle",
        content=orjson.dumps(bundle(charge_item(ada.account_number))),
        headers=headers,
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["issue"][0]["code"] == "login"
    assert await HeldCharge.all().count() == 0


async def test_a_client_without_the_scope_is_403_and_the_attempt_is_on_record(
    client: httpx.AsyncClient, settings: Settings, ada: Patient, clinic: Location
) -> None:
    key = client_secret_key(settings.secret_key.reveal())
    reader = await ApiClient.create(
        name="reader", scopes="charges:read", secret_hash=hash_client_secret(key, "bk_reader")
    )

    response = await post_bundle(client, "bk_reader", bundle(charge_item(ada.account_number)))

    assert response.status_code == 403
    assert await HeldCharge.all().count() == 0
    [record] = await AuditEvent.filter(action="intake.bundle")
    assert (record.actor_id, record.actor_role, record.outcome) == (
        reader.id,
        "api_client",
        AuditOutcome.FAILURE.value,
    )
    assert record.reference == "missing_scope"


async def test_every_request_is_on_the_access_log_as_the_api_client(
    client: httpx.AsyncClient, settings: Settings, ada: Patient, clinic: Location
) -> None:
    secret = await api_client_secret(settings)
    sender = await ApiClient.get(secret_hash=hash_client_secret(
        client_secret_key(settings.secret_key.reveal()), secret
    ))  # fmt: skip
    good = charge_item(ada.account_number)

    await post_bundle(client, secret, bundle(good, charge_item("0000-0000-0")))
    await post_bundle(client, secret, b"{}")

    rows = await AuditEvent.filter(actor_role="api_client").order_by("id")
    assert {row.actor_id for row in rows} == {sender.id}
    assert [(row.action, row.outcome, row.reference) for row in rows] == [
        ("charge.received", "SUCCESS", ""),
        ("intake.bundle", "SUCCESS", "added=1 refused=1"),
        ("intake.bundle", "FAILURE", "not_a_charge_bundle"),
    ]
    charge = await HeldCharge.get()
    assert (rows[0].patient_id, rows[0].resource_id) == (ada.id, str(charge.id))
    assert {row.ip_address for row in rows} == {"203.0.113.7"}
    assert all(row.request_id for row in rows)


async def test_a_body_of_another_media_type_is_415(
    client: httpx.AsyncClient, settings: Settings, ada: Patient, clinic: Location
) -> None:
    secret = await api_client_secret(settings)

    response = await client.post(
        "/intake/fhir/Bundle",
        content=b"<Bundle/>",
        headers={"authorization": f"Bearer {secret}", "content-type": "application/xml"},
    )

    assert response.status_code == 415
    assert await HeldCharge.all().count() == 0


def test_the_grouped_api_client_commands_do_the_same(database_url: str) -> None:
    made = run_billing(
        "api-client", "create", "--name", "pharmacy", "--scope", "charges:write",
        database_url=database_url,
    )  # fmt: skip
    revoked = run_billing("api-client", "revoke", "pharmacy", database_url=database_url)
    listed = run_billing("api-client", "list", database_url=database_url)

    assert made.returncode == revoked.returncode == listed.returncode == 0, made.stderr
    assert _created_secret(made.stdout).startswith("bk_")
    assert "pharmacy\tcharges:write\tmade " in listed.stdout
    assert "\trevoked " in listed.stdout
