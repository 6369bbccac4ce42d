"""A tiny client for the GraphQL endpoint, shared by the ``test_graphql_*`` modules (no
tests here).

``gql`` posts one operation (with an optional bearer token) and returns the decoded JSON
body; ``sign_in`` goes through ``login`` (and ``verifyMfa`` when ``totp_secret`` is
given) and returns the access token."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import graphql
import httpx
import pyotp

from tests.support.paths import CONTRACT_DIR

GRAPHQL_PATH = "/graphql"
# The operations the apps send, beside this repository as in CI (../shared/contract).
CONTRACT = CONTRACT_DIR / "operations.graphql"
# The billing office's operations: search, records, worklists, reports and exports.
BILLING_OFFICE_CONTRACT = CONTRACT_DIR / "billing-office.graphql"
ACCOUNT_SECURITY_CONTRACT = CONTRACT_DIR / "account-security.graphql"
# Insurance remittances: 835 uploads and the worklist of unmatched claims.
REMITTANCE_CONTRACT = CONTRACT_DIR / "remittance.graphql"
# Business accounts: organizations on net terms, their statements and collections.
ORGANIZATIONS_CONTRACT = CONTRACT_DIR / "organizations.graphql"
# The contract files this schema implements.
CONTRACTS = (
    CONTRACT,
    ACCOUNT_SECURITY_CONTRACT,
    BILLING_OFFICE_CONTRACT,
    REMITTANCE_CONTRACT,
    ORGANIZATIONS_CONTRACT,
)

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    mfaRequired
    mfaTicket
    session { accessToken refreshToken expiresAt }
    errors { code field message }
  }
}
"""

VERIFY_MFA = """
mutation VerifyMfa($ticket: String!, $code: String!) {
  verifyMfa(ticket: $ticket, code: $code) {
    session { accessToken refreshToken expiresAt }
    errors { code field message }
  }
}
"""


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """POST ``query`` with ``variables`` as the bearer of ``token``; the JSON response body.
    Fails the test when the HTTP status is not 200 (GraphQL errors still come with 200)."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    response = await client.post(GRAPHQL_PATH, json=body, headers=headers)
    assert response.status_code == 200, (response.status_code, response.text)
    result: dict[str, Any] = response.json()
    return result


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str, totp_secret: str | None = None
) -> str:
    """The access token of a new session for ``email``. With ``totp_secret`` the MFA step
    is done with a real code: the current one, or the next step's (still in the accepted
    window) when the current one was already used, since a code is accepted only once."""
    result = await gql(client, LOGIN, {"email": email, "password": password})
    payload = result["data"]["login"]
    assert not payload["errors"], payload["errors"]
    if not payload["mfaRequired"]:
        token: str = payload["session"]["accessToken"]
        return token
    assert totp_secret is not None, f"{email} needs a second factor: pass totp_secret"
    totp = pyotp.TOTP(totp_secret)
    now = time.time()
    for code in (totp.at(now), totp.at(now + totp.interval)):
        result = await gql(client, VERIFY_MFA, {"ticket": payload["mfaTicket"], "code": code})
        verified = result["data"]["verifyMfa"]
        if not verified["errors"]:
            token = verified["session"]["accessToken"]
            return token
    raise AssertionError(f"verifyMfa failed: {verified['errors']}")


def contract_operation(name: str, contract: Path = CONTRACT) -> str:
    """The operation ``name`` exactly as the contract file ``contract`` writes it."""
    document = graphql.parse(contract.read_text(encoding="utf-8"))
    for definition in document.definitions:
        if (
            isinstance(definition, graphql.OperationDefinitionNode)
            and definition.name
            and definition.name.value == name
        ):
            return graphql.print_ast(definition)
    raise LookupError(name)
