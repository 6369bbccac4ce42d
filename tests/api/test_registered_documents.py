"""Trusted documents: with ``GRAPHQL_DOCUMENTS=registered`` (production's default) the API
runs only the operations registered in schema/documents, sent by ``documentId`` or as text;
``billing export-operations`` lists them."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from api.app import build_app
from config.settings import Settings, load_settings
from schema.documents.registry import DOCUMENTS_FOLDER, document_id, operation_texts
from tests.support.environments import PRODUCTION
from tests.support.factories.invoices import invoice, location, patient_caller
from tests.support.graphql_client import CONTRACT, contract_operation
from tests.support.paths import CONTRACT_DIR

MY_INVOICES = contract_operation("MyInvoices")
BILLING = Path(sys.executable).with_name("billing")
UNREGISTERED = "query Mine { myInvoices(first: 100) { totalCount } }"


@pytest.fixture
async def registered_only(db: None, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(dataclasses.replace(settings, registered_documents_only=True))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _post(
    http: httpx.AsyncClient, body: dict[str, Any], token: str, accept: str = "application/json"
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}", "accept": accept}
    return await http.post("/graphql", json=body, headers=headers)


async def _patient_with_an_invoice() -> str:
    caller = await patient_caller("ada@example.org")
    await invoice(caller.patient_id, (await location()).id, prices_minor=(12500,))
    return caller.token


def test_production_runs_only_registered_documents_unless_told_otherwise() -> None:
    assert load_settings(PRODUCTION).registered_documents_only
    assert not load_settings(PRODUCTION | {"GRAPHQL_DOCUMENTS": "any"}).registered_documents_only
    assert not load_settings({"BILLING_ENV": "development"}).registered_documents_only


async def test_a_registered_operation_runs_by_its_document_id(
    registered_only: httpx.AsyncClient,
) -> None:
    token = await _patient_with_an_invoice()

    response = await _post(
        registered_only, {"documentId": document_id(MY_INVOICES), "variables": {}}, token
    )

    body = response.json()
    assert "errors" not in body
    assert body["data"]["myInvoices"]["totalCount"] == 1


async def test_the_registered_text_runs_as_written_in_the_contract_or_as_printed(
    registered_only: httpx.AsyncClient,
) -> None:
    token = await _patient_with_an_invoice()
    as_written = _as_written_in(CONTRACT, "query MyInvoices(")

    for text in (MY_INVOICES, as_written):
        body = (await _post(registered_only, {"query": text}, token)).json()
        assert "errors" not in body
        assert body["data"]["myInvoices"]["totalCount"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"query": UNREGISTERED},
        {"documentId": "sha256:" + "0" * 64},
        {"documentId": document_id(MY_INVOICES), "query": UNREGISTERED},
        # Two registered operations in one document are not a registered document.
        {"query": MY_INVOICES + "\n" + contract_operation("Me"), "operationName": "Me"},
    ],
)
async def test_any_other_document_is_refused_with_a_code_and_runs_nothing(
    registered_only: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    token = await _patient_with_an_invoice()

    response = await _post(registered_only, body, token)

    assert response.status_code == 200
    answer = response.json()
    assert answer["data"] is None
    [error] = answer["errors"]
    assert error["extensions"] == {"code": "DOCUMENT_NOT_REGISTERED"}

    strict = await _post(registered_only, body, token, accept="application/graphql-response+json")
    assert strict.status_code == 400
    assert "data" not in strict.json()


async def test_development_runs_any_document_and_registered_ids_too(
    client: httpx.AsyncClient,
) -> None:
    token = await _patient_with_an_invoice()

    by_text = (await _post(client, {"query": UNREGISTERED}, token)).json()
    by_id = (await _post(client, {"documentId": document_id(MY_INVOICES)}, token)).json()

    assert by_text["data"]["myInvoices"]["totalCount"] == 1
    assert by_id["data"]["myInvoices"]["totalCount"] == 1


def test_export_operations_lists_every_registered_operation_under_its_hash() -> None:
    printed = subprocess.run(  # noqa: S603
        [str(BILLING), "export-operations"], capture_output=True, text=True, check=True
    ).stdout
    manifest: dict[str, str] = json.loads(printed)

    assert all(key == document_id(text) for key, text in manifest.items())
    names = {
        operation.name.value
        for text in manifest.values()
        for operation in parse(text).definitions
        if isinstance(operation, OperationDefinitionNode) and operation.name is not None
    }
    assert {"MyInvoices", "PayInvoices", "ChangePassword", "FindPatients"} <= names


def test_every_registered_document_is_valid_against_the_schema(settings: Settings) -> None:
    from schema import build_schema as build_api_schema

    schema = build_schema(build_api_schema(settings).as_str())
    for path in sorted(DOCUMENTS_FOLDER.glob("*.graphql")):
        for text in operation_texts(path.read_text()):
            assert validate(schema, parse(text)) == [], (path.name, text[:60])


def test_the_registered_copies_are_the_contract_files() -> None:
    copies = sorted(DOCUMENTS_FOLDER.glob("*.graphql"))
    assert copies
    for copy in copies:
        assert copy.read_text() == (CONTRACT_DIR / copy.name).read_text(), copy.name


def _as_written_in(contract: Path, start: str) -> str:
    """One operation cut from the contract file with its own layout and comments."""
    source = contract.read_text()
    begin = source.index(start)
    end = source.find("\nquery ", begin + 1)
    following_mutation = source.find("\nmutation ", begin + 1)
    ends = [index for index in (end, following_mutation) if index != -1]
    return source[begin : min(ends)] if ends else source[begin:]
