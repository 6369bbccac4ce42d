"""Sessions for browsers: the refresh token lives in an HttpOnly cookie, never in the
page. The answer carries the access token only (the page keeps it in memory)."""

from __future__ import annotations

from auth.sessions import ABSOLUTE_LIFETIME, IssuedSession
from billing.errors import DomainError, ErrorCode
from schema.accounts.types import Session
from schema.context import REFRESH_COOKIE, REFRESH_COOKIE_PATH, GraphQLContext


def deliver_session(context: GraphQLContext, issued: IssuedSession) -> Session:
    """The session as the caller wants it: both tokens in the answer (phone apps), or the
    refresh token in the cookie and only the access token in the answer (browsers)."""
    session = Session.from_issued(issued)
    if context.cookie_session is None:
        return session
    context.response.set_cookie(
        REFRESH_COOKIE,
        issued.refresh_token,
        max_age=int(ABSOLUTE_LIFETIME.total_seconds()),
        path=REFRESH_COOKIE_PATH,
        secure=context.cookie_session.secure,
        httponly=True,
        samesite="strict",
    )
    session.refresh_token = None
    return session


def refresh_token_of(context: GraphQLContext, argument: str | None) -> str:
    """The refresh token to exchange: the argument, else (for a browser) the cookie's."""
    if argument is not None:
        return argument
    if context.cookie_session is not None and context.cookie_session.refresh_token:
        return context.cookie_session.refresh_token
    # No cookie, or one sent without the CSRF rule's header and Origin: as a bad token.
    raise DomainError(ErrorCode.INVALID_TOKEN, "Sign in again.", field="refreshToken")


def clear_session_cookie(context: GraphQLContext) -> None:
    """Tell a browser to forget its refresh cookie (sign-out, or a refresh that failed)."""
    if context.cookie_session is not None:
        context.response.delete_cookie(
            REFRESH_COOKIE,
            path=REFRESH_COOKIE_PATH,
            secure=context.cookie_session.secure,
            httponly=True,
            samesite="strict",
        )
