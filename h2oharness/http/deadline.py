"""A total deadline on each request the harness sends: connect, headers and the whole body, a dripped one included.

httpx's and requests' timeouts bound each read, so a body arriving a byte a second never times out. Here every
per-read timeout is capped at the deadline and the body is read against the clock, so a request ends within about
twice its deadline whatever the server does (one last read may start just before it). Errors name the request.

Example:
    client = httpx.Client(transport=deadline_transport(30.0, verify=tls_context()))
    session.mount("http://", DeadlineAdapter(30.0))
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from typing import Any

import httpx
import requests
import urllib3
from requests.adapters import HTTPAdapter

#: seconds a request may take from its first byte sent to the last byte of its answer, unless a setting says
DEFAULT_REQUEST_DEADLINE = 120.0
#: per-request override of the deadline (``client.stream(..., extensions={DEADLINE: 600})`` for a long stream)
DEADLINE = "h2oharness_deadline"
#: the Content-Types of a streamed answer (JSONL, SSE): one lives by the stream deadline where one is given
STREAMING_TYPES = ("application/jsonl", "application/x-ndjson", "text/event-stream")
#: per-request: the media types of the stream the caller will read (``open_stream`` sets it); without it, JSON
EXPECTED_TYPES = "h2oharness_expected_types"


def unexpected_type(content_type: str, expected: frozenset[str] | None) -> str:
    """Why an answer's ``content_type`` is not what the caller reads ('' when it is): JSON (``application/json``,
    ``+json``) when ``expected`` is None, else one of ``expected`` (an empty set: any of ``STREAMING_TYPES``)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if expected is None:
        return (
            ""
            if media == "application/json" or media.endswith("+json")
            else f"expected JSON, got {media or 'no Content-Type'}"
        )
    allowed = expected or frozenset(STREAMING_TYPES)
    if media in allowed:
        return ""
    return f"expected a stream ({' or '.join(sorted(allowed))}), got {media or 'no Content-Type'}"


def describe(method: str, url: str | httpx.URL) -> str:
    """``GET /3/Cloud``: how a message names a request (the path only: a query may carry anything)."""
    path = url.path if isinstance(url, httpx.URL) else urllib3.util.parse_url(url).path or "/"
    return f"{method.upper()} {path}"


def _unanswered(what: str, why: str) -> str:
    """``GET /3/Cloud: no complete answer (why)``: how a message says that a request got no answer, and why."""
    return f"{what}: no complete answer {why}"


def _late(what: str, deadline: float) -> str:
    return _unanswered(what, f"within {deadline:g} s (the request's total deadline)")


def _failed(what: str, exc: BaseException) -> str:
    """The message of a transport error on the request ``what``: a reset in the harness's words, else the error's."""
    if _was_reset(exc):
        return _unanswered(what, "(the target reset the connection)")
    return f"{what}: {exc or type(exc).__name__}"


def _was_reset(exc: BaseException) -> bool:
    """Whether the target reset the connection (an RST) under ``exc``: httpx and urllib3 wrap the OSError."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        current = stack.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        if isinstance(current, ConnectionResetError):
            return True
        seen.add(id(current))
        stack += [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
    return False


def _capped(timeout: Any, deadline: float) -> Any:
    if isinstance(timeout, tuple):
        return tuple(deadline if t is None else min(t, deadline) for t in timeout)
    return deadline if timeout is None else min(timeout, deadline)


class _DeadlineStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, request: httpx.Request, started: float, deadline: float) -> None:
        self.inner, self.request, self.started, self.deadline = inner, request, started, deadline

    def __iter__(self) -> Iterator[bytes]:
        what = describe(self.request.method, self.request.url)
        try:
            for chunk in self.inner:
                yield chunk
                if time.monotonic() - self.started > self.deadline:
                    raise httpx.ReadTimeout(_late(what, self.deadline), request=self.request)
        except httpx.TransportError as exc:
            if str(exc).startswith(what):
                raise
            raise type(exc)(_failed(what, exc), request=self.request) from exc

    def close(self) -> None:
        self.inner.close()


class DeadlineTransport(httpx.BaseTransport):
    """An httpx transport that gives every request a total deadline and names the request in its errors."""

    def __init__(self, inner: httpx.BaseTransport, deadline: float) -> None:
        self.inner = inner
        self.deadline = deadline

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the inner transport with capped timeouts; its body is read against the clock."""
        deadline = float(request.extensions.get(DEADLINE, self.deadline))
        timeouts = dict(request.extensions.get("timeout") or {})
        request.extensions["timeout"] = {k: _capped(timeouts.get(k), deadline) for k in ("connect", "read", "write")}
        request.extensions["timeout"]["pool"] = _capped(timeouts.get("pool"), deadline)
        started = time.monotonic()
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as exc:
            what = describe(request.method, request.url)
            raise type(exc)(_failed(what, exc), request=request) from exc
        if isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _DeadlineStream(response.stream, request, started, deadline)
        return response

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()


def deadline_transport(deadline: float, verify: ssl.SSLContext | bool = True) -> DeadlineTransport:
    """An HTTP transport (connection pool) whose requests each have ``deadline`` seconds in all."""
    return DeadlineTransport(httpx.HTTPTransport(verify=verify), deadline)


class DeadlineAdapter(HTTPAdapter):
    """A requests adapter (what schemathesis sends with) giving every request a total deadline.

    The answer is read here, piece by piece as it arrives, against the clock, even when the caller asked to stream
    it (schemathesis always does, then reads it whole), an event stream included: a stream dripped a byte at a time
    would otherwise hold the test to its own deadline; a streamed answer (``STREAMING_TYPES``) by
    ``stream_deadline`` when one is given. Errors are requests' own exception types, their messages naming the
    request.
    """

    def __init__(self, deadline: float, stream_deadline: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deadline = deadline
        self.stream_deadline = stream_deadline or deadline

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        """Send ``request`` and read its whole body within the deadline."""
        what = describe(request.method or "GET", request.url or "/")
        started = time.monotonic()
        try:
            response = super().send(request, stream=True, timeout=_capped(timeout, self.deadline), **kwargs)
        except requests.RequestException as exc:
            raise type(exc)(_failed(what, exc), request=request) from exc
        pieces: list[bytes] = []
        raw = response.raw
        streamed = any(t in response.headers.get("content-type", "") for t in STREAMING_TYPES)
        deadline = self.stream_deadline if streamed else self.deadline
        try:
            while piece := raw.read1(65536, decode_content=True):
                pieces.append(piece)
                if time.monotonic() - started > deadline:
                    raise requests.Timeout(_late(what, deadline), request=request, response=response)
        except requests.Timeout:
            response.close()
            raise
        except urllib3.exceptions.ProtocolError as exc:
            response.close()
            raise requests.exceptions.ChunkedEncodingError(_failed(what, exc), request=request) from exc
        except urllib3.exceptions.DecodeError as exc:
            response.close()
            raise requests.exceptions.ContentDecodingError(f"{what}: {exc}", request=request) from exc
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.SSLError, OSError) as exc:
            response.close()
            raise requests.ConnectionError(_failed(what, exc), request=request) from exc
        response._content = b"".join(pieces)
        response._content_consumed = True
        raw.release_conn()
        return response


def deadline_session(
    session: requests.Session, deadline: float, stream_deadline: float | None = None
) -> requests.Session:
    """``session`` with a total deadline on every request it sends (``stream_deadline`` on a streamed answer)."""
    for prefix in ("http://", "https://"):
        session.mount(prefix, DeadlineAdapter(deadline, stream_deadline))
    return session
