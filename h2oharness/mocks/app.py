"""The one endpoint every mock serves: decode, route, inject faults, authenticate, answer in a thread, trap mock bugs,
record, render.

An API plugs in through a ``Wiring``: its router (whose targets are its handlers) and the hooks that keep its wire
behaviour its own: how a request is decoded, who is let in and what a refusal looks like, what a path no route
takes gets (404, 405 with Allow, OPTIONS...), how a handler is called, how its errors and its mock bugs read, and
how a reply becomes a response.

Example:
    wiring = Wiring(name="things", router=router, decode=decode, ...)
    app = build_app(ThingsMockState(), wiring)
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, request_response

from h2oharness.mocks import faults
from h2oharness.mocks.jobs import JOB_FAULTS
from h2oharness.mocks.requestlog import RecordedRequest
from h2oharness.mocks.router import Lookup, Router
from h2oharness.mocks.state import MockState

log = logging.getLogger(__name__)

#: the header a mock's answer carries when the operation is documented but the mock does not implement it (its 404
#: is then no answer of the API's): a contract test that meets it skips, untested, instead of passing on it
UNIMPLEMENTED = "X-H2oharness-Unimplemented"

S = TypeVar("S", bound=MockState)
T = TypeVar("T")
C = TypeVar("C")
R = TypeVar("R")
E = TypeVar("E", bound=Exception)


@dataclass(frozen=True)
class Incoming:
    """One request as the hooks see it: the path routed on, the raw bytes and the headers."""

    method: str
    #: the decoded path the mock routes on (an API's ``path`` hook may strip a prefix or keep it encoded)
    path: str
    raw_path: str
    query_string: str
    headers: Headers
    body: bytes
    base_url: str

    @property
    def content_type(self) -> str:
        """The Content-Type header ('' without one)."""
        return self.headers.get("content-type", "")

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower-cased."""
        return self.content_type.split(";")[0].strip().lower()

    @property
    def user_agent(self) -> str:
        """The User-Agent header ('' without one)."""
        return self.headers.get("user-agent", "")

    @property
    def authorization(self) -> str | None:
        """The Authorization header, or None."""
        return self.headers.get("authorization")


def decoded_path(state: object, request: Request) -> str:
    """The percent-decoded path as the server received it (``request.url.path`` would lose a "?", "#" or newline)."""
    path: str = request.scope["path"]
    return path


def always(lookup: Lookup[Any]) -> bool:
    """Every path needs credentials."""
    return True


def nothing_seen(call: Any) -> tuple[Any, dict[str, str]]:
    """No JSON body and no form fields for the request log."""
    return None, {}


@dataclass(frozen=True)
class Wiring(Generic[S, T, C, R, E]):
    """The per-API parts of a mock's endpoint.

    Order: ``decode`` the request (it may raise the API's ``refusal``); ``unauthorized`` when ``authenticate``
    names a problem and ``protects`` the route; ``unrouted`` when no route takes the method and path; else
    ``invoke`` the route's handler. A ``refusal`` raised by any of them becomes ``refuse``'s reply; any other
    exception is a mock bug: logged, kept in ``state.internal_errors`` and answered by ``bug`` (a 4xx).
    """

    name: str
    router: Router[T]
    decode: Callable[[S, Incoming, Lookup[T]], C]
    #: why the request's credentials are refused, or None when they are good (or none are needed)
    authenticate: Callable[[S, Incoming], str | None]
    unauthorized: Callable[[S, Incoming, Lookup[T], str], R]
    unrouted: Callable[[S, C, Lookup[T]], R]
    invoke: Callable[[S, T, C], R]
    refusal: type[E]
    refuse: Callable[[S, Incoming, Lookup[T], E], R]
    bug: Callable[[S, Incoming, Lookup[T], str], R]
    render: Callable[[S, Incoming, R], Awaitable[Response]]
    #: whether a lookup needs good credentials (every path by default)
    protects: Callable[[Lookup[T]], bool] = always
    path: Callable[[S, Request], str] = decoded_path
    #: what the request log keeps of a decoded call: its JSON body and its form fields
    seen: Callable[[C], tuple[Any, dict[str, str]]] = nothing_seen
    #: answer in a worker thread (handlers block); False answers on the event loop
    threadpool: bool = True


def build_app(state: S, wiring: Wiring[S, Any, Any, Any, Any], routes: Sequence[BaseRoute] = ()) -> Starlette:
    """A Starlette app whose every HTTP request goes to the wiring's endpoint; ``app.state.<name>`` is the state."""
    app = faults.FaultableApp(routes=list(routes))
    # one endpoint takes every request: Starlette's router would answer an unknown path or method with its own
    # text 404/405, answer HEAD on every GET route and match no path with a newline in it
    app.router.default = request_response(endpoint(state, wiring))
    app.operations = frozenset(f"{route.method} {route.template}" for route in wiring.router.routes)
    setattr(app.state, wiring.name, state)
    return app


async def _body(request: Request, limit: int) -> bytes | None:
    """The request's body, or None when it is over ``limit`` bytes: by its Content-Length, or as it comes in."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def endpoint(state: S, wiring: Wiring[S, T, C, R, E]) -> Callable[[Request], Awaitable[Response]]:
    """The request handler of a mock: routes, answers and records every request."""

    async def handle(request: Request) -> Response:
        body = await _body(request, state.max_body_bytes)
        if body is None:
            # any client may send one: held whole, a body of gigabytes would take the mock's memory
            refusal = {"error": f"the request body is over the mock's limit of {state.max_body_bytes} bytes"}
            return JSONResponse(refusal, status_code=413, headers={"Connection": "close"})
        incoming = Incoming(
            method=request.method,
            path=wiring.path(state, request),
            raw_path=(request.scope.get("raw_path") or b"").decode("latin-1"),
            query_string=request.url.query,
            headers=request.headers,
            body=body,
            base_url=str(request.base_url),
        )
        lookup = wiring.router.lookup(incoming.method, incoming.path)
        operation = f"{lookup.route.method} {lookup.route.template}" if lookup.route else ""
        try:
            injected = faults.injection(
                state.faults, incoming.method, incoming.path, operation, incoming.headers.get(faults.HEADER)
            )
        except faults.FaultError as exc:
            return JSONResponse({"error": f"bad {faults.HEADER} header: {exc}"}, status_code=400)
        if injected.latency:
            await asyncio.sleep(injected.latency)
        status = injected.status
        if status is not None or injected.has("reset"):
            reply, call, problem = None, None, None
            response = faults.error_reply(status or 500)
        else:
            work = functools.partial(answer, state, wiring, incoming, lookup, injected.has("expire"))
            token = JOB_FAULTS.set(injected.job_faults)
            try:
                reply, call, problem = await run_in_threadpool(work) if wiring.threadpool else work()
            finally:
                JOB_FAULTS.reset(token)
            response = await wiring.render(state, incoming, reply)
        response = faults.faulty(response, injected)
        json, form = wiring.seen(call) if call is not None else (None, {})
        state.record(
            RecordedRequest(
                method=incoming.method,
                path=incoming.path,
                status=response.status_code,
                raw_path=incoming.raw_path,
                query_string=incoming.query_string,
                content_type=incoming.content_type,
                user_agent=incoming.user_agent,
                body_size=len(incoming.body),
                json=json,
                form=form,
                authorized=problem is None,
            )
        )
        return response

    return handle


def answer(
    state: S, wiring: Wiring[S, T, C, R, E], incoming: Incoming, lookup: Lookup[T], expired: bool = False
) -> tuple[R, C | None, str | None]:
    """The API's reply to a request, the decoded call (None when decoding refused it) and the credentials' problem.

    ``expired`` (an injected fault) refuses the credentials as expired, whatever they are.
    """
    call: C | None = None
    problem = "access token expired" if expired else wiring.authenticate(state, incoming)
    try:
        call = wiring.decode(state, incoming, lookup)
        if problem is not None and wiring.protects(lookup):
            return wiring.unauthorized(state, incoming, lookup, problem), call, problem
        if lookup.route is None:
            return wiring.unrouted(state, call, lookup), call, problem
        return wiring.invoke(state, lookup.route.target, call), call, problem
    except wiring.refusal as err:
        return wiring.refuse(state, incoming, lookup, err), call, problem
    except Exception as exc:  # a mock bug: never a 5xx nor a traceback, but recorded for tests to see
        log.exception("%s mock: %s %s failed", wiring.name, incoming.method, incoming.path)
        what = f"{type(exc).__name__}: {exc}"
        with state.lock:
            state.internal_errors.append(f"{incoming.method} {incoming.path}: {what}")
        return wiring.bug(state, incoming, lookup, what), call, problem
