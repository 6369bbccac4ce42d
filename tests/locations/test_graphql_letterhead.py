"""Each location's statements carry its own letterhead: an admin sets the name, address,
phone and accent colour and uploads a PNG or SVG logo (size-limited, type-checked, nothing
kept on a refusal); the PDF prints them, and names outside Latin-1 print as written."""

from __future__ import annotations

import base64
import io
import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import httpx
import pypdf
import pytest
from PIL import Image

from billing.patients.rules import create_patient
from config.settings import Settings
from models.audit import AuditEvent
from models.enums import Role
from models.locations import Location as LocationRow
from models.locations import LocationLogo
from tests.support.factories.accounts import api_cipher
from tests.support.factories.auth import make_user
from tests.support.factories.invoices import (
    Caller,
    PatientCaller,
    _token,
    global_id,
    invoice,
    location,
    staff_caller,
)
from tests.support.graphql_client import contract_operation, gql

UPDATE = """
mutation UpdateLetterhead($input: UpdateLocationLetterheadInput!) {
  updateLocationLetterhead(input: $input) {
    location { id name address phone accentColor logo { format byteSize } }
    errors { code field message }
  }
}
"""
SET_LOGO = """
mutation SetLogo($input: SetLocationLogoInput!) {
  setLocationLogo(input: $input) {
    logo { format byteSize uploadedAt }
    errors { code field message }
  }
}
"""
REMOVE_LOGO = """
mutation RemoveLogo($id: ID!) {
  removeLocationLogo(locationId: $id) { location { logo { format } } errors { code field } }
}
"""
CREATE_LINK = contract_operation("CreateInvoicePdfLink")

SVG_LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20" width="40" height="20">'
    b'<rect x="0" y="0" width="40" height="20" fill="#0A7E3B"/></svg>'
)


def _png(color: tuple[int, int, int], size: tuple[int, int] = (40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def _encoded(content: bytes) -> str:
    return base64.b64encode(content).decode()


async def _payload(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str, name: str
) -> dict[str, Any]:
    body = await gql(client, query, variables, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


def _fill_colors(stream: str) -> set[tuple[int, int, int]]:
    """The fill colours (``r g b rg`` operators) a page's content stream sets, as 0-255."""
    found = re.findall(r"([0-9.]+) ([0-9.]+) ([0-9.]+) rg", stream)
    return {tuple(round(float(part) * 255) for part in rgb) for rgb in found}  # type: ignore[misc]


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16)


async def _statement_pdf(client: httpx.AsyncClient, invoice_id: int, token: str) -> bytes:
    payload = await _payload(
        client,
        CREATE_LINK,
        {"invoiceId": global_id("Invoice", invoice_id)},
        token,
        "createInvoicePdfLink",
    )
    response = await client.get(urlsplit(payload["url"]).path)
    assert response.status_code == 200
    return response.content


async def test_each_location_prints_its_own_letterhead_and_unicode_names(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given two sites with their own letterhead, one with a PNG logo and one with an SVG
    admin = await staff_caller(Role.ADMIN)
    north = await location("North Clinic")
    south = await location("South Clinic")
    sites = {
        north.id: (
            "North Clinic — Ørsted Wing",
            "12 Elm Street\nSpringfield",
            "+1 (555) 010-2000",
            "#0A7E3B",
        ),
        south.id: ("South Clinic", "4 Harbour Road\nPortsmouth", "555-0199", "#8E1B5C"),
    }
    for site_id, (name, address, phone, color) in sites.items():
        updated = await _payload(
            client,
            UPDATE,
            {
                "input": {
                    "locationId": global_id("Location", site_id),
                    "name": name,
                    "address": address,
                    "phone": phone,
                    "accentColor": color.lower(),
                }
            },
            admin.token,
            "updateLocationLetterhead",
        )
        assert updated["errors"] == []
        assert updated["location"]["accentColor"] == color
    png = _png((10, 126, 59))
    for site_id, logo_format, content in ((north.id, "PNG", png), (south.id, "SVG", SVG_LOGO)):
        uploaded = await _payload(
            client,
            SET_LOGO,
            {
                "input": {
                    "locationId": global_id("Location", site_id),
                    "format": logo_format,
                    "contentBase64": _encoded(content),
                }
            },
            admin.token,
            "setLocationLogo",
        )
        assert uploaded["errors"] == []
        assert uploaded["logo"]["format"] == logo_format
        assert uploaded["logo"]["byteSize"] == len(content)

    # and a patient whose name is not Latin-1, billed at both
    patient = await create_patient(
        api_cipher(settings), "Zoë", "Nguyễn", date(1990, 4, 1), None, None, north.id
    )
    user = await make_user("zoe@example.org", Role.PATIENT, patient=patient)
    zoe = PatientCaller(user.id, await _token(user.id), patient.id)
    bills = {site_id: await invoice(patient.id, site_id) for site_id in sites}

    # when she opens each statement
    for site_id, (name, address, phone, color) in sites.items():
        content = await _statement_pdf(client, bills[site_id].id, zoe.token)

        # then it reads back with its own letterhead and her name as written
        reader = pypdf.PdfReader(io.BytesIO(content))
        page = reader.pages[0]
        text = page.extract_text()
        assert "Zoë Nguyễn" in text
        assert "?" not in text.replace("Questions", "")
        assert name in text
        for line in address.splitlines():
            assert line in text
        assert phone in text
        other_name = next(n for s, (n, *_rest) in sites.items() if s != site_id)
        assert other_name not in text
        contents = page.get_contents()
        assert contents is not None
        stream = contents.get_data().decode("latin-1")
        assert _rgb(color) in _fill_colors(stream)
        resources: Any = page["/Resources"]
        images = resources.get("/XObject", {})
        if site_id == north.id:
            assert len(images) == 1, "the PNG logo is drawn as an image"
        else:
            assert not images, "the SVG logo is drawn as vector paths"
            assert _rgb("#0A7E3B") in _fill_colors(stream), "the SVG's own fill is drawn"
    fonts = {str(font["/BaseFont"]) for font in resources["/Font"].values()}
    assert all("DejaVuSans" in font for font in fonts), fonts


@pytest.mark.parametrize(
    ("logo_format", "content", "why"),
    [
        ("PNG", b"GIF89a" + b"\x00" * 20, "not a PNG"),
        ("PNG", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "a damaged PNG"),
        ("PNG", _png((0, 0, 0), (4001, 1)), "too many pixels"),
        ("SVG", _png((0, 0, 0)), "a PNG called SVG"),
        (
            "SVG",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "a script",
        ),
        (
            "SVG",
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<image xlink:href="file:///etc/passwd" width="1" height="1"/></svg>',
            "a link to a file",
        ),
        (
            "SVG",
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&e;</text></svg>',
            "an external entity",
        ),
        ("SVG", b"<html><body>not an svg</body></html>", "not SVG"),
        ("PNG", b"\x89PNG\r\n\x1a\n" + b"\x00" * (256 * 1024), "too large"),
    ],
)
async def test_a_logo_that_is_not_a_safe_image_of_its_type_is_refused_and_nothing_kept(
    client: httpx.AsyncClient, logo_format: str, content: bytes, why: str
) -> None:
    admin = await staff_caller(Role.ADMIN)
    site = await location()

    refused = await _payload(
        client,
        SET_LOGO,
        {
            "input": {
                "locationId": global_id("Location", site.id),
                "format": logo_format,
                "contentBase64": _encoded(content),
            }
        },
        admin.token,
        "setLocationLogo",
    )

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("INVALID_INPUT", "contentBase64")
    ], why
    assert refused["logo"] is None
    assert not await LocationLogo.exists(location_id=site.id)
    assert await AuditEvent.filter(action="location.logo_set", outcome="FAILURE").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"accentColor": "green"}, "accentColor"),
        ({"accentColor": "#12345"}, "accentColor"),
        ({"phone": "call <script>"}, "phone"),
        ({"name": "   "}, "name"),
    ],
)
async def test_a_bad_letterhead_value_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, change: dict[str, str], field: str
) -> None:
    admin = await staff_caller(Role.ADMIN)
    site = await location()

    refused = await _payload(
        client,
        UPDATE,
        {"input": {"locationId": global_id("Location", site.id), "phone": "555-0100", **change}},
        admin.token,
        "updateLocationLetterhead",
    )

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_INPUT", field)]
    row = await LocationRow.get(id=site.id)
    assert (row.name, row.phone, row.accent_color) == ("North Clinic", "", "#1F4E79")


async def test_only_admins_change_letterheads(client: httpx.AsyncClient) -> None:
    clerk: Caller = await staff_caller(Role.BILLING_STAFF)
    site = await location()

    body = await gql(
        client,
        UPDATE,
        {"input": {"locationId": global_id("Location", site.id), "phone": "555-0100"}},
        token=clerk.token,
    )

    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert (await LocationRow.get(id=site.id)).phone == ""


async def test_a_logo_can_be_replaced_and_removed(client: httpx.AsyncClient) -> None:
    admin = await staff_caller(Role.ADMIN)
    site = await location()
    site_id = global_id("Location", site.id)
    for content in (_png((1, 2, 3)), _png((4, 5, 6), (80, 40))):
        await _payload(
            client,
            SET_LOGO,
            {"input": {"locationId": site_id, "format": "PNG", "contentBase64": _encoded(content)}},
            admin.token,
            "setLocationLogo",
        )

    assert await LocationLogo.filter(location_id=site.id).count() == 1
    removed = await _payload(
        client, REMOVE_LOGO, {"id": site_id}, admin.token, "removeLocationLogo"
    )
    assert removed == {"location": {"logo": None}, "errors": []}
    assert not await LocationLogo.exists(location_id=site.id)
