"""The Strawberry ASGI view, wired to our context and to orjson."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from auth.sessions import authenticate
from auth.viewer import ANONYMOUS, Viewer, viewer_for_session
from billing.audit.buffer import AuditActor, AuditBuffer
from billing.audit.chain import audit_chain_key
from config.settings import Settings
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
        self.audit_key = audit_chain_key(settings.secret_key.reveal())

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GraphQLContext:
        assert isinstance(request, Request)
        assert isinstance(response, Response)
        client_ip = request.client.host if request.client else ""
        request_id = request.scope.get("state", {}).get("request_id", "")
        viewer = await self._viewer(request)
        actor = AuditActor(
            user_id=viewer.user_id, role=viewer.role, ip_address=client_ip, request_id=request_id
        )
        return GraphQLContext(
            request=request,
            response=response,
            settings=self.settings,
            request_id=request_id,
            client_ip=client_ip,
            viewer=viewer,
            audit=AuditBuffer(actor, key=self.audit_key),
        )

    async def _viewer(self, request: Request) -> Viewer:
        """The caller named by ``Authorization: Bearer <access token>``; anonymous when the
        header is missing or the token is unknown, expired or revoked."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return ANONYMOUS
        session = await authenticate(
            token.strip(),
            now=datetime.now(UTC),
            idle_minutes=self.settings.session_idle_minutes,
        )
        return ANONYMOUS if session is None else viewer_for_session(session)

    def parse_json(self, data: str | bytes) -> Any:
        """The request body as JSON: an object (a list is a batch, which the view refuses).
        Anything else, invalid UTF-8 and nesting deeper than orjson's limit are the
        client's mistake, answered 400 (with the request id, like every answer)."""
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return parsed

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
