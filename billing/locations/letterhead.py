"""A location's letterhead: the name, address, phone, accent colour and logo its statements
print. Admins set them; every value is checked before it is kept.

A logo is a PNG or an SVG of at most ``MAX_LOGO_BYTES``. A PNG must decode as one; an SVG
must parse as SVG without a DTD, entities, scripts or references to anything outside itself
(the PDF renderer would otherwise read files or URLs it names). Both must draw in a PDF.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from enum import StrEnum

from defusedxml import ElementTree
from fpdf import FPDF
from PIL import Image, UnidentifiedImageError
from tortoise.exceptions import IntegrityError

from billing.errors import DomainError, ErrorCode
from models.locations import Location, LocationLogo

MAX_LOGO_BYTES = 256 * 1024
MAX_LOGO_PIXELS = 4000
_NAME_MAX = 200
_ADDRESS_MAX = 500
_PHONE = re.compile(r"[0-9+()./ -]{3,40}")
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
_LINK_ATTRIBUTES = ("href", "{http://www.w3.org/1999/xlink}href", "src")


class LogoFormat(StrEnum):
    PNG = "image/png"
    SVG = "image/svg+xml"


@dataclass(frozen=True, slots=True)
class LetterheadChange:
    """What to change; ``None`` leaves a value as it is."""

    name: str | None = None
    address: str | None = None
    phone: str | None = None
    accent_color: str | None = None


async def update_letterhead(location_id: int | None, change: LetterheadChange) -> Location:
    """Apply ``change`` to the location. ``NOT_FOUND`` (``location_id``) for none;
    ``INVALID_INPUT`` on the field at fault; ``CONFLICT`` for a name another location has."""
    location = await _location(location_id)
    if change.name is not None:
        name = " ".join(change.name.split())
        if not name or len(name) > _NAME_MAX:
            raise DomainError(
                ErrorCode.INVALID_INPUT, f"A name of 1-{_NAME_MAX} characters is required.", "name"
            )
        if await Location.filter(name__iexact=name).exclude(id=location.id).exists():
            raise DomainError(ErrorCode.CONFLICT, "A location with this name exists.", "name")
        location.name = name
    if change.address is not None:
        address = change.address.strip()
        if len(address) > _ADDRESS_MAX:
            raise DomainError(
                ErrorCode.INVALID_INPUT, f"At most {_ADDRESS_MAX} characters.", "address"
            )
        location.address = address
    if change.phone is not None:
        phone = " ".join(change.phone.split())
        if phone and not _PHONE.fullmatch(phone):
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                "A phone number of digits, spaces and + ( ) - . / only.",
                "phone",
            )
        location.phone = phone
    if change.accent_color is not None:
        color = change.accent_color.strip()
        if not _COLOR.fullmatch(color):
            raise DomainError(
                ErrorCode.INVALID_INPUT, "A colour as #RRGGBB, such as #1F4E79.", "accent_color"
            )
        location.accent_color = color.upper()
    try:
        await location.save()
    except IntegrityError:
        raise DomainError(ErrorCode.CONFLICT, "A location with this name exists.", "name") from None
    return location


def check_logo(content: bytes, logo_format: LogoFormat) -> bytes:
    """``content`` when it is a logo a statement can print, else ``INVALID_INPUT``
    (field ``content``). CPU work: call it off the event loop."""
    if not content:
        raise DomainError(ErrorCode.INVALID_INPUT, "The logo is empty.", "content")
    if len(content) > MAX_LOGO_BYTES:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"A logo may be at most {MAX_LOGO_BYTES // 1024} KiB.",
            "content",
        )
    if logo_format is LogoFormat.PNG:
        _check_png(content)
    else:
        content = _check_svg(content)
    _check_drawable(content)
    return content


async def set_logo(
    location_id: int | None, content: bytes, logo_format: LogoFormat, uploaded_by: int | None
) -> LocationLogo:
    """Keep ``content`` (already through ``check_logo``) as the location's logo, in place of
    any earlier one."""
    location = await _location(location_id)
    await LocationLogo.filter(location_id=location.id).delete()
    return await LocationLogo.create(
        location_id=location.id,
        content_type=logo_format.value,
        content=content,
        byte_size=len(content),
        uploaded_by_id=uploaded_by,
    )


async def remove_logo(location_id: int | None) -> Location:
    """Drop the location's logo, if it has one."""
    location = await _location(location_id)
    await LocationLogo.filter(location_id=location.id).delete()
    return location


async def _location(location_id: int | None) -> Location:
    location = await Location.get_or_none(id=location_id) if location_id else None
    if location is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such location.", "location_id")
    return location


def _check_png(content: bytes) -> None:
    if not content.startswith(b"\x89PNG\r\n\x1a\n"):
        raise DomainError(ErrorCode.INVALID_INPUT, "The logo is not a PNG image.", "content")
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            width, height = image.size
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError(ErrorCode.INVALID_INPUT, "The PNG image is damaged.", "content") from None
    if kind != "PNG" or not (0 < width <= MAX_LOGO_PIXELS and 0 < height <= MAX_LOGO_PIXELS):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"A PNG logo of at most {MAX_LOGO_PIXELS} x {MAX_LOGO_PIXELS} pixels is needed.",
            "content",
        )


def _check_svg(content: bytes) -> bytes:
    refused = DomainError(
        ErrorCode.INVALID_INPUT,
        "The logo is not a self-contained SVG image (no DTD, entities, scripts or links "
        "to other files).",
        "content",
    )
    try:
        root = ElementTree.fromstring(content, forbid_dtd=True)
    except Exception:  # defusedxml's refusals and XML syntax errors alike
        raise refused from None
    if root.tag != f"{_SVG_NAMESPACE}svg":
        raise refused
    for element in root.iter():
        tag = str(element.tag)
        if tag.endswith(("}script", "}foreignObject", "}image")) or tag in ("script", "image"):
            raise refused
        for attribute in _LINK_ATTRIBUTES:
            link = element.get(attribute)
            if link is not None and not link.startswith("#"):
                raise refused
        if any(name.lower().startswith("on") for name in element.attrib):
            raise refused
    stripped = content.strip()
    # The PDF renderer recognises an SVG by how it begins.
    if not stripped.startswith((b"<?xml ", b"<svg ")):
        raise refused
    return stripped


def _check_drawable(content: bytes) -> None:
    try:
        pdf = FPDF()
        pdf.add_page()
        pdf.image(io.BytesIO(content), x=10, y=10, h=20)
        pdf.output()
    except Exception:  # whatever the renderer cannot draw, the statement could not either
        raise DomainError(
            ErrorCode.INVALID_INPUT, "The logo cannot be drawn in a statement.", "content"
        ) from None
