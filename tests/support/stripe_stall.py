"""A loopback proxy in front of the Stripe simulator that can stop answering, as Stripe does
when the network between us times out (no tests here).

``StallingProxy`` forwards every request to the simulator unchanged, except those whose
path starts with a prefix given to ``stall``: with ``forward=False`` such a request never
reaches the simulator (Stripe unreachable); with ``forward=True`` the simulator does the work
but its answer is withheld (the response lost on the way back). A stalled request waits until
``lift`` or ``release_all``; the caller's own timeout is what ends it first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.stripe_fixture import free_socket, serving

# Hop-by-hop or recomputed headers, not copied between the two connections.
_NOT_FORWARDED = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}


@dataclass
class _Stall:
    prefix: str
    forward: bool


@dataclass
class StallingProxy:
    simulator: httpx.AsyncClient
    stalls: list[_Stall] = field(default_factory=list)
    stalled_requests: list[str] = field(default_factory=list)
    stalled_event: asyncio.Event = field(default_factory=asyncio.Event)
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def stall(self, prefix: str, *, forward: bool) -> None:
        self.stalls.append(_Stall(prefix, forward))

    def lift(self) -> None:
        """Stop stalling new requests and let the stalled ones end."""
        self.stalls.clear()
        self._released.set()
        self._released = asyncio.Event()

    def release_all(self) -> None:
        self.stalls.clear()
        self._released.set()

    async def first_stalled(self) -> str:
        """Wait until a request is held; the path of the first one."""
        async with asyncio.timeout(20):
            await self.stalled_event.wait()
        return self.stalled_requests[0]

    async def handle(self, request: Request) -> Response:
        stall = next((s for s in self.stalls if request.url.path.startswith(s.prefix)), None)
        if stall is not None and not stall.forward:
            await self._hold(request)
            return Response(status_code=503)
        answer = await self.simulator.request(
            request.method,
            request.url.path,
            params=request.query_params,
            content=await request.body(),
            headers=_forwarded(request.headers.items()),
        )
        if stall is not None:
            await self._hold(request)
            return Response(status_code=503)
        return Response(
            answer.content, answer.status_code, headers=_forwarded(answer.headers.items())
        )

    async def _hold(self, request: Request) -> None:
        self.stalled_requests.append(f"{request.method} {request.url.path}")
        self.stalled_event.set()
        await self._released.wait()


def _forwarded(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name: value for name, value in headers if name.lower() not in _NOT_FORWARDED}


@asynccontextmanager
async def stalling_proxy(simulator_url: str) -> AsyncIterator[tuple[StallingProxy, str]]:
    """The proxy served on a free loopback port, and its URL."""
    async with httpx.AsyncClient(base_url=simulator_url, timeout=10) as simulator:
        proxy = StallingProxy(simulator)
        app = Starlette(
            routes=[Route("/{path:path}", proxy.handle, methods=["GET", "POST", "DELETE"])]
        )
        async with serving(app, free_socket(), lifespan="off") as url:
            try:
                yield proxy, url
            finally:
                # Held requests must end before the server can stop.
                proxy.release_all()
