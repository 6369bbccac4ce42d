"""The Strawberry ASGI view, wired to our context and to orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.settings import Settings
from schema.context import GraphQLContext


class BillingGraphQL(GraphQL[GraphQLContext, None]):
    """POST with a JSON body only: no queries over GET, no batching, no uploads, no
    subscriptions. GraphiQL is served (over GET) in development only."""

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if not settings.is_production else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=False,
            subscription_protocols=(),
        )
        self.settings = settings

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GraphQLContext:
        assert isinstance(request, Request)
        assert isinstance(response, Response)
        client_ip = request.client.host if request.client else ""
        return GraphQLContext(
            request=request,
            response=response,
            settings=self.settings,
            request_id=request.scope.get("state", {}).get("request_id", ""),
            client_ip=client_ip,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
