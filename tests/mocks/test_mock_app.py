"""The one endpoint of the mock core: its order (decode, guard, route, answer), the mock-bug trap and the log."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import Response

from h2oharness.mocks.app import Incoming, Wiring, build_app
from h2oharness.mocks.auth import bearer_token, token_in
from h2oharness.mocks.router import Lookup, Router
from h2oharness.mocks.serve import serve
from h2oharness.mocks.state import MockState

Reply = tuple[int, dict[str, object]]
Handler = Callable[["ThingsState", "Call"], Reply]


class Refused(Exception):
    """The test API's own error answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ThingsState(MockState):
    keys: set[str] = field(default_factory=lambda: {"sk-good"})


@dataclass
class Call:
    method: str
    params: dict[str, str]
    json: object


def _boom(state: ThingsState, call: Call) -> Reply:
    raise ZeroDivisionError("the mock divided by zero")


def _refuse(state: ThingsState, call: Call) -> Reply:
    raise Refused(409, "busy")


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/things/{thing}", lambda state, call: (200, {"thing": call.params["thing"]})),
    ("GET", "/health", lambda state, call: (200, {"ok": True})),
    ("POST", "/things", lambda state, call: (201, {"got": call.json})),
    ("GET", "/boom", _boom),
    ("GET", "/busy", _refuse),
]


def _decode(state: ThingsState, incoming: Incoming, lookup: Lookup[Handler]) -> Call:
    body: object = None
    if incoming.body:
        try:
            body = json.loads(incoming.body)
        except ValueError:
            raise Refused(400, "bad json") from None
    return Call(incoming.method, lookup.params, body)


def _unauthorized(state: ThingsState, incoming: Incoming, lookup: Lookup[Handler], problem: str) -> Reply:
    return 401, {"error": problem}


def _unrouted(state: ThingsState, call: Call, lookup: Lookup[Handler]) -> Reply:
    if lookup.allow:
        return 405, {"allow": list(lookup.allow)}
    return 404, {"error": "no such path"}


async def _render(state: ThingsState, incoming: Incoming, reply: Reply) -> Response:
    status, body = reply
    return Response(json.dumps(body), status, media_type="application/json")


def make_app(state: ThingsState, threadpool: bool = True) -> Starlette:
    wiring = Wiring(
        name="things",
        router=Router(ROUTES),
        decode=_decode,
        authenticate=lambda s, i: None if token_in(bearer_token(i.authorization), s.keys) else "bad key",
        unauthorized=_unauthorized,
        unrouted=_unrouted,
        invoke=lambda s, handler, call: handler(s, call),
        refusal=Refused,
        refuse=lambda s, i, lookup, err: (err.status, {"error": str(err)}),
        bug=lambda s, i, lookup, what: (400, {"bug": what}),
        render=_render,
        protects=lambda lookup: not any(r.template == "/health" for r in lookup.matches),
        seen=lambda call: (call.json, {}),
        threadpool=threadpool,
    )
    return build_app(state, wiring)


@pytest.fixture(params=[True, False], ids=["threadpool", "event-loop"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[ThingsState, httpx.Client]]:
    state = ThingsState()
    with (
        serve(make_app(state, threadpool=request.param)) as s,
        httpx.Client(base_url=s.url, headers={"Authorization": "Bearer sk-good"}) as http,
    ):
        yield state, http


def test_a_routed_request_reaches_its_handler_with_its_parameters(served: tuple[ThingsState, httpx.Client]) -> None:
    state, http = served
    assert http.get("/things/a%20b").json() == {"thing": "a b"}
    created = http.post("/things", json={"n": 1})
    assert (created.status_code, created.json()) == (201, {"got": {"n": 1}})
    entry = state.recorded("POST")[0]
    assert (entry.path, entry.status, entry.json, entry.authorized) == ("/things", 201, {"n": 1}, True)
    assert entry.body_size == len(b'{"n":1}')


def test_a_mock_bug_is_a_4xx_recorded_for_tests(served: tuple[ThingsState, httpx.Client]) -> None:
    state, http = served
    resp = http.get("/boom")
    assert resp.status_code == 400
    assert resp.json() == {"bug": "ZeroDivisionError: the mock divided by zero"}
    assert state.internal_errors == ["GET /boom: ZeroDivisionError: the mock divided by zero"]
    assert state.recorded("GET", "/boom")[0].status == 400


def test_the_apis_own_errors_are_not_mock_bugs(served: tuple[ThingsState, httpx.Client]) -> None:
    state, http = served
    resp = http.get("/busy")
    assert (resp.status_code, resp.json()) == (409, {"error": "busy"})
    assert state.internal_errors == []


def test_credentials_are_checked_where_the_api_protects(served: tuple[ThingsState, httpx.Client]) -> None:
    state, http = served
    for header in ({}, {"Authorization": "Bearer sk-bad"}, {"Authorization": "Basic c2stZ29vZA=="}):
        refused = httpx.get(str(http.base_url.join("/things/x")), headers=header)
        assert (refused.status_code, refused.json()) == (401, {"error": "bad key"}), header
    assert httpx.get(str(http.base_url.join("/health"))).status_code == 200, "an open path needs no key"
    assert [r.authorized for r in state.recorded()] == [False, False, False, False]
    assert http.get("/health").status_code == 200
    assert state.recorded()[-1].authorized is True


def test_unrouted_requests_get_the_apis_404_and_405(served: tuple[ThingsState, httpx.Client]) -> None:
    _state, http = served
    assert (http.delete("/things/x").status_code, http.delete("/things/x").json()) == (405, {"allow": ["GET"]})
    assert http.get("/nowhere").status_code == 404
    assert httpx.get(str(http.base_url.join("/nowhere"))).status_code == 401, "the guard comes before the 404"


def test_a_refusal_while_decoding_comes_before_the_guard(served: tuple[ThingsState, httpx.Client]) -> None:
    state, http = served
    resp = httpx.post(str(http.base_url.join("/things")), content=b"{not json")
    assert (resp.status_code, resp.json()) == (400, {"error": "bad json"})
    assert state.recorded()[-1].json is None
    assert state.internal_errors == []


def test_a_body_over_the_limit_is_413_whether_declared_or_streamed_and_one_under_it_is_read() -> None:
    # the mock held every body whole: a client sending gigabytes took its memory
    state = ThingsState(max_body_bytes=1000)

    def chunks() -> Iterator[bytes]:
        yield b'{"n": "'
        for _ in range(200):
            yield b"x" * 10  # no Content-Length: sent chunked
        yield b'"}'

    with (
        serve(make_app(state)) as s,
        httpx.Client(base_url=s.url, headers={"Authorization": "Bearer sk-good"}) as http,
    ):
        declared = http.post("/things", content=b"x" * 1001)
        streamed = http.post("/things", content=chunks())
        under = http.post("/things", json={"n": "x" * 900})
    message = "the request body is over the mock's limit of 1000 bytes"
    assert (declared.status_code, declared.json()) == (413, {"error": message})
    assert (streamed.status_code, streamed.json()) == (413, {"error": message})
    assert (under.status_code, under.json()) == (201, {"got": {"n": "x" * 900}})
    assert [entry.status for entry in state.recorded("POST")] == [201]
