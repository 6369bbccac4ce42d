"""The Strawberry ASGI view, wired to our context and to orjson."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from auth.sessions import check_access_token
from auth.viewer import ANONYMOUS, EXPIRED, Viewer, viewer_for_session
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
        header is missing or the token is unknown or revoked, and anonymous marked
        ``session_expired`` when the token only ran out of time."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return ANONYMOUS
        checked = await check_access_token(
            token.strip(),
            now=datetime.now(UTC),
            idle_minutes=self.settings.session_idle_minutes,
        )
        if checked.session is not None:
            return viewer_for_session(checked.session)
        return EXPIRED if checked.expired else ANONYMOUS

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
