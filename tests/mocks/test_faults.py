"""Fault injection: each fault observed on the wire with httpx against a mock served on loopback."""

from __future__ import annotations

import importlib
import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from h2oharness.apis import APIS, get_api
from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState, H2OGPTeTimings, make_app
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.faults import FaultError, FaultPlan, glob_meets_template, parse_faults
from h2oharness.mocks.jobs import JOB_FAULTS, JobBoard, JobPhase, JobTiming
from h2oharness.mocks.serve import serve
from h2oharness.targets import Target, check_fault_plan, serve_mock

CLOUD = "/3/Cloud"


@pytest.fixture(scope="module")
def h2o3() -> Iterator[Target]:
    with serve_mock(get_api("h2o3")) as target:
        yield target


def plain(target: Target) -> httpx.Client:
    """A client without the harness's deadline transport: what the wire does, unretouched."""
    return httpx.Client(base_url=target.url, auth=target.credentials.httpx_auth(), timeout=10.0)


def fault(text: str) -> dict[str, str]:
    return {"X-Harness-Fault": text}


def test_status_fault_answers_the_injected_status(h2o3: Target) -> None:
    with plain(h2o3) as http:
        response = http.get(CLOUD, headers=fault("status=503"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "injected fault" in response.json()["error"]


def test_reset_closes_the_connection_without_a_response(h2o3: Target) -> None:
    with plain(h2o3) as http, pytest.raises(httpx.TransportError) as caught:
        http.get(CLOUD, headers=fault("reset"))
    assert isinstance(caught.value, (httpx.ReadError, httpx.RemoteProtocolError))


def test_reset_is_a_tcp_reset_on_a_raw_socket(h2o3: Target) -> None:
    port = int(h2o3.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {CLOUD} HTTP/1.1\r\nHost: x\r\nX-Harness-Fault: reset\r\n\r\n".encode())
        with pytest.raises(ConnectionResetError):
            assert sock.recv(1024) == b"", "a FIN, not a reset"


def test_truncated_body_keeps_its_full_content_length(h2o3: Target) -> None:
    with plain(h2o3) as http, pytest.raises(httpx.RemoteProtocolError, match=r"incomplete|without sending complete"):
        http.get(CLOUD, headers=fault("truncate"))


def test_malformed_json_is_valid_http_with_a_body_that_does_not_parse(h2o3: Target) -> None:
    with plain(h2o3) as http:
        whole = http.get(CLOUD).content
        response = http.get(CLOUD, headers=fault("malformed"))
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content) < len(whole)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_wrong_content_type(h2o3: Target) -> None:
    with plain(h2o3) as http:
        response = http.get(CLOUD, headers=fault("content-type=text/csv"))
    assert response.headers["content-type"] == "text/csv"
    assert response.json()["cloud_healthy"] is True


class _Enough(Exception):
    """Raised by a test's ASGI send once it has seen what it needs: the answer stops there."""


def test_drip_sends_the_body_one_byte_a_write() -> None:
    """Each write the mock makes is one byte, the drip's time apart. Seen on the wire, a reader slower than the
    drip (a loaded machine) gets bytes that waited in the socket together, so the test reads the app's writes."""
    import asyncio

    from h2oharness.apis.h2o3 import mock

    app = mock.make_app(mock.default_state())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": CLOUD,
        "raw_path": CLOUD.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"x-harness-fault", b"drip=0.005")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    pieces: list[bytes] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.body":
            pieces.append(bytes(message["body"]))  # type: ignore[arg-type]
            if len(pieces) == 20:
                raise _Enough

    async def main() -> None:
        with pytest.raises(_Enough):
            await app(scope, receive, send)

    asyncio.run(main())
    assert [len(piece) for piece in pieces] == [1] * 20
    assert b"".join(pieces).startswith(b"{")


def test_latency_delays_the_answer(h2o3: Target) -> None:
    with plain(h2o3) as http:
        started = time.monotonic()
        response = http.get(CLOUD, headers=fault("latency=0.3"))
        waited = time.monotonic() - started
    assert response.status_code == 200
    assert waited >= 0.3  # a lower bound set by the fault itself, not a speed target


def test_expire_refuses_good_credentials(h2o3: Target) -> None:
    with plain(h2o3) as http:
        assert http.get("/3/Frames").status_code == 200
        assert http.get("/3/Frames", headers=fault("expire")).status_code == 401


def test_a_bad_header_is_a_400_that_says_why(h2o3: Target) -> None:
    with plain(h2o3) as http:
        response = http.get(CLOUD, headers=fault("explode"))
    assert response.status_code == 400
    assert "unknown fault 'explode'" in response.json()["error"]


def test_plan_token_expiry_after_n_requests_from_a_file(tmp_path: Path) -> None:
    plan = tmp_path / "faults.yaml"
    plan.write_text("rules:\n  - fault: expire\n    path: /3/Frames\n    after: 2\n")
    with serve_mock(get_api("h2o3"), faults=FaultPlan.from_file(plan)) as target, plain(target) as http:
        statuses = [http.get("/3/Frames").status_code for _ in range(4)]
        assert http.get(CLOUD).status_code == 200
    assert statuses == [200, 200, 401, 401]


def test_plan_every_nth_and_operation_match() -> None:
    plan = FaultPlan.from_data([{"operation": "get /3/Jobs/{job_id}", "every": 3, "fault": "status=502"}])
    with serve_mock(get_api("h2o3"), faults=plan) as target, plain(target) as http:
        statuses = [http.get("/3/Jobs/nope").status_code for _ in range(6)]
        other = http.get("/3/Jobs").status_code
    assert [s == 502 for s in statuses] == [False, False, True, False, False, True]
    assert other != 502


def test_a_request_marked_none_meets_no_fault_and_leaves_the_plan_where_it_was() -> None:
    plan = FaultPlan.from_data([{"every": 2, "fault": "reset"}])
    with serve_mock(get_api("h2o3"), faults=plan) as target, plain(target) as http:
        spared = [http.get(CLOUD, headers=fault("none")).status_code for _ in range(3)]
        assert http.get(CLOUD).status_code == 200  # the plan's first match: the exempted requests were not counted
        with pytest.raises(httpx.TransportError):
            http.get(CLOUD)
    assert spared == [200, 200, 200]


def test_plan_probability_is_reproducible_with_its_seed() -> None:
    def draws(seed: int) -> list[bool]:
        plan = FaultPlan.from_data({"seed": seed, "rules": [{"probability": 0.5, "fault": "reset"}]})
        return [bool(plan.pick("GET", "/x", "")) for _ in range(40)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert 5 < sum(draws(7)) < 35


def _streams(text: str) -> list[bytes]:
    """The raw lines of an h2oGPTe JSONL completion sent with ``X-Harness-Fault: text`` (8 tokens, no pauses)."""
    state = H2OGPTeMockState(clock=ManualClock(), timings=H2OGPTeTimings(first_token=0, token_gap=0, tokens=8))
    auth = {"Authorization": f"Bearer {DEFAULT_KEY}"}
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, headers=auth, timeout=10) as http:
        chat = http.post("/api/v1/chats", json={}).json()["id"]
        body = {"message": "hello", "stream": True}
        lines: list[bytes] = []
        with http.stream("POST", f"/api/v1/chats/{chat}/completions", json=body, headers=fault(text)) as response:
            try:
                for line in response.iter_lines():
                    lines.append(line.encode())
            except httpx.RemoteProtocolError:
                lines.append(b"<cut>")
        return lines


def test_stream_truncated_mid_stream() -> None:
    whole = _streams("")
    cut = _streams("truncate=3")
    assert len(whole) == 9
    assert b"<cut>" not in whole
    assert cut[-1] == b"<cut>"
    assert 1 < len(cut) < len(whole)


def test_stream_malformed_line() -> None:
    lines = _streams("malformed")
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])
    assert json.loads(lines[-1])["finished"] is True


def test_stuck_fault_reaches_a_job_submitted_through_the_wire() -> None:
    """A build that fails at once stays RUNNING when submitted with ``stuck``."""
    body = {"training_frame": "nowhere", "response_column": {"column_name": "y"}}
    with serve_mock(get_api("h2o3")) as target, plain(target) as http:
        statuses = []
        for header in ({}, fault("stuck")):
            built = http.post("/3/ModelBuilders/gbm", json=body, headers=header).json()
            job = http.get(f"/3/Jobs/{built['job']['key']['name']}").json()["jobs"][0]
            statuses.append(job["status"])
    assert statuses == ["FAILED", "RUNNING"]


@pytest.mark.parametrize("text", ["latency=-1", "status=99", "status=abc", "latency=2..1", "nope"])
def test_bad_faults_are_refused(text: str) -> None:
    with pytest.raises(FaultError):
        parse_faults(text)


@pytest.mark.parametrize("text", ["status=200", "status=204", "status=302", "status=399", "status=100", "status=503.5"])
def test_a_status_fault_that_is_no_error_is_refused(text: str) -> None:
    # before: status=200 was taken, and every "faulted" request answered success with an error body
    with pytest.raises(FaultError, match=rf"fault '{re.escape(text)}': .* an error one, 400 to 599"):
        parse_faults(text)


def test_a_status_fault_of_any_error_is_taken() -> None:
    faults = parse_faults("status=400; status=429; status=599")
    assert [(f.kind, f.value) for f in faults] == [("status", "400"), ("status", "429"), ("status", "599")]


def test_a_plan_names_the_rule_of_a_bad_fault(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("rules:\n  - {path: /3/About, fault: status=503}\n  - {path: /3/Cloud, fault: status=200}\n")
    with pytest.raises(FaultError) as caught:
        FaultPlan.from_file(path)
    assert str(caught.value).startswith(f"{path}: rule 2: fault 'status=200': ")


@pytest.mark.parametrize("text", ["latency=1e308", "latency=0..90000", "latency=exp:1e9"])
def test_a_latency_past_a_day_is_refused_with_stuck_named(text: str) -> None:
    # before, latency=1e308 was taken and the answer never came, as 'stuck' does, with nothing said
    with pytest.raises(FaultError, match=r"is longer than a day .*use 'stuck'"):
        parse_faults(text)
    assert [f.kind for f in parse_faults("latency=86400; latency=0.1..2; latency=exp:0.5")] == ["latency"] * 3


def test_bad_plans_are_refused(tmp_path: Path) -> None:
    for text in ("rules: [{fault: reset, colour: red}]", "rules: {a: 1}", "[{path: /x}]", "{oops"):
        path = tmp_path / "plan.yaml"
        path.write_text(text)
        with pytest.raises(FaultError):
            FaultPlan.from_file(path)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # each was taken, then failed every request it met with the mock's 500 (int has no upper(), no len())
        ({"method": 123}, "rule 1: method 123 is not an HTTP method"),
        ({"path": 5}, "rule 1: path is a string, got 5"),
        # each was taken and never matched: a plan that injected nothing, said nowhere
        ({"method": "GTE"}, "rule 1: method 'GTE' is not an HTTP method"),
        ({"operation": "/3/Jobs/{job_id}"}, "rule 1: operation '/3/Jobs/{job_id}' is a method and a path"),
        ({"operation": "FETCH /3/Jobs"}, "rule 1: method 'FETCH' is not an HTTP method"),
        # read as 2, and 'times: 1.5' as 1
        ({"every": 2.5}, "rule 1: every is a whole number of at least 1, got 2.5"),
        ({"times": 1.5}, "rule 1: times is a whole number of at least 0, got 1.5"),
    ],
)
def test_a_rule_field_of_the_wrong_kind_is_refused_when_the_plan_is_read(
    rule: dict[str, object], expected: str
) -> None:
    with pytest.raises(FaultError, match=re.escape(expected)):
        FaultPlan.from_data({"rules": [{**rule, "fault": "status=503"}]})


def test_a_rule_s_method_and_operation_are_matched_in_any_case() -> None:
    plan = FaultPlan.from_data([{"method": " post ", "fault": "reset"}, {"operation": "get /x/{id}", "fault": "stuck"}])
    assert [str(f) for f in plan.pick("POST", "/y", "POST /y")] == ["reset"]
    assert [str(f) for f in plan.pick("GET", "/x/1", "GET /x/{id}")] == ["stuck"]


@pytest.mark.parametrize("slug", sorted(APIS))
def test_a_plan_may_name_every_operation_its_mock_routes(slug: str) -> None:
    mock = importlib.import_module(f"h2oharness.apis.{slug}.mock")
    operations = sorted(mock.make_app(mock.default_state()).operations)
    # the method in any case, as the rules read it
    rules = [{"operation": op.replace("GET ", "get ", 1), "fault": "reset"} for op in operations]
    check_fault_plan(FaultPlan.from_data(rules), [get_api(slug)], "plan.yaml")
    rules.append({"operation": "GET /nowhere", "fault": "reset"})
    with pytest.raises(FaultError, match=rf"plan.yaml: rule {len(rules)}: operation 'GET /nowhere' is not one of"):
        check_fault_plan(FaultPlan.from_data(rules), [get_api(slug)], "plan.yaml")


def test_a_probability_above_one_is_refused_not_clamped() -> None:
    # "probability: 20" meant for 20 % was read as 1: every matching request of the run faulted
    with pytest.raises(FaultError, match=r"probability is a share from 0 to 1 \(0.2 is 20 %\), got 20"):
        FaultPlan.from_data({"rules": [{"probability": 20, "fault": "reset"}]})


def test_stuck_job_never_leaves_running() -> None:
    clock = ManualClock()
    board = JobBoard(clock)
    token = JOB_FAULTS.set(frozenset({"stuck"}))
    try:
        stuck = board.submit("x", JobTiming(0.0, 1.0))
    finally:
        JOB_FAULTS.reset(token)
    normal = board.submit("x", JobTiming(0.0, 1.0))
    clock.advance(100.0)
    assert stuck.phase(clock.now()) is JobPhase.RUNNING
    assert stuck.progress(clock.now()) <= 0.5
    assert normal.phase(clock.now()) is JobPhase.SUCCEEDED


def test_regressing_job_progress_goes_backwards() -> None:
    clock = ManualClock()
    token = JOB_FAULTS.set(frozenset({"regress"}))
    try:
        job = JobBoard(clock).submit("x", JobTiming(0.0, 10.0))
    finally:
        JOB_FAULTS.reset(token)
    clock.advance(4.0)
    before = job.progress(clock.now())
    clock.advance(2.0)
    assert job.progress(clock.now()) < before


def test_the_readme_plan_reads() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("```yaml\nseed: 7\n", 1)[1].split("```", 1)[0]
    plan = FaultPlan.from_data(yaml.safe_load("seed: 7\n" + block))
    assert [str(f) for rule in plan.rules for f in rule.faults] == ["status=503", "stuck", "expire"]
    assert plan.rules[1].every == 3
    assert plan.rules[2].after == 50


def test_plan_after_seconds_and_times() -> None:
    now = [0.0]
    rules = FaultPlan.from_data([{"fault": "expire", "after_seconds": 5}, {"fault": "reset", "times": 2}]).rules
    plan = FaultPlan(rules, clock=lambda: now[0])
    first = [str(f) for f in plan.pick("GET", "/x", "")]
    now[0] = 6.0
    later = [[str(f) for f in plan.pick("GET", "/x", "")] for _ in range(2)]
    assert first == ["reset"]
    assert later == [["expire", "reset"], ["expire"]]


@pytest.mark.parametrize("slug", sorted(APIS))
def test_every_mock_injects_faults(slug: str) -> None:
    api = get_api(slug)
    with serve_mock(api) as target, plain(target) as http:
        http.headers.update(target.credentials.headers())
        assert http.get(api.health_path).status_code == 200
        assert http.get(api.health_path, headers=fault("status=418")).status_code == 418
        with pytest.raises(httpx.TransportError):
            http.get(api.health_path, headers=fault("reset"))
        assert http.get(api.health_path, headers=fault("content-type=text/x-fault")).headers["content-type"] == (
            "text/x-fault"
        )


@pytest.mark.parametrize(
    ("glob", "template", "meets"),
    [
        ("/3/Jobs/*", "/3/Jobs/{job_id}", True),
        ("/3/Jobs/abc", "/3/Jobs/{job_id}", True),
        ("/3/*/x", "/3/Frames/{id}/x", True),
        ("/3/[JK]obs", "/3/Jobs", True),
        ("/v1/*:run", "/v1/workspaces/{w}/workflows/{f}:run", True),
        ("/3/Job/*", "/3/Jobs/{job_id}", False),
        ("/3/Jobs/", "/3/Jobs/{job_id}", False),  # a parameter is never empty
        ("/3/Jobs/*", "/3/Jobs", False),
    ],
)
def test_a_path_glob_meets_a_route_when_some_path_matches_both(glob: str, template: str, meets: bool) -> None:
    assert glob_meets_template(glob, template) is meets


def test_a_path_glob_that_matches_no_route_is_refused_with_the_closest_ones() -> None:
    """``path: /3/Job/*`` (for /3/Jobs) was taken and injected nothing, said nowhere."""
    h2o3 = [get_api("h2o3")]
    with pytest.raises(FaultError, match=r"plan.yaml: rule 2: path '/3/Job/\*' matches no route of the h2o3 mock") as e:
        check_fault_plan(
            FaultPlan.from_data([{"path": "/3/Jobs/*", "fault": "reset"}, {"path": "/3/Job/*", "fault": "reset"}]),
            h2o3,
            "plan.yaml",
        )
    assert "'/3/Jobs/{job_id}'" in str(e.value)
    with pytest.raises(
        FaultError, match=r"path '/3/Cloud' matches no POST route .*; it matches routes of GET, HEAD only"
    ):
        check_fault_plan(FaultPlan.from_data([{"method": "POST", "path": "/3/Cloud", "fault": "reset"}]), h2o3, "p")
    # a documented path the mock does not implement is one a run's tests send: its fault is met
    check_fault_plan(FaultPlan.from_data([{"path": "/3/About", "fault": "status=418"}]), h2o3, "plan.yaml")
