"""Read a streamed response as it arrives, time it, and hold it to its format.

Two formats, one reader each, both built on an OPEN httpx streaming response and the
``time.perf_counter()`` at which its request was sent:

* ``JsonlStream``: h2oGPTe completions (``application/jsonl``): one JSON object per line,
  ``{"body": "<delta>", "finished": false}`` ..., a last line with ``"finished": true`` and a
  ``message_id``; an ``{"error": ...}`` line ends a failed stream; blank lines are ignored.
* ``SseStream``: server-sent events (``text/event-stream``): ``data: {json}`` events separated
  by blank lines, comments (``:``) and other fields allowed, ending with ``data: [DONE]``. What an
  event means to an API (its text, an error, an end before ``[DONE]``) is a subclass's: the
  OpenAI-compatible ones are in :mod:`h2oharness.apis.h2ogpte.openai_streams`.

Iterating a reader yields a ``StreamEvent`` per data event as soon as the chunk that completes it
arrives (the body is never buffered whole), fills ``.stats`` as it goes and raises a
``StreamViolation`` the moment the stream breaks its contract: a malformed line, anything after
the end, a cut (EOF or transport error before the end), a missing ``message_id``, an error line
(``StreamServerError``), a wrong Content-Type, or a ``max_events`` / ``deadline`` bound.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import httpx

from h2oharness.errors import HarnessError, StreamCut, StreamServerError, StreamViolation, TargetUnavailable
from h2oharness.http.deadline import DEADLINE, EXPECTED_TYPES
from h2oharness.http.redact import redact
from h2oharness.http.streammetrics import StreamMetrics, measure, reported_output_tokens

__all__ = [
    "JSONL_CONTENT_TYPES",
    "SSE_CONTENT_TYPES",
    "JsonlStream",
    "SseStream",
    "StreamEvent",
    "StreamStats",
    "open_stream",
    "percentile",
]

JSONL_CONTENT_TYPES = frozenset({"application/jsonl"})
SSE_CONTENT_TYPES = frozenset({"text/event-stream"})
EXCERPT_CHARS = 120
_TERMINATOR = re.compile(r"\r\n|\r|\n")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` redacted and cut to ``limit`` characters, quoted so that whitespace shows."""
    text = redact(text)
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, linearly interpolated between order statistics.

    Example:
        >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
        2.5
    """
    if not values:
        raise HarnessError("percentile of no values")
    if not 0 <= q <= 100 or math.isnan(q):
        raise HarnessError(f"percentile q must be within 0..100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class StreamEvent:
    """One data event: when it arrived, what it said, the line(s) it came from and the text it carries."""

    index: int
    at: float
    data: dict[str, Any]
    raw: str
    text: str = ""
    line: int = 0
    event: str = ""


@dataclass
class StreamStats:
    """Timings of one stream, in seconds since its request was sent; filled while it is read."""

    time_to_headers: float
    time_to_first_event: float | None = None
    time_to_first_token: float | None = None
    gaps: list[float] = field(default_factory=list)
    events: int = 0
    tokens: int = 0
    characters: int = 0
    duration: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        """Text-carrying events per second of the whole stream so far (0.0 before any time has passed)."""
        return self.tokens / self.duration if self.duration > 0 else 0.0

    def stalls(self, threshold: float) -> list[float]:
        """The gaps between consecutive data events that are longer than ``threshold`` seconds."""
        return [gap for gap in self.gaps if gap > threshold]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy, with ``tokens_per_second``."""
        return {**asdict(self), "tokens_per_second": self.tokens_per_second}

    def _add(self, event: StreamEvent, previous_at: float | None) -> None:
        self.events += 1
        if previous_at is not None:
            self.gaps.append(event.at - previous_at)
        if self.time_to_first_event is None:
            self.time_to_first_event = event.at
        if event.text:
            self.tokens += 1
            self.characters += len(event.text)
            if self.time_to_first_token is None:
                self.time_to_first_token = event.at


class _Lines:
    """Split text into lines at LF, CRLF or CR, also when a terminator straddles two chunks."""

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, text: str) -> list[str]:
        data = self._pending + text
        lines: list[str] = []
        start = 0
        for match in _TERMINATOR.finditer(data):
            if match.group() == "\r" and match.end() == len(data):
                break  # perhaps the first half of a CRLF whose LF is in the next chunk
            lines.append(data[start : match.start()])
            start = match.end()
        self._pending = data[start:]
        return lines

    def flush(self) -> tuple[list[str], str]:
        """At EOF: the lines still complete, and the unterminated rest."""
        rest, self._pending = self._pending, ""
        if rest.endswith("\r"):
            return [rest[:-1]], ""
        return [], rest


def _media_type(response: httpx.Response) -> str:
    content_type: str = response.headers.get("content-type", "")
    return content_type.split(";", 1)[0].strip().lower()


def _head_of_body(response: httpx.Response, limit: int = 2000, seconds: float = 5.0) -> str:
    """The first ``limit`` bytes of an error body (what came within ``seconds``), for a message; never raises."""
    collected = b""
    give_up = time.monotonic() + seconds
    try:
        for chunk in response.iter_bytes():
            collected += chunk
            if len(collected) >= limit or time.monotonic() > give_up:
                break
    except (httpx.HTTPError, httpx.StreamError):
        pass
    return collected[:limit].decode("utf-8", "replace")


class _Reader:
    """What both readers share: the head check, chunk timing, line numbering, bounds and the EOF check."""

    kind = "stream"
    content_types: frozenset[str] = frozenset()

    def __init__(
        self,
        response: httpx.Response,
        sent_at: float,
        *,
        headers_at: float | None = None,
        max_events: int | None = None,
        deadline: float | None = None,
        content_types: frozenset[str] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if max_events is not None and max_events < 1:
            raise HarnessError(f"max_events must be at least 1, got {max_events}")
        if deadline is not None and not deadline > 0:
            raise HarnessError(f"deadline must be a positive number of seconds, got {deadline}")
        self.response = response
        self.events: list[StreamEvent] = []
        self.final: StreamEvent | None = None
        self.finished = False
        self.sent_at = sent_at  # the clock() reading at which the request was sent; every ``at`` counts from it
        self._clock = clock
        self._max_events = max_events
        self._deadline = deadline
        self._started = False
        self._line_no = 0
        self._last_line: tuple[int, str] | None = None
        arrived = clock() if headers_at is None else headers_at
        self.stats = StreamStats(time_to_headers=arrived - sent_at)
        self._setup()
        self._check_head(content_types or self.content_types)

    def _setup(self) -> None:
        """Make the format's own parser state (a hook for subclasses)."""

    @property
    def text(self) -> str:
        """The text of every event read so far, joined."""
        return "".join(event.text for event in self.events)

    def metrics(self) -> StreamMetrics:
        """TTFT, ITL, TPOT, E2E and output tokens of what was read, as the field defines them (streammetrics)."""
        reported = None
        for event in self.events:
            found = reported_output_tokens(event.data)
            reported = found if found is not None else reported
        return measure([event.at for event in self.events if event.text], self.stats.duration, reported)

    def read(self) -> list[StreamEvent]:
        """Read the stream to its end and return all its events."""
        for _ in self:
            pass
        return self.events

    def __iter__(self) -> Iterator[StreamEvent]:
        """Yield each data event as it arrives; raise StreamViolation when the stream breaks its contract."""
        if self._started:
            raise HarnessError(f"this {self.kind} stream is already being read; a stream can be read once")
        self._started = True
        return self._events()

    def _check_head(self, allowed: frozenset[str]) -> None:
        response = self.response
        if not response.is_success:
            raise StreamViolation(
                f"expected a {self.kind} stream, got HTTP {response.status_code} "
                f"({response.headers.get('content-type', 'no Content-Type')}): {excerpt(_head_of_body(response))}"
            )
        media_type = _media_type(response)
        if media_type not in allowed:
            raise StreamViolation(
                f"expected a {self.kind} stream with Content-Type {' or '.join(sorted(allowed))}, "
                f"got {response.headers.get('content-type', 'none')!r}"
            )

    def _elapsed(self) -> float:
        return self._clock() - self.sent_at

    def _events(self) -> Iterator[StreamEvent]:
        decoder = codecs.getincrementaldecoder("utf-8")()
        lines = _Lines()
        chunks = self.response.iter_bytes()
        while True:
            try:
                chunk = next(chunks, None)
            except httpx.TransportError as exc:
                self.stats.duration = now = self._elapsed()
                if self._deadline is not None and now >= self._deadline:
                    raise self._deadline_breach(now) from exc
                raise self._cut(f"{type(exc).__name__}: {exc}") from exc
            except httpx.DecodingError as exc:
                self.stats.duration = self._elapsed()
                raise StreamViolation(
                    f"{self.kind} stream body cannot be decoded after {self.stats.events} events: {exc}",
                    events=self.stats.events,
                ) from exc
            self.stats.duration = now = self._elapsed()
            if chunk is None:
                break
            if self._deadline is not None and now > self._deadline:
                raise self._deadline_breach(now)
            for line in lines.feed(self._decode(decoder, chunk, final=False)):
                yield from self._on_line(line, now, partial=False)
        complete, rest = lines.flush()
        rest += self._decode(decoder, b"", final=True)
        for line in complete:
            yield from self._on_line(line, now, partial=False)
        if rest:
            yield from self._on_line(rest, now, partial=True)
        yield from self._on_eof(now)
        if not self.finished:
            raise self._cut("EOF")

    def _decode(self, decoder: codecs.IncrementalDecoder, chunk: bytes, *, final: bool) -> str:
        try:
            return str(decoder.decode(chunk, final=final))
        except UnicodeDecodeError as exc:
            raise StreamViolation(
                f"{self.kind} stream is not UTF-8 near line {self._line_no + 1}: {exc.reason} "
                f"in {excerpt(exc.object[max(0, exc.start - 40) : exc.end + 40].decode('utf-8', 'replace'))}",
                line=self._line_no + 1,
                events=self.stats.events,
            ) from exc

    def _next_line(self, line: str) -> int:
        self._line_no += 1
        if line.strip():
            self._last_line = (self._line_no, line)
        return self._line_no

    def _last_line_text(self, *, partial: bool = False) -> str:
        if self._last_line is None:
            return "no line received"
        number, text = self._last_line
        return f"last line {number}{', unterminated' if partial else ''}: {excerpt(text)}"

    def _cut(self, reason: str, *, partial: bool = False) -> StreamCut:
        return StreamCut(
            f"{self.kind} stream cut before its end after {self.stats.events} events "
            f"({self._last_line_text(partial=partial)}): {reason}",
            line=self._last_line[0] if self._last_line else None,
            events=self.stats.events,
        )

    def _deadline_breach(self, now: float) -> StreamViolation:
        return StreamViolation(
            f"{self.kind} stream still open {now:.2f} s after its request, past its deadline of "
            f"{self._deadline:.2f} s, after {self.stats.events} events ({self._last_line_text()})",
            line=self._last_line[0] if self._last_line else None,
            events=self.stats.events,
        )

    def _add(self, event: StreamEvent) -> None:
        if self._max_events is not None and len(self.events) >= self._max_events:
            raise StreamViolation(
                f"{self.kind} stream sent more than max_events={self._max_events} events "
                f"(line {event.line}: {excerpt(event.raw)})",
                line=event.line,
                events=self.stats.events,
            )
        self.stats._add(event, self.events[-1].at if self.events else None)
        self.events.append(event)

    def _parse(self, payload: str, where: str, line: int, *, partial: bool) -> dict[str, Any]:
        """``payload`` as a JSON object, or a violation naming ``where`` (a cut when the payload is unterminated)."""
        try:
            data = json.loads(payload)
        except ValueError as exc:
            if partial:
                raise self._cut("EOF in the middle of a line", partial=True) from exc
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise StreamViolation(
                f"{self.kind} {where} is not JSON ({reason}): {excerpt(payload)}", line=line, events=self.stats.events
            ) from exc
        if not isinstance(data, dict):
            raise StreamViolation(
                f"{self.kind} {where} is a JSON {type(data).__name__}, not an object: {excerpt(payload)}",
                line=line,
                events=self.stats.events,
            )
        return data

    def server_error(self, error: object, where: str, line: int) -> StreamServerError:
        """The StreamServerError for an error the server sent at ``where`` (line ``line``) of the stream."""
        text = error if isinstance(error, str) else json.dumps(error, default=str)
        return StreamServerError(
            f"the server ended the stream with an error ({self.kind} {where}): {excerpt(text, 400)}",
            error=error,
            line=line,
            events=self.stats.events,
        )

    def _on_line(self, line: str, now: float, *, partial: bool) -> Iterator[StreamEvent]:
        raise NotImplementedError  # pragma: no cover

    def _on_eof(self, now: float) -> Iterator[StreamEvent]:
        return iter(())


class JsonlStream(_Reader):
    """h2oGPTe's JSONL completion stream: ``{"body", "finished"}`` lines, the last one finished with a message_id.

    Example:
        with client.stream("POST", f"/api/v1/chats/{chat}/completions", json=payload) as response:
            stream = JsonlStream(response, sent_at)
            answer = "".join(event.text for event in stream)
            print(stream.message_id, stream.stats.time_to_first_token)
    """

    kind = "JSONL"
    content_types = JSONL_CONTENT_TYPES

    @property
    def message_id(self) -> str | None:
        """The ``message_id`` of the finished line, once it has been read."""
        return None if self.final is None else str(self.final.data["message_id"])

    def _on_line(self, line: str, now: float, *, partial: bool) -> Iterator[StreamEvent]:
        number = self._next_line(line)
        if not line.strip():
            return
        where = f"line {number}"
        if self.finished and self.final is not None:
            raise StreamViolation(
                f"JSONL {where} comes after the stream finished at line {self.final.line}: {excerpt(line)}",
                line=number,
                events=self.stats.events,
            )
        data = self._parse(line, where, number, partial=partial)
        if data.get("error") is not None:
            raise self.server_error(data["error"], where, number)
        body, finished = data.get("body"), data.get("finished")
        if not isinstance(body, str):
            raise StreamViolation(
                f"JSONL {where}: 'body' must be a string, got {type(body).__name__}: {excerpt(line)}",
                line=number,
                events=self.stats.events,
            )
        if not isinstance(finished, bool):
            raise StreamViolation(
                f"JSONL {where}: 'finished' must be a boolean, got {type(finished).__name__}: {excerpt(line)}",
                line=number,
                events=self.stats.events,
            )
        if finished and not (isinstance(data.get("message_id"), str) and data["message_id"]):
            raise StreamViolation(
                f"JSONL {where} ends the stream (finished: true) without a message_id: {excerpt(line)}",
                line=number,
                events=self.stats.events,
            )
        event = StreamEvent(index=len(self.events), at=now, data=data, raw=line, text=body, line=number)
        self._add(event)
        if finished:
            self.finished, self.final = True, event
        yield event


class SseStream(_Reader):
    """A server-sent event stream: ``data: {json}`` events, then ``data: [DONE]``.

    On its own it times the events and holds them to SSE; a subclass says what an event means to its API through
    ``text_of``, ``name_of``, ``check`` and ``ends``.

    Example:
        class TextStream(SseStream):
            def text_of(self, data: dict[str, Any]) -> str:
                return str(data.get("text", ""))

        with open_stream(client, "GET", "/events", reader=TextStream, deadline=30) as stream:
            print(stream.read()[-1].data, stream.stats.stalls(0.5))
    """

    kind = "SSE"
    content_types = SSE_CONTENT_TYPES

    def _setup(self) -> None:
        self._data: list[str] = []
        self._block: list[str] = []
        self._block_start = 0
        self._event_name = ""
        self._done_at: int | None = None  # the line of data: [DONE]

    def text_of(self, data: dict[str, Any]) -> str:
        """The text an event carries (a token in the stats); a plain SSE event carries none."""
        return ""

    def name_of(self, data: dict[str, Any]) -> str:
        """The name of an event that has no ``event:`` field; a plain SSE event has none."""
        return ""

    def check(self, data: dict[str, Any], *, payload: str, name: str, where: str, line: int) -> None:
        """Raise a StreamViolation (or ``server_error``) when an event breaks its API's contract or reports an error.

        ``payload`` is the event's data as sent, ``name`` its ``event:`` field, ``where`` and ``line`` where it began.
        """

    def ends(self, data: dict[str, Any]) -> bool:
        """Whether an event ends the stream before ``data: [DONE]`` (then only ``[DONE]`` may follow)."""
        return False

    def _on_line(self, line: str, now: float, *, partial: bool) -> Iterator[StreamEvent]:
        number = self._next_line(line)
        if line == "":
            yield from self._dispatch(now, partial=False)
            return
        if self._done_at is not None:
            raise StreamViolation(
                f"SSE line {number} comes after data: [DONE] at line {self._done_at}: {excerpt(line)}",
                line=number,
                events=self.stats.events,
            )
        if not self._block:
            self._block_start = number
        self._block.append(line)
        if line.startswith(":"):
            return  # a comment, often a keep-alive
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event_name = value
        # id, retry and unknown fields are allowed and carry nothing we time

    def _on_eof(self, now: float) -> Iterator[StreamEvent]:
        # an event without its closing blank line: keep it when it is whole, call it a cut when it is not
        yield from self._dispatch(now, partial=True)

    def _dispatch(self, now: float, *, partial: bool) -> Iterator[StreamEvent]:
        data_lines, block, name, start = self._data, self._block, self._event_name, self._block_start
        self._data, self._block, self._event_name = [], [], ""
        if not data_lines:
            return  # comments only, or fields without data: nothing to dispatch
        end = self._line_no - (0 if partial else 1)
        where = f"event at line {start}" if end <= start else f"event at lines {start}-{end}"
        payload = "\n".join(data_lines)
        if payload.strip() == "[DONE]":
            self._done_at = start
            if not self.finished:
                self.finished, self.final = True, self.events[-1] if self.events else None
            return
        if self.finished and self.final is not None:
            raise StreamViolation(
                f"SSE {where} comes after the stream ended with {self.final.event or 'its last event'} at line "
                f"{self.final.line}: {excerpt(payload)}",
                line=start,
                events=self.stats.events,
            )
        data = self._parse(payload, where, start, partial=partial)
        self.check(data, payload=payload, name=name, where=where, line=start)
        event = StreamEvent(
            index=len(self.events),
            at=now,
            data=data,
            raw="\n".join(block),
            text=self.text_of(data),
            line=start,
            event=name or self.name_of(data),
        )
        self._add(event)
        if self.ends(data):
            self.finished, self.final = True, event
        yield event


def _bounded_timeout(timeout: httpx.Timeout, deadline: float) -> httpx.Timeout:
    """``timeout`` with its read timeout no longer than ``deadline``, so that one silent read cannot outlast it."""
    read = deadline if timeout.read is None else min(timeout.read, deadline)
    return httpx.Timeout(connect=timeout.connect, read=read, write=timeout.write, pool=timeout.pool)


Reader = TypeVar("Reader", bound=_Reader)


def open_stream(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    reader: type[Reader],
    max_events: int | None = None,
    deadline: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
    **request_kwargs: Any,
) -> contextlib.AbstractContextManager[Reader]:
    """Send a request with a streamed response and yield its reader; the response is closed when the block exits.

    ``request_kwargs`` go to httpx (``json=``, ``headers=``, ``params=``, ``timeout=``, ``auth=``...). With a
    ``deadline`` and no ``timeout``, the client's read timeout is cut to the deadline; the deadline also replaces
    the client's total request deadline (h2oharness/http/deadline.py) for this stream.

    Example:
        with open_stream(client, "POST", f"/api/v1/chats/{chat}/completions", reader=JsonlStream,
                         json={"message": "hi", "stream": True}, deadline=60) as stream:
            for event in stream:
                print(event.text, end="")
        print(stream.message_id, stream.stats.to_dict())
    """
    if not (isinstance(reader, type) and issubclass(reader, _Reader)):
        raise HarnessError(
            f"open_stream reader must be a stream reader class (JsonlStream, SseStream...), got {reader!r}"
        )
    return _open_stream(client, method, url, reader, max_events, deadline, clock, request_kwargs)


@contextlib.contextmanager
def _open_stream(
    client: httpx.Client,
    method: str,
    url: str,
    reader: type[Reader],
    max_events: int | None,
    deadline: float | None,
    clock: Callable[[], float],
    request_kwargs: dict[str, Any],
) -> Iterator[Reader]:
    auth = request_kwargs.pop("auth", httpx.USE_CLIENT_DEFAULT)
    follow_redirects = request_kwargs.pop("follow_redirects", httpx.USE_CLIENT_DEFAULT)
    if deadline is not None and "timeout" not in request_kwargs:
        request_kwargs["timeout"] = _bounded_timeout(client.timeout, deadline)
    request = client.build_request(method, url, **request_kwargs)
    request.extensions[EXPECTED_TYPES] = reader.content_types  # a load run counts any other answer as a failure
    if deadline is not None:
        # a stream lives by its own deadline, not by the client's per-request one; the reader names a breach
        request.extensions[DEADLINE] = deadline + 1.0
    sent_at = clock()
    try:
        response = client.send(request, stream=True, auth=auth, follow_redirects=follow_redirects)
    except httpx.ConnectError as exc:
        raise TargetUnavailable(f"cannot connect to {redact(str(request.url))}: {exc}") from exc
    except httpx.TransportError as exc:
        raise StreamCut(
            f"{reader.kind} stream cut before its headers ({method} {redact(str(request.url))}): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    headers_at = clock()
    try:
        yield reader(response, sent_at, headers_at=headers_at, max_events=max_events, deadline=deadline, clock=clock)
    finally:
        response.close()
