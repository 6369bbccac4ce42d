"""The Strawberry ASGI view, wired to our context and to orjson."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http import process_result as http_result
from strawberry.types import ExecutionResult

from api.graphql_media import GRAPHQL_RESPONSE_JSON, is_request_error, preferred_media_type
from api.origins import OriginPolicy
from auth.sessions import check_access_token
from auth.viewer import ANONYMOUS, EXPIRED, Viewer, viewer_for_session
from billing.audit.buffer import AuditActor, AuditBuffer
from billing.audit.chain import audit_chain_key
from config.settings import Settings
from schema.context import REFRESH_COOKIE, SESSION_TRANSPORT_HEADER, CookieSession, GraphQLContext
from schema.documents.registry import RegisteredDocuments, bundled_documents

# Where ``parse_json`` keeps the body's ``documentId`` until ``execute_operation`` reads it
# (Strawberry's request data has no field for it).
_DOCUMENT_ID = "__billing_document_id"


class _SubResponse(Response):
    """Strawberry's sub-response, carrying the media type the request asked for."""

    media_type_wanted: str = "application/json"


class BillingGraphQL(GraphQL[GraphQLContext, None]):
    """POST with a JSON body only: no queries over GET, no batching, no uploads, no
    subscriptions. GraphiQL is served (over GET) in development only.

    A request whose ``Accept`` prefers ``application/graphql-response+json`` is answered
    with that type, and its request errors with 400 and no ``data``; ``application/json``
    is answered as Strawberry does (200, ``data`` and ``errors``).
    """

    def __init__(self, schema: Any, settings: Settings, origins: OriginPolicy) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if not settings.is_production else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=False,
            subscription_protocols=(),
        )
        self.settings = settings
        self.origins = origins
        self.audit_key = audit_chain_key(settings.secret_key.reveal())
        self.documents: RegisteredDocuments = bundled_documents()

    async def execute_operation(
        self,
        request: Request,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: GraphQLContext,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        """Runs a registered document sent by ``documentId``; with
        ``registered_documents_only``, refuses any other document before parsing it."""
        if isinstance(request_data, GraphQLRequestData):
            refusal = self._admit(request_data)
            if refusal is not None:
                return ExecutionResult(data=None, errors=[refusal])
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    def _admit(self, request_data: GraphQLRequestData) -> GraphQLError | None:
        extensions = request_data.extensions or {}
        sent_id = extensions.pop(_DOCUMENT_ID, None)
        if sent_id is not None:
            text = self.documents.text_of(sent_id) if isinstance(sent_id, str) else None
            if text is None or (request_data.query not in (None, text)):
                return _not_registered("No registered document has this documentId.")
            request_data.query = text
            return None
        query = request_data.query
        if self.settings.registered_documents_only and query and not self.documents.admits(query):
            return _not_registered(
                "This server runs only registered documents: send the documentId of "
                "an operation that `billing export-operations` lists."
            )
        return None

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = _SubResponse()
        sub_response.status_code = None  # type: ignore[assignment]
        del sub_response.headers["content-length"]
        sub_response.media_type_wanted = preferred_media_type(request.headers.get("accept"))
        # process_result is given the request only: it finds its sub-response here.
        request.state.graphql_sub_response = sub_response
        return sub_response

    async def process_result(
        self, request: Request | WebSocket, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response_data = http_result(result)
        sub_response = getattr(request.state, "graphql_sub_response", None)
        if (
            isinstance(sub_response, _SubResponse)
            and sub_response.media_type_wanted == GRAPHQL_RESPONSE_JSON
            and is_request_error(result.data, result.errors)
        ):
            response_data.pop("data", None)
            sub_response.status_code = 400
        return response_data

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if (
            isinstance(sub_response, _SubResponse)
            and sub_response.media_type_wanted == GRAPHQL_RESPONSE_JSON
        ):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
        return response

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
            cookie_session=self._cookie_session(request),
        )

    def _cookie_session(self, request: Request) -> CookieSession | None:
        """A browser's opt-in to the cookie session (``X-Session-Transport: cookie``).

        The refresh cookie is read only when the request also names, in ``Origin``, this
        service or an origin listed in ``CORS_ALLOWED_ORIGINS``: no HTML form can send the
        header, and another site's script cannot send it without a CORS preflight that
        only listed origins pass, so the cookie never acts for another site (CSRF)."""
        if request.headers.get(SESSION_TRANSPORT_HEADER, "").strip().lower() != "cookie":
            return None
        origin = request.headers.get("origin")
        trusted = origin is not None and self.origins.may_use_cookies(origin, request.scope)
        return CookieSession(
            refresh_token=request.cookies.get(REFRESH_COOKIE) if trusted else None,
            secure=self.settings.browser.secure_cookies,
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
        if isinstance(parsed, dict) and "documentId" in parsed:
            extensions = parsed.setdefault("extensions", {})
            if isinstance(extensions, dict):
                extensions[_DOCUMENT_ID] = parsed["documentId"]
        return parsed

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def _not_registered(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "DOCUMENT_NOT_REGISTERED"})
