from __future__ import annotations

import asyncio
import functools
import json
import socket
import statistics
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio.to_thread
import httpx
import pytest
import respx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from h2oharness.errors import (
    ContractViolation,
    HarnessError,
    StreamCut,
    StreamServerError,
    StreamViolation,
    TargetUnavailable,
)
from h2oharness.http.streaming import JsonlStream, SseStream, StreamEvent, StreamStats, open_stream, percentile
from h2oharness.mocks.serve import serve

BASE = "http://127.0.0.1:9"  # respx answers; nothing is sent
JSONL = "application/jsonl"
SSE = "text/event-stream"
GATE_TIMEOUT = 10.0


def jl(**fields: Any) -> str:
    return json.dumps(fields) + "\n"


def sse(data: object, *, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data if isinstance(data, str) else json.dumps(data)}\n\n"


class TextSse(SseStream):
    """The plain SSE reader with the least an API can add: an event's text is its ``text``."""

    def text_of(self, data: dict[str, Any]) -> str:
        text = data.get("text")
        return text if isinstance(text, str) else ""


READERS: dict[str, type[JsonlStream | SseStream]] = {"jsonl": JsonlStream, "sse": TextSse}


def chunk(content: str) -> dict[str, Any]:
    return {"text": content}


GOOD_JSONL = [
    jl(body="Hel", finished=False),
    "\n",
    jl(body="lo", finished=False),
    jl(body="", finished=True, message_id="m1"),
]
GOOD_SSE = [
    ": keep-alive\n\n",
    sse(chunk("Hel")),
    sse(chunk("lo")),
    sse({"text": None}),
    "data: [DONE]\n\n",
]


# --- a controlled clock and scripted bodies, through respx -------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Scripted(httpx.SyncByteStream):
    """A body whose chunks arrive at scripted times of a FakeClock, optionally dying with ``error`` at the end."""

    def __init__(
        self,
        chunks: list[tuple[float, bytes]],
        clock: FakeClock,
        *,
        end_at: float | None = None,
        error: Exception | None = None,
    ) -> None:
        self.chunks, self.clock, self.end_at, self.error = chunks, clock, end_at, error

    def __iter__(self) -> Iterator[bytes]:
        for at, data in self.chunks:
            self.clock.now = at
            yield data
        if self.end_at is not None:
            self.clock.now = self.end_at
        if self.error is not None:
            raise self.error


def scripted(
    parts: list[str | bytes] | list[str] | list[bytes],
    *,
    kind: str = "jsonl",
    content_type: str | None = None,
    status: int = 200,
    times: list[float] | None = None,
    end_at: float | None = None,
    error: Exception | None = None,
    headers_at: float = 0.0,
    **reader_options: Any,
) -> JsonlStream | SseStream:
    """Open a respx-mocked stream of ``parts`` with ``open_stream`` and read it to its end (or its violation)."""
    clock = FakeClock()
    encoded = [p.encode() if isinstance(p, str) else p for p in parts]
    at = times or [float(i + 1) for i in range(len(encoded))]
    body = Scripted(list(zip(at, encoded, strict=True)), clock, end_at=end_at, error=error)
    content_type = content_type or (JSONL if kind == "jsonl" else SSE)

    def answer(request: httpx.Request) -> httpx.Response:
        clock.now = headers_at
        return httpx.Response(status, headers={"content-type": content_type}, stream=body)

    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post("/stream").mock(side_effect=answer)
        with (
            httpx.Client(base_url=BASE) as client,
            open_stream(client, "POST", "/stream", reader=READERS[kind], clock=clock, **reader_options) as stream,
        ):
            stream.read()
            return stream


def direct(parts: list[bytes], kind: str) -> JsonlStream | SseStream:
    """A reader over a hand-built response (no client, no respx): for loops over many bodies."""
    clock = FakeClock()
    body = Scripted([(float(i), p) for i, p in enumerate(parts)], clock)
    response = httpx.Response(200, headers={"content-type": JSONL if kind == "jsonl" else SSE}, stream=body)
    reader = READERS[kind](response, 0.0, clock=clock)
    reader.read()
    return reader


# --- stats, exactly, on a fake clock -------------------------------------------------------------------------------


def test_stats_follow_the_arrival_times_exactly() -> None:
    parts = [
        jl(body="Hi", finished=False),
        jl(body=" there", finished=False) + jl(body="", finished=False),  # two lines in one chunk
        jl(body="!", finished=False),
        jl(body="", finished=True, message_id="msg-7"),
    ]
    stream = scripted(parts, times=[1.0, 1.5, 4.0, 4.25], end_at=4.5, headers_at=0.25)
    stats = stream.stats
    assert stats.time_to_headers == 0.25
    assert stats.time_to_first_event == 1.0
    assert stats.time_to_first_token == 1.0
    assert [e.at for e in stream.events] == [1.0, 1.5, 1.5, 4.0, 4.25]
    assert stats.gaps == [0.5, 0.0, 2.5, 0.25]
    assert (stats.events, stats.tokens, stats.characters) == (5, 3, len("Hi there!"))
    assert stats.duration == 4.5
    assert stats.tokens_per_second == pytest.approx(3 / 4.5)
    assert stats.stalls(1.0) == [2.5]
    assert stats.stalls(0.25) == [0.5, 2.5]
    assert stream.text == "Hi there!"
    assert stream.message_id == "msg-7"
    assert stream.final is stream.events[-1]
    assert stream.final.line == 5
    assert [e.index for e in stream.events] == [0, 1, 2, 3, 4]
    dumped = json.loads(json.dumps(stats.to_dict()))
    assert dumped["gaps"] == [0.5, 0.0, 2.5, 0.25]
    assert dumped["tokens_per_second"] == pytest.approx(3 / 4.5)


def test_time_to_first_token_skips_events_without_text() -> None:
    parts = [": ping\n\n", sse({"role": "assistant"}), sse(chunk("a")), "data: [DONE]\n\n"]
    stream = scripted(parts, kind="sse", times=[0.5, 1.0, 3.0, 3.5], end_at=3.5)
    assert stream.stats.time_to_first_event == 1.0
    assert stream.stats.time_to_first_token == 3.0
    assert stream.stats.gaps == [2.0]
    assert stream.stats.tokens == 1
    assert stream.final is not None
    assert stream.final.text == "a"


def test_empty_stats_are_harmless() -> None:
    stats = StreamStats(time_to_headers=0.1)
    assert stats.tokens_per_second == 0.0
    assert stats.stalls(0.0) == []
    assert stats.to_dict()["time_to_first_token"] is None


# --- JSONL contract ------------------------------------------------------------------------------------------------


def test_jsonl_blank_lines_and_crlf_are_fine() -> None:
    stream = scripted(["\r\n", jl(body="a", finished=False).replace("\n", "\r\n"), "\n\n", GOOD_JSONL[-1], "\n"])
    assert [e.text for e in stream.events] == ["a", ""]
    assert [e.line for e in stream.events] == [2, 5]
    assert stream.finished
    assert stream.message_id == "m1"


def test_jsonl_last_line_may_lack_its_newline() -> None:
    stream = scripted([jl(body="a", finished=False), json.dumps({"body": "", "finished": True, "message_id": "m"})])
    assert stream.message_id == "m"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([GOOD_JSONL[0], "not json\n", GOOD_JSONL[-1]], "JSONL line 2 is not JSON"),
        ([GOOD_JSONL[0], '["a list"]\n', GOOD_JSONL[-1]], "JSONL line 2 is a JSON list, not an object"),
        (
            [GOOD_JSONL[0], GOOD_JSONL[-1], jl(body="late", finished=False)],
            "JSONL line 3 comes after the stream finished at line 2",
        ),
        (
            [GOOD_JSONL[0], jl(body="", finished=True)],
            "JSONL line 2 ends the stream (finished: true) without a message_id",
        ),
        ([GOOD_JSONL[0], jl(body="", finished=True, message_id="")], "JSONL line 2 ends the stream"),
        ([jl(body=3, finished=False), GOOD_JSONL[-1]], "JSONL line 1: 'body' must be a string, got int"),
        ([jl(body="a"), GOOD_JSONL[-1]], "JSONL line 1: 'finished' must be a boolean, got NoneType"),
        ([jl(body="a", finished="no"), GOOD_JSONL[-1]], "'finished' must be a boolean, got str"),
    ],
    ids=[
        "not-json",
        "not-object",
        "after-finished",
        "no-message-id",
        "empty-message-id",
        "body-int",
        "no-finished",
        "finished-str",
    ],
)
def test_jsonl_violations_name_the_line(parts: list[str], expected: str) -> None:
    with pytest.raises(StreamViolation) as caught:
        scripted(parts)
    assert expected in str(caught.value)
    assert not isinstance(caught.value, StreamServerError | StreamCut)
    assert isinstance(caught.value, ContractViolation | AssertionError)
    assert caught.value.line is not None
    assert f"line {caught.value.line}" in str(caught.value)


def test_jsonl_error_line_is_a_server_error_with_what_the_server_said() -> None:
    with pytest.raises(StreamServerError) as caught:
        scripted([GOOD_JSONL[0], jl(error="LLM backend overloaded"), GOOD_JSONL[-1]])
    message = str(caught.value)
    assert message.startswith("the server ended the stream with an error (JSONL line 2)")
    assert "LLM backend overloaded" in message
    assert caught.value.error == "LLM backend overloaded"
    assert caught.value.events == 1


def test_jsonl_null_error_field_is_not_an_error() -> None:
    stream = scripted([jl(body="a", finished=False, error=None), GOOD_JSONL[-1]])
    assert stream.text == "a"


def test_jsonl_eof_before_finished_is_a_cut_naming_the_last_line() -> None:
    with pytest.raises(StreamCut) as caught:
        scripted(GOOD_JSONL[:3])
    message = str(caught.value)
    assert message.startswith("JSONL stream cut before its end after 2 events (last line 3: ")
    assert '"lo"' in message
    assert message.endswith("EOF")
    assert caught.value.line == 3


def test_jsonl_half_a_line_at_eof_is_a_cut_not_a_malformed_line() -> None:
    with pytest.raises(StreamCut) as caught:
        scripted([GOOD_JSONL[0], '{"body": "trunc'])
    assert "after 1 events (last line 2, unterminated: " in str(caught.value)
    assert "trunc" in str(caught.value)


def test_empty_body_is_a_cut() -> None:
    with pytest.raises(StreamCut, match=r"after 0 events \(no line received\): EOF"):
        scripted([])


@pytest.mark.parametrize(
    "error",
    [
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.ReadError("connection reset by peer"),
        httpx.ReadTimeout("timed out"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_transport_error_mid_stream_is_a_cut_with_the_last_line(error: Exception) -> None:
    with pytest.raises(StreamCut) as caught:
        scripted([GOOD_JSONL[0], GOOD_JSONL[2] + '{"body": "x'], error=error)
    message = str(caught.value)
    assert "JSONL stream cut before its end after 2 events (last line 2: " in message
    assert message.endswith(f"{type(error).__name__}: {error}")
    assert isinstance(caught.value.__cause__, httpx.TransportError)


def test_wrong_content_type_is_a_violation() -> None:
    with pytest.raises(
        StreamViolation, match=r"expected a JSONL stream with Content-Type application/jsonl, got 'application/json'"
    ):
        scripted(GOOD_JSONL, content_type="application/json")
    with pytest.raises(StreamViolation, match="expected a SSE stream with Content-Type text/event-stream"):
        scripted(GOOD_SSE, kind="sse", content_type="text/plain")


def test_content_type_parameters_are_ignored() -> None:
    assert scripted(GOOD_JSONL, content_type="application/jsonl; charset=utf-8").finished


def test_an_error_status_is_a_violation_with_the_body() -> None:
    with pytest.raises(StreamViolation) as caught:
        scripted(['{"code": 401, "message": "bad key"}'], status=401, content_type="application/json")
    assert "got HTTP 401 (application/json)" in str(caught.value)
    assert "bad key" in str(caught.value)


def test_not_utf8_is_a_violation_naming_the_line() -> None:
    with pytest.raises(StreamViolation, match="JSONL stream is not UTF-8 near line 2"):
        scripted([GOOD_JSONL[0], b'{"body": "\xff\xfe", "finished": false}\n'])


def test_max_events_is_a_violation() -> None:
    with pytest.raises(StreamViolation, match=r"more than max_events=2 events \(line 4: "):
        scripted([*GOOD_JSONL, jl(body="x", finished=False)], max_events=2)
    assert scripted(GOOD_JSONL, max_events=3).finished


def test_deadline_breach_is_a_violation_not_a_hang() -> None:
    with pytest.raises(
        StreamViolation,
        match=r"JSONL stream still open 9.00 s after its request, past its deadline of 5.00 s, after 1 events",
    ):
        scripted(GOOD_JSONL[:1] + GOOD_JSONL[2:], times=[1.0, 9.0, 10.0], deadline=5.0)
    # a read that times out past the deadline says so too
    with pytest.raises(StreamViolation, match=r"past its deadline of 5\.00 s"):
        scripted(GOOD_JSONL[:1], end_at=6.0, error=httpx.ReadTimeout("timed out"), deadline=5.0)


def test_a_secret_in_a_bad_line_does_not_reach_the_message() -> None:
    with pytest.raises(StreamViolation) as caught:
        scripted(["Authorization: Bearer sk-abcdefghijklmnop\n", GOOD_JSONL[-1]])
    assert "sk-abcdefghijklmnop" not in str(caught.value)
    assert "line 1 is not JSON" in str(caught.value)


# --- SSE parsing and contract -------------------------------------------------------------------------------------


def test_sse_comments_fields_multiline_data_and_done() -> None:
    parts = [
        ": this is a comment\n",
        "retry: 1000\nid: 1\nevent: chunk\n",
        'data: {"text":\n',
        'data:  "Hel"}\n',  # a second data line: joined with "\n", one leading space dropped
        "\n",
        "id: 2\n",
        'data:{"text": "lo"}\n\n',
        "data: [DONE]\n\n",
    ]
    stream = scripted(parts, kind="sse")
    assert stream.text == "Hello"
    first, second = stream.events
    assert first.event == "chunk"
    assert first.line == 1
    assert first.raw.count("\n") == 5
    assert second.event == ""
    assert second.line == 8
    assert stream.finished
    assert stream.final is second


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"], ids=["crlf", "cr", "lf"])
def test_sse_line_endings(newline: str) -> None:
    body = "".join(GOOD_SSE).replace("\n", newline)
    stream = scripted([body], kind="sse")
    assert stream.text == "Hello"
    assert stream.stats.events == 3


def test_sse_events_do_not_depend_on_where_the_chunks_split() -> None:
    body = ("".join(GOOD_SSE[:2]) + sse(chunk("é€😀")) + "".join(GOOD_SSE[2:])).replace("\n", "\r\n").encode()
    whole = scripted([body], kind="sse")
    for cut in range(1, len(body)):  # every split point, including inside CRLF and inside multi-byte characters
        split = direct([body[:cut], body[cut:]], "sse")
        assert [e.data for e in split.events] == [e.data for e in whole.events], cut
    assert whole.text == "Helé€😀lo"


def test_jsonl_events_do_not_depend_on_where_the_chunks_split() -> None:
    body = "".join(GOOD_JSONL).encode()
    for cut in range(1, len(body)):
        assert direct([body[:cut], body[cut:]], "jsonl").text == "Hello", cut


@pytest.mark.parametrize(
    ("parts", "expected", "cls"),
    [
        (GOOD_SSE[:3], "SSE stream cut before its end after 2 events (last line 5: ", StreamCut),
        ([*GOOD_SSE, "data: {}\n\n"], "SSE line 11 comes after data: [DONE] at line 9", StreamViolation),
        ([*GOOD_SSE, ": late comment\n"], "SSE line 11 comes after data: [DONE] at line 9", StreamViolation),
        ([GOOD_SSE[1], "data: {oops}\n\n", GOOD_SSE[-1]], "SSE event at line 3 is not JSON", StreamViolation),
        (
            [GOOD_SSE[1], "data: [1,\ndata: 2]\n\n", GOOD_SSE[-1]],
            "SSE event at lines 3-4 is a JSON list",
            StreamViolation,
        ),
        (
            [
                GOOD_SSE[1],
                'data: {"text": "x',
            ],
            "(last line 3, unterminated: ",
            StreamCut,
        ),
    ],
    ids=["eof-before-done", "data-after-done", "comment-after-done", "not-json", "multiline-list", "half-event"],
)
def test_sse_violations_name_the_line(parts: list[str], expected: str, cls: type[StreamViolation]) -> None:
    with pytest.raises(cls) as caught:
        scripted(parts, kind="sse")
    assert expected in str(caught.value)
    assert type(caught.value) is cls


def test_plain_sse_events_carry_no_api_meaning() -> None:
    """The generic reader times the events; an ``error`` or a ``type`` field is only data to it."""
    body = (sse({"text": "a"}) + sse({"error": "x", "type": "response.failed"}) + "data: [DONE]\n\n").encode()
    clock = FakeClock()
    response = httpx.Response(200, headers={"content-type": SSE}, stream=Scripted([(1.0, body)], clock))
    stream = SseStream(response, 0.0, clock=clock)
    assert [(e.text, e.event) for e in stream.read()] == [("", ""), ("", "")]
    assert stream.finished
    assert stream.stats.tokens == 0


def test_sse_done_without_its_blank_line_still_ends_the_stream() -> None:
    stream = scripted([GOOD_SSE[1], "data: [DONE]\n"], kind="sse")
    assert stream.finished
    assert stream.text == "Hel"


def test_sse_transport_cut() -> None:
    with pytest.raises(
        StreamCut, match=r"SSE stream cut before its end after 1 events \(last line 1: .*RemoteProtocolError"
    ):
        scripted([GOOD_SSE[1], "data: {"], kind="sse", error=httpx.RemoteProtocolError("incomplete chunked read"))


# --- arguments, open_stream -----------------------------------------------------------------------------------------


def test_bad_arguments_are_harness_errors() -> None:
    with pytest.raises(HarnessError, match="max_events"):
        scripted(GOOD_JSONL, max_events=0)
    with pytest.raises(HarnessError, match="deadline"):
        scripted(GOOD_JSONL, deadline=0)
    with httpx.Client() as client, pytest.raises(HarnessError, match="reader must be a stream reader class"):
        open_stream(client, "GET", BASE, reader="ndjson")  # type: ignore[type-var]


def test_a_stream_reads_once_and_the_response_is_closed_after_the_block() -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post("/stream").mock(
            return_value=httpx.Response(200, headers={"content-type": JSONL}, content="".join(GOOD_JSONL))
        )
        with httpx.Client(base_url=BASE) as client:
            with open_stream(
                client, "POST", "/stream", reader=JsonlStream, json={"stream": True}, deadline=3.0
            ) as stream:
                assert [e.text for e in stream] == ["Hel", "lo", ""]
                with pytest.raises(HarnessError, match="read once"):
                    iter(stream)
            assert stream.response.is_closed
            sent = route.calls.last.request
            assert json.loads(sent.content) == {"stream": True}
            assert sent.extensions["timeout"]["read"] == 3.0


def test_a_refused_connection_is_target_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        httpx.Client(timeout=2) as client,
        pytest.raises(TargetUnavailable, match="cannot connect"),
        open_stream(client, "GET", f"http://127.0.0.1:{port}/x", reader=SseStream),
    ):
        pass


def test_reader_on_a_response_opened_by_hand() -> None:
    with respx.mock(base_url=BASE) as router:
        router.get("/s").mock(
            return_value=httpx.Response(200, headers={"content-type": SSE}, content="".join(GOOD_SSE))
        )
        with httpx.Client(base_url=BASE) as client, client.stream("GET", "/s") as response:
            events = list(TextSse(response, 0.0, clock=lambda: 2.0))
    assert [e.text for e in events] == ["Hel", "lo", ""]
    assert all(isinstance(e, StreamEvent) and e.at == 2.0 for e in events)


# --- percentile -----------------------------------------------------------------------------------------------------


def test_percentile_matches_inclusive_quantiles() -> None:
    values = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    for q in (1, 25, 50, 90, 99):
        assert percentile(values, q) == pytest.approx(cuts[q - 1])
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 9.0
    assert percentile([4.0], 99) == 4.0
    with pytest.raises(HarnessError):
        percentile([], 50)
    with pytest.raises(HarnessError):
        percentile(values, 101)


# --- over a real loopback server ------------------------------------------------------------------------------------


class Held:
    """Server side of the arrival tests: what it has produced so far, and the gate it waits on after the first event."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.produced: list[str] = []

    async def body(self, lines: list[str], hold_after: int) -> AsyncIterator[str]:
        for number, line in enumerate(lines):
            if number == hold_after:
                await anyio.to_thread.run_sync(functools.partial(self.gate.wait, GATE_TIMEOUT))
            elif number:
                await asyncio.sleep(0.002)
            self.produced.append(line)
            yield line


class DiesMidBody:
    """A raw ASGI app that returns without its last body message: uvicorn drops the connection mid chunked body."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", JSONL.encode())]})
        await send({"type": "http.response.body", "body": GOOD_JSONL[0].encode(), "more_body": True})


def loopback_app(held: Held) -> Starlette:
    async def jsonl(request: Request) -> StreamingResponse:
        return StreamingResponse(held.body(GOOD_JSONL, hold_after=1), media_type=JSONL)

    async def sse_route(request: Request) -> StreamingResponse:
        return StreamingResponse(held.body(GOOD_SSE, hold_after=2), media_type=SSE)  # after the comment and 1 event

    async def early(request: Request) -> StreamingResponse:
        async def two() -> AsyncIterator[str]:
            for line in GOOD_JSONL[:2]:
                await asyncio.sleep(0.002)
                yield line

        return StreamingResponse(two(), media_type=JSONL)

    return Starlette(
        routes=[Route("/jsonl", jsonl), Route("/sse", sse_route), Route("/early", early), Route("/dies", DiesMidBody())]
    )


@pytest.fixture
def loopback() -> Iterator[tuple[str, Held]]:
    held = Held()
    try:
        with serve(loopback_app(held)) as served:
            yield served.url, held
    finally:
        held.gate.set()


@pytest.mark.parametrize(("path", "kind", "held_back_at"), [("/jsonl", "jsonl", 1), ("/sse", "sse", 2)])
def test_first_event_arrives_while_the_server_holds_back_the_rest(
    loopback: tuple[str, Held], path: str, kind: str, held_back_at: int
) -> None:
    url, held = loopback
    with (
        httpx.Client(base_url=url, timeout=GATE_TIMEOUT * 2) as client,
        open_stream(client, "GET", path, reader=READERS[kind]) as stream,
    ):
        events = iter(stream)
        first = next(events)
        # the server has produced only its first event and waits for us: nothing was buffered
        assert len(held.produced) == held_back_at
        assert not held.gate.is_set()
        held.gate.set()
        rest = list(events)
    assert [first.text, *(e.text for e in rest)] == ["Hel", "lo", ""]
    assert held.produced == (GOOD_JSONL if kind == "jsonl" else GOOD_SSE)
    assert stream.finished
    assert stream.stats.time_to_first_token is not None
    assert first.at <= rest[0].at
    assert stream.stats.time_to_headers <= first.at <= stream.stats.duration


@pytest.mark.parametrize(
    ("path", "reason"), [("/early", ": EOF$"), ("/dies", "RemoteProtocolError")], ids=["ends-early", "drops-connection"]
)
def test_a_real_server_that_stops_before_the_end_is_a_cut(loopback: tuple[str, Held], path: str, reason: str) -> None:
    url, _ = loopback
    with (
        httpx.Client(base_url=url, timeout=10) as client,
        pytest.raises(StreamCut, match=rf"after 1 events \(last line 1: .*{reason}"),
        open_stream(client, "GET", path, reader=JsonlStream) as stream,
    ):
        stream.read()
