"""Listing and adding locations over GraphQL."""

from __future__ import annotations

import httpx

from models.enums import Role
from models.locations import Location
from tests.support.factories.accounts import audit_rows, error_codes, staff_token
from tests.support.graphql_client import gql

LOCATIONS = """
query Locations {
  locations { id name timezone }
}
"""

CREATE_LOCATION = """
mutation CreateLocation($input: CreateLocationInput!) {
  createLocation(input: $input) {
    location { id name timezone }
    errors { code field message }
  }
}
"""

NORTH = {"name": "North Clinic", "timezone": "America/Chicago", "address": "1 Main St"}


async def test_an_admin_adds_a_location_that_staff_then_list(client: httpx.AsyncClient) -> None:
    # given an admin and a billing clerk
    admin, admin_token = await staff_token(Role.ADMIN)
    _clerk, clerk_token = await staff_token(Role.BILLING_STAFF)

    # when the admin adds two locations
    body = await gql(client, CREATE_LOCATION, {"input": NORTH}, token=admin_token)
    south = {"name": "Main Street Clinic", "timezone": "America/New_York"}
    await gql(client, CREATE_LOCATION, {"input": south}, token=admin_token)

    # then the clerk lists them by name, and the additions are on record
    payload = body["data"]["createLocation"]
    assert payload["errors"] == []
    assert payload["location"]["name"] == "North Clinic"
    listed = (await gql(client, LOCATIONS, token=clerk_token))["data"]["locations"]
    assert [(row["name"], row["timezone"]) for row in listed] == [
        ("Main Street Clinic", "America/New_York"),
        ("North Clinic", "America/Chicago"),
    ]
    assert payload["location"]["id"] in {row["id"] for row in listed}
    rows = await audit_rows("location.create")
    assert [(row.actor_id, row.actor_role, row.outcome) for row in rows] == [
        (admin.id, "admin", "SUCCESS")
    ] * 2


async def test_a_duplicate_name_or_unknown_time_zone_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    _admin, token = await staff_token(Role.ADMIN)
    await gql(client, CREATE_LOCATION, {"input": NORTH}, token=token)

    duplicate = await gql(
        client, CREATE_LOCATION, {"input": {**NORTH, "name": "north clinic"}}, token=token
    )
    bad_zone = await gql(
        client,
        CREATE_LOCATION,
        {"input": {**NORTH, "name": "B", "timezone": "Mars/Base"}},
        token=token,
    )

    assert [e["code"] for e in duplicate["data"]["createLocation"]["errors"]] == ["CONFLICT"]
    assert [(e["code"], e["field"]) for e in bad_zone["data"]["createLocation"]["errors"]] == [
        ("INVALID_TIMEZONE", "timezone")
    ]
    assert await Location.all().count() == 1
    outcomes = [row.outcome for row in await audit_rows("location.create")]
    assert outcomes == ["SUCCESS", "FAILURE", "FAILURE"]


async def test_billing_staff_cannot_add_locations_and_the_denial_is_on_record(
    client: httpx.AsyncClient,
) -> None:
    clerk, token = await staff_token(Role.BILLING_STAFF)

    body = await gql(client, CREATE_LOCATION, {"input": NORTH}, token=token)

    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    assert await Location.all().count() == 0
    [denial] = await audit_rows("access.denied")
    assert (denial.actor_id, denial.actor_role, denial.outcome, denial.resource_type) == (
        clerk.id,
        "billing_staff",
        "DENIED",
        "createLocation",
    )


async def test_locations_need_a_session(client: httpx.AsyncClient) -> None:
    body = await gql(client, LOCATIONS)

    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED"]
