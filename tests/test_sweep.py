"""The sweep's outage handling without a JVM: which errors mean "in flight", the probe, the crash record, the guards."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from urllib3.exceptions import MaxRetryError, NewConnectionError

from h2oharness.apis import get_api
from h2oharness.errors import NoAnswer, SpecError
from h2oharness.mocks.faults import FaultPlan
from h2oharness.mocks.serve import serve
from h2oharness.report.model import Failure
from h2oharness.sweep import (
    CASES,
    CRASH,
    ServerCrash,
    Sweep,
    SweepGuard,
    crash_entry,
    crash_signature,
    health_failure,
    in_flight,
    load_destructive,
)
from h2oharness.targets import Credentials, Target, serve_mock


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_signature_ignores_query_order_and_tells_queries_apart() -> None:
    assert crash_signature("post", "/3/X", {"a": 1, "b": 2}) == crash_signature("POST", "/3/X", {"b": 2, "a": 1})
    assert crash_signature("POST", "/3/X", {"a": 1}) != crash_signature("POST", "/3/X", {"a": 2})


def test_refused_is_not_in_flight_but_reset_and_read_timeout_are() -> None:
    refused = requests.ConnectionError(MaxRetryError(None, "/3/Cloud", NewConnectionError(None, "refused")))  # type: ignore[arg-type]
    assert not in_flight(refused)
    assert not in_flight(requests.ConnectTimeout("connect timed out"))
    assert in_flight(requests.ConnectionError(ConnectionResetError(104, "reset by peer")))
    assert in_flight(requests.ReadTimeout("read timed out"))


def test_health_failure_says_why_for_a_closed_port_and_nothing_for_any_answer() -> None:
    assert "no answer" in (health_failure(_closed_port(), "/3/Cloud", timeout=2.0) or "")
    app = Starlette(routes=[Route("/3/Cloud", lambda request: JSONResponse({"no": "auth"}, status_code=401))])
    with serve(app) as served:
        assert health_failure(served.url, "/3/Cloud", timeout=5.0) is None


def test_a_mock_injecting_resets_everywhere_is_alive_to_the_health_probe() -> None:
    plan = FaultPlan.from_data([{"fault": "reset"}])
    with serve_mock(get_api("h2o3"), faults=plan) as target:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{target.url}/3/Cloud", timeout=10)  # the plan does reach the health path
        assert health_failure(target.url, "/3/Cloud") is None


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xff\xfe", "not valid YAML (not UTF-8 text)"),
        (b"- operation: [", "not valid YAML: line 1"),
        (b"operation: POST /3/Shutdown\n", "expected a list of {operation, reason}"),
        (b"- operation: POST /3/Shutdown\n", "entry 0 needs an 'operation' and a 'reason'"),
    ],
)
def test_a_malformed_destructive_list_is_one_line(content: bytes, needle: str, tmp_path: Path) -> None:
    # a suite's (run --suite-dir) was read unguarded: a KeyError or a decode error at the session's end, and no report
    path = tmp_path / "destructive.yaml"
    path.write_bytes(content)
    with pytest.raises(SpecError) as refused:
        load_destructive(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert needle in str(refused.value)


def test_destructive_list_reads_operations_and_reasons(tmp_path: Path) -> None:
    path = tmp_path / "destructive.yaml"
    path.write_text("- operation: post /3/Shutdown\n  reason: stops the node\n")
    assert load_destructive(path) == {("POST", "/3/Shutdown"): "stops the node"}
    assert load_destructive(tmp_path / "missing.yaml") == {}
    shipped = load_destructive(Path(__file__).resolve().parents[1] / "contracts" / "h2o3" / "destructive.yaml")
    assert ("POST", "/3/Shutdown") in shipped
    assert ("POST", "/99/Rapids") in shipped


@dataclass
class _Operation:
    method: str = "post"
    path: str = "/3/Shutdown"


@dataclass
class _Case:
    """What the guard reads of a schemathesis case; ``call`` raises ``error`` (or answers ``"ok"``)."""

    error: BaseException | None
    query: dict[str, Any] = field(default_factory=lambda: {"x": "1"})
    body: Any = None
    media_type: str | None = None
    path_parameters: dict[str, Any] = field(default_factory=dict)
    operation: _Operation = field(default_factory=_Operation)
    calls: int = 0
    #: the method sent: the operation's, unless the case is one of schemathesis' unexpected methods
    sent_method: str | None = None

    @property
    def method(self) -> str:
        return (self.sent_method or self.operation.method).upper()

    @property
    def formatted_path(self) -> str:
        return self.operation.path

    def as_curl_command(self, headers: dict[str, Any] | None = None, *, base_url: str | None = None) -> str:
        shown = " ".join(f"-H '{k}: {v}'" for k, v in (headers or {}).items())
        return f"curl -X {self.method} {shown} '{base_url}{self.operation.path}?x=1'"

    def call(self, base_url: str | None = None, session: Any = None, **kwargs: Any) -> str:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return "ok"


@dataclass
class _Server:
    url: str
    restarted: int = 0

    def log_tail(self, lines: int = 30) -> str:
        return "ERROR water.default: planted last words"

    def restart(self) -> None:
        self.restarted += 1


class _Node:
    def __init__(self) -> None:
        self.user_properties: list[tuple[str, object]] = []
        self.stash = pytest.Stash()


def _guard(sweep: Sweep) -> tuple[SweepGuard, _Node]:
    node = _Node()
    return SweepGuard(sweep, node, "/3/Cloud", "h2o3"), node  # type: ignore[arg-type]


def test_an_in_flight_death_is_recorded_with_redacted_curl_and_log_then_restarted() -> None:
    url = _closed_port()
    server = _Server(url)
    sweep = Sweep(max_restarts=3, servers={url: server})
    guard, node = _guard(sweep)
    target = Target("local", url, Credentials(username="admin", password="hunter2-planted"))
    case = _Case(requests.ConnectionError(ConnectionResetError(104, "reset")))
    with pytest.raises(ServerCrash, match="POST /3/Shutdown"):
        guard.call(case, target)
    assert server.restarted == 1
    ((key, value),) = node.user_properties
    assert key == CRASH
    entry = crash_entry(value)
    assert entry is not None
    assert (entry["api"], entry["kind"], entry["method"], entry["path"]) == ("h2o3", "local", "POST", "/3/Shutdown")
    failure = Failure.from_dict(entry["failure"])
    assert failure.check == "server_crash"
    assert failure.curl is not None
    assert "/3/Shutdown?x=1" in failure.curl
    assert "Authorization: Basic" in failure.curl  # the reproduction says credentials were sent...
    assert "hunter2" not in failure.curl  # ...but never which
    assert "planted last words" in (failure.response or "")
    # the same request is not sent again
    again = _Case(None)
    with pytest.raises(pytest.skip.Exception, match="killed the server before"):
        guard.call(again, target)
    assert again.calls == 0


def test_a_death_by_an_unexpected_method_is_recorded_and_replayed_with_the_method_sent() -> None:
    # schemathesis' coverage phase sends GET to a POST-only route: the crash's request (replayed on a fresh node)
    # and its never-send-again signature said POST, so the replay sent another request, and the operation's own
    # POST with that query was skipped as the one that killed the server
    url = _closed_port()
    sweep = Sweep(max_restarts=3, servers={url: _Server(url)})
    guard, node = _guard(sweep)
    target = Target("local", url)
    with pytest.raises(ServerCrash, match="POST /3/Shutdown"):
        guard.call(_Case(requests.ConnectionError(ConnectionResetError(104, "reset")), sent_method="get"), target)
    ((_, value),) = node.user_properties
    entry = crash_entry(value)
    assert entry is not None
    assert (entry["method"], entry["path"]) == ("POST", "/3/Shutdown")  # reported on its operation
    assert entry["request"]["method"] == "GET"
    assert entry["sequence"][-1]["method"] == "GET"
    assert Failure.from_dict(entry["failure"]).curl == f"curl -X GET  '{url}/3/Shutdown?x=1'"
    post = _Case(None)
    assert guard.call(post, target) == "ok"  # a request never sent before
    assert post.calls == 1


def test_without_a_restart_left_the_target_is_down_and_later_cases_skip_unsent() -> None:
    url = _closed_port()
    sweep = Sweep(max_restarts=0, servers={url: _Server(url)})
    guard, node = _guard(sweep)
    with pytest.raises(ServerCrash):
        guard.call(_Case(requests.ReadTimeout("read timed out")), Target("live", url))
    assert sweep.down_since is not None
    later = _Case(None, query={"other": "case"})
    with pytest.raises(pytest.skip.Exception, match="target is down since"):
        guard.call(later, Target("live", url))
    assert later.calls == 0
    assert len(node.user_properties) == 1


def test_a_refused_request_blames_the_last_answered_one_and_is_sent_once_more_after_the_restart() -> None:
    url = _closed_port()
    server = _Server(url)
    sweep = Sweep(max_restarts=3, servers={url: server})
    guard, node = _guard(sweep)
    target = Target("local", url)
    assert guard.call(_Case(None), target) == "ok"  # POST /3/Shutdown, answered
    refused = requests.ConnectionError(MaxRetryError(None, "/3/Cloud", NewConnectionError(None, "refused")))  # type: ignore[arg-type]

    class _Refused(_Case):
        def call(self, base_url: str | None = None, session: Any = None, **kwargs: Any) -> str:
            self.calls += 1
            if self.calls == 1:
                raise refused
            return "ok"

    cloud = _Refused(None, query={}, operation=_Operation("get", "/3/Cloud"))
    assert guard.call(cloud, target) == "ok"
    assert cloud.calls == 2
    assert server.restarted == 1
    ((_, value),) = node.user_properties
    entry = crash_entry(value)
    assert entry is not None
    assert entry["path"] == "/3/Shutdown"


def test_an_error_while_the_server_still_answers_is_an_ordinary_failure() -> None:
    app = Starlette(routes=[Route("/3/Cloud", lambda request: JSONResponse({"cloud_healthy": True}))])
    with serve(app) as served:
        sweep = Sweep(servers={})
        guard, node = _guard(sweep)
        with pytest.raises(NoAnswer, match=r"^POST /3/Shutdown: no complete answer \(ReadTimeout\): slow$"):
            guard.call(_Case(requests.ReadTimeout("slow")), Target("local", served.url))
    assert node.user_properties == []
    assert sweep.down_since is None


def test_an_answer_cut_short_is_a_named_failure_without_a_health_probe() -> None:
    sweep = Sweep(servers={})
    guard, node = _guard(sweep)
    cut = requests.exceptions.ChunkedEncodingError("GET /x: IncompleteRead(3 bytes read, 9 more expected)")
    case = _Case(cut)
    url = _closed_port()
    for _ in range(3):
        with pytest.raises(
            NoAnswer, match=r"^POST /3/Shutdown: no complete answer \(ChunkedEncodingError\): GET /x"
        ) as e:
            guard.call(case, Target("live", url))
        assert e.value.curl == f"curl -X POST  '{url}/3/Shutdown?x=1'"  # the report's reproduction; before, none
    assert case.calls == 1, "hypothesis' replays of the example are not sent again"
    assert node.user_properties == []
    assert sweep.down_since is None


@pytest.mark.parametrize(
    "said",
    [
        "GET /things/abc: no complete answer (the target reset the connection)",
        "GET /things/abc: no complete answer within 0.5 s (the request's total deadline)",
    ],
)
def test_a_request_the_adapter_already_called_unanswered_is_said_so_once(said: str) -> None:
    """The closing list cuts messages at 100 characters: the reason must come before the cut, not a repeat."""
    app = Starlette(routes=[Route("/3/Cloud", lambda request: JSONResponse({"cloud_healthy": True}))])
    why = said.partition(": no complete answer ")[2]
    with serve(app) as served, pytest.raises(NoAnswer) as caught:
        _guard(Sweep(servers={}))[0].call(_Case(requests.ConnectionError(said)), Target("local", served.url))
    assert str(caught.value) == f"POST /3/Shutdown: no complete answer {why}"


def test_a_live_target_refusing_after_an_answer_blames_that_answer_and_stops() -> None:
    url = _closed_port()
    sweep = Sweep(servers={})
    guard, node = _guard(sweep)
    assert guard.call(_Case(None), Target("live", url)) == "ok"
    refused = requests.ConnectionError(MaxRetryError(None, "/3/Cloud", NewConnectionError(None, "refused")))  # type: ignore[arg-type]
    cloud = _Case(refused, query={}, operation=_Operation("get", "/3/Cloud"))
    with pytest.raises(ServerCrash, match="went down after POST /3/Shutdown") as crash:
        guard.call(cloud, Target("live", url))
    assert crash.value.operation == "POST /3/Shutdown"
    assert cloud.calls == 1  # no retry against a live server
    assert sweep.down_since is not None
    ((_, value),) = node.user_properties
    entry = crash_entry(value)
    assert entry is not None
    assert entry["path"] == "/3/Shutdown"
    # another API's target on the same session is not down: its cases are still sent
    other = Target("live", "http://127.0.0.1:9/other")
    fine = _Case(None, query={}, operation=_Operation("get", "/api/v1/models"))
    assert guard.call(fine, other) == "ok"
    assert fine.calls == 1
    with pytest.raises(pytest.skip.Exception, match="target is down since"):
        guard.call(_Case(None, query={}, operation=_Operation("get", "/3/Cloud")), Target("live", url))


def test_a_crash_record_lists_the_requests_answered_just_before_it_the_accepted_ones_first() -> None:
    url = _closed_port()
    sweep = Sweep(max_restarts=3, servers={url: _Server(url)})
    guard, node = _guard(sweep)
    target = Target("local", url)

    @dataclass
    class _Answer:
        status_code: int

    class _Answering(_Case):
        def __init__(self, path: str, status: int) -> None:
            super().__init__(None, query={"p": path}, operation=_Operation("post", path))
            self.status = status

        def call(self, base_url: str | None = None, session: Any = None, **kwargs: Any) -> Any:
            return _Answer(self.status)

    for path, status in (("/3/A", 200), ("/3/B", 412), ("/3/C", 200), *[("/3/B", 412)] * 30, ("/3/D", 412)):
        guard.call(_Answering(path, status), target)
    refused = requests.ConnectionError(MaxRetryError(None, "/3/E", NewConnectionError(None, "refused")))  # type: ignore[arg-type]
    with pytest.raises(ServerCrash):
        guard.call(_Case(refused, operation=_Operation("get", "/3/E")), target)
    ((_, value),) = node.user_properties
    entry = crash_entry(value)
    assert entry is not None
    assert entry["path"] == "/3/D"  # the last answered is blamed...
    # ...and the others are suspects: accepted answers first (however many refusals came after), newest first,
    # then the newest refusals
    assert [e["operation"] for e in entry["earlier"]] == ["POST /3/C", "POST /3/A", "POST /3/B", "POST /3/B"]
    assert entry["earlier"][0]["request"]["query"] == {"p": "/3/C"}


def test_the_guard_counts_the_requests_it_sent_on_the_test_item_not_those_it_refused_to_send() -> None:
    url = _closed_port()
    sweep = Sweep(max_restarts=0, servers={})
    guard, node = _guard(sweep)
    target = Target("live", url)
    for value in range(3):
        guard.call(_Case(None, query={"x": str(value)}, operation=_Operation("get", "/3/Cloud")), target)
    assert node.stash[CASES] == 3
    refused = requests.ConnectionError(MaxRetryError(None, "/3/Cloud", NewConnectionError(None, "refused")))  # type: ignore[arg-type]
    with pytest.raises(ServerCrash):
        guard.call(_Case(refused, query={}, operation=_Operation("get", "/3/Cloud")), target)
    assert node.stash[CASES] == 4  # sent, though never answered
    with pytest.raises(pytest.skip.Exception, match="target is down"):
        guard.call(_Case(None, query={"y": "1"}), target)
    assert node.stash[CASES] == 4  # skipped unsent: not a case


#: what H2O-3 3.46.0.12 logged when GET /3/Frames/%05a killed it (trimmed: Jetty's frames and shutdown lines)
_FATAL_LOG = """\
12-03 14:18:56.590 127.0.0.1:51321 5801 3581655-13 INFO water.default: GET /3/Frames/\x05a, parms: {}
12-03 14:18:56.596 127.0.0.1:51321 5801 3581655-13 FATAL water.default: Unknown code failure
12-03 14:18:56.596 127.0.0.1:51321 5801 3581655-13 FATAL water.default: Stacktrace:
12-03 14:18:56.596 127.0.0.1:51321 5801 3581655-13 FATAL water.default:
java.lang.Exception: Unknown code failure
\tat water.H2O.fail(H2O.java:1405)
\tat water.H2O.fail(H2O.java:1431)
\tat water.H2O.fail(H2O.java:1425)
\tat water.Key.D(Key.java:119)
\tat water.Key.cloud_info(Key.java:209)
\tat water.Key.make(Key.java:240)
\tat water.api.Schema.parse(Schema.java:543)
\tat java.base/java.lang.Thread.run(Thread.java:840)
12-03 14:18:56.610 127.0.0.1:51321 5801 3581655-13 INFO org.eclipse.jetty.server.AbstractConnector: Stopped
"""


def test_a_crash_record_carries_the_fatal_line_and_the_throw_site_from_the_server_log() -> None:
    url = _closed_port()

    class _Dying(_Server):
        def log_tail(self, lines: int = 30) -> str:
            return "\n".join(_FATAL_LOG.splitlines()[-lines:])

    sweep = Sweep(max_restarts=3, servers={url: _Dying(url)})
    guard, node = _guard(sweep)
    with pytest.raises(ServerCrash):
        guard.call(_Case(requests.ConnectionError(ConnectionResetError(104, "reset"))), Target("local", url))
    ((_, value),) = node.user_properties
    entry = crash_entry(value)
    assert entry is not None
    failure = Failure.from_dict(entry["failure"])
    assert failure.fatal == "Unknown code failure"
    assert failure.throw_site == "water.Key.D(Key.java:119)"  # below H2O.fail, the helper every FATAL goes through
    # one root cause, whichever operation reached it
    assert failure.signature == "server crash: Unknown code failure at water.Key.D(Key.java:119)"
    assert "FATAL: Unknown code failure\nthrow site: water.Key.D(Key.java:119)" in (failure.response or "")
    assert [step["path"] for step in entry["sequence"]] == ["/3/Shutdown"]  # the requests before it, culprit last


def test_a_crash_found_with_an_int_below_int32_crosses_xdists_wire() -> None:
    # a drawn query of -5e9 made the worker's report unsendable (execnet packs ints in 4 bytes): the session ended
    # in an INTERNALERROR, "Unexpectedly no active workers available", with no report of the crash
    from execnet.gateway_base import dumps_internal, loads_internal

    url = _closed_port()
    sweep = Sweep(max_restarts=3, servers={url: _Server(url)})
    guard, node = _guard(sweep)
    case = _Case(requests.ConnectionError(ConnectionResetError(104, "reset")), query={"row_offset": -5_000_000_000})
    with pytest.raises(ServerCrash):
        guard.call(case, Target("local", url, Credentials()))
    ((_, value),) = loads_internal(dumps_internal(node.user_properties))
    entry = crash_entry(value)
    assert entry is not None
    assert entry["request"]["query"] == {"row_offset": -5_000_000_000}
