"""What every resolver can reach through ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from api.settings import Settings


@dataclass
class GraphQLContext:
    request: Request
    response: Response
    settings: Settings
    request_id: str
    client_ip: str
