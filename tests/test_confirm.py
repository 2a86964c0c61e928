"""Confirming and reducing a crash, against a small loopback server that dies on one kind of request."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from h2oharness.confirm import Confirmation, Request, confirm_crash, kills, reduce_request


class _Fragile:
    """A server on a fixed loopback port that answers, then exits, when POST /die has ``mode`` starting with x."""

    def __init__(self) -> None:
        self.starts = 0
        self.version = "fragile-1"
        self._server: ThreadingHTTPServer | None = None
        self._port = 0
        self.start()
        self.url = f"http://127.0.0.1:{self._port}"

    def start(self) -> None:
        fragile = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                mode = parse_qs(parts.query).get("mode", [""])[0]
                self._answer()
                if fragile.kills(parts.path, mode):
                    threading.Thread(target=fragile.stop, daemon=True).start()

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.starts += 1

    def kills(self, path: str, mode: str) -> bool:
        """Whether the POST just answered kills the server: ``/die`` with a mode starting with x."""
        return path == "/die" and mode.startswith("x")

    def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.shutdown()
            server.server_close()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def fragile() -> Any:
    server = _Fragile()
    yield server
    server.stop()


def test_kills_tells_a_deadly_request_from_a_harmless_one(fragile: _Fragile) -> None:
    assert not kills(Request("POST", "/die", {"mode": "safe"}), fragile.url, "/health", settle=0.5)
    assert kills(Request("POST", "/die", {"mode": "x"}), fragile.url, "/health", settle=2.0)


def test_a_crash_is_confirmed_and_reduced_to_the_parameter_that_kills() -> None:
    servers: list[_Fragile] = []

    def start() -> _Fragile:
        servers.append(_Fragile())
        return servers[-1]

    sent = Request("POST", "/die", {"noise": "abcdef", "mode": "xxxxxxxx", "n": 7})
    outcome = confirm_crash(sent, start, "/health", budget=12, settle=1.0)
    assert outcome.confirmed
    assert outcome.minimal == Request("POST", "/die", {"mode": "x"})
    assert outcome.original == sent
    assert outcome.replays >= 2
    assert "confirmed" in outcome.summary()
    assert "2 of 3 parameters dropped" in outcome.summary()
    assert "mode=x" in outcome.minimal.curl(outcome.url)
    # one start, then a restart after every death; stopped at the end
    assert len(servers) == 1
    assert servers[0].starts > 2
    assert servers[0]._server is None


def test_a_crash_the_fresh_server_survives_is_not_confirmed(fragile: _Fragile) -> None:
    outcome = confirm_crash(Request("POST", "/die", {"mode": "safe"}), lambda: fragile, "/health", settle=0.5)
    assert not outcome.confirmed
    assert outcome.minimal == outcome.original
    assert "survived the replay" in outcome.summary()


def test_no_fresh_server_is_a_reason_not_a_traceback() -> None:
    def start() -> _Fragile:
        raise RuntimeError("no java on PATH")

    outcome = confirm_crash(Request("POST", "/die"), start, "/health")
    assert isinstance(outcome, Confirmation)
    assert not outcome.confirmed
    assert "no java on PATH" in outcome.summary()


def test_reduction_keeps_within_its_budget_and_keeps_only_what_still_kills() -> None:
    seen: list[Request] = []

    def still_kills(candidate: Request) -> bool:
        seen.append(candidate)
        return "a" in candidate.query and len(str(candidate.query["a"])) >= 2

    minimal, tried = reduce_request(Request("GET", "/x", {"a": "aaaaaaaa", "b": [1, 2, 3], "c": 5}), still_kills)
    assert minimal.query == {"a": "aa"}
    assert tried == len(seen) <= 12
    assert reduce_request(Request("GET", "/x", {"a": "a", "b": 1}), lambda c: True) == (Request("GET", "/x"), 1)
    capped, tried = reduce_request(Request("GET", "/x", {"a": "a" * 64, "b": 1}), lambda c: "a" in c.query, budget=3)
    assert tried == 3
    assert capped.query == {"a": "a" * 64}  # all dropped: no; a dropped: no; b dropped: yes; then out of budget


def test_a_request_round_trips_through_its_record() -> None:
    sent = Request("POST", "/3/ModelBuilders/gbm", {"ntrees": 5, "balance_classes": True, "cols": ["a", "b"]})
    assert Request.from_dict(sent.to_dict()) == sent
    # sent as schemathesis sends it: requests' serialisation
    assert str(sent.prepared("http://h").url) == (
        "http://h/3/ModelBuilders/gbm?ntrees=5&balance_classes=True&cols=a&cols=b"
    )


def test_a_crash_of_an_api_without_a_local_server_keeps_its_request_with_the_reason() -> None:
    from h2oharness.confirm import confirm_recorded_crash

    crash = {
        "api": "coreplexml", "kind": "live", "method": "POST", "path": "/api/experiments", "id": "x",
        "url": "http://127.0.0.1:9", "headers": {"Authorization": "Bearer [REDACTED]"},
        "request": Request("POST", "/api/experiments", {"a": "1"}).to_dict(),
        "failure": {"check": "server_crash", "message": "m", "curl": "curl -X POST http://127.0.0.1:9/api/experiments"},
    }  # fmt: skip
    out = confirm_recorded_crash(crash, budget=12)
    assert out["confirmed"] is False
    assert "cannot start a fresh CorePlexML" in out["failure"]["reproduced"]
    assert out["failure"]["curl"] == crash["failure"]["curl"]


@pytest.mark.slow
def test_a_confirmed_crash_shows_the_minimal_request_with_the_credentials_it_carried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import h2oharness.confirm as confirm
    import h2oharness.targets as targets

    servers: list[_Fragile] = []
    monkeypatch.setattr(targets, "start_local", lambda api: servers.append(_Fragile()) or servers[-1])
    sent = Request("POST", "/die", {"noise": "abc", "mode": "xx"})
    crash = {
        "api": "h2o3", "kind": "live", "method": "POST", "path": "/die", "id": "y",
        "url": "https://h2o.staging.example", "headers": {"Authorization": "Basic [REDACTED]"},
        "request": sent.to_dict(),
        "failure": {"check": "server_crash", "message": "m", "curl": "curl -X POST 'https://h2o.staging.example/die?noise=abc&mode=xx'",
                    "response": "server log"},
    }  # fmt: skip
    out = confirm.confirm_recorded_crash(crash, budget=12)
    assert out["confirmed"] is True
    assert out["failure"]["reproduced"].startswith("confirmed on a fresh server fragile-1")
    assert (
        out["failure"]["curl"]
        == "curl -X POST 'https://h2o.staging.example/die?mode=x' -H 'Authorization: Basic [REDACTED]'"
    )
    assert out["failure"]["response"].startswith("as first sent:\ncurl -X POST 'https://h2o.staging.example/die?noise")
    assert servers[0]._server is None  # stopped


@pytest.mark.slow
def test_when_the_blamed_request_survives_an_earlier_one_that_kills_becomes_the_finding() -> None:
    from h2oharness.confirm import confirm_record

    servers: list[_Fragile] = []

    def start() -> _Fragile:
        servers.append(_Fragile())
        return servers[-1]

    harmless = Request("POST", "/die", {"mode": "safe"})
    deadly = Request("POST", "/die", {"mode": "xx", "noise": "1"})
    crash = {
        "api": "h2o3", "kind": "local", "method": "POST", "path": "/die", "id": "z", "url": "http://127.0.0.1:1",
        "headers": {}, "request": harmless.to_dict(),
        "earlier": [
            {"operation": "GET /other", "curl": "curl http://127.0.0.1:1/other", "status": 200,
             "request": Request("GET", "/other").to_dict()},
            {"operation": "POST /die", "curl": "curl -X POST 'http://127.0.0.1:1/die?mode=xx&noise=1'", "status": 200,
             "request": deadly.to_dict()},
        ],
        "failure": {"check": "server_crash", "message": "POST /die at t: answered, then the server went down",
                    "curl": "curl -X POST 'http://127.0.0.1:1/die?mode=safe'", "signature": "server crash: POST /die"},
    }  # fmt: skip
    out = confirm_record(crash, start, "/health", budget=12, settle=1.0)
    assert out["confirmed"] is True
    assert out["failure"]["curl"] == "curl -X POST 'http://127.0.0.1:1/die?mode=x'"
    assert (
        "survived its replay: the request that kills is this earlier one (answered HTTP 200)"
        in (out["failure"]["reproduced"])
    )
    assert "mode=xx&noise=1" in out["failure"]["response"]  # shown as first sent
    assert all(s._server is None for s in servers)  # every fresh server stopped
    # within the budget: an unconfirmed crash with no suspect left stays unconfirmed
    alone = confirm_record({**crash, "earlier": []}, start, "/health", budget=12, settle=1.0)
    assert alone["confirmed"] is False
    assert alone["failure"]["curl"] == crash["failure"]["curl"]


def test_reduction_shortens_path_parameters_but_never_to_an_empty_segment() -> None:
    sent = Request("GET", "/m/ab%C3%A8def", template="/m/{id}", path_parameters={"id": "abèdef"})
    minimal, _ = reduce_request(sent, lambda c: c.path.startswith("/m/a"))
    assert minimal.path == "/m/a"
    assert minimal.path_parameters == {"id": "a"}
    assert Request.from_dict(minimal.to_dict()) == minimal
    assert sent.with_path_parameter("id", "\x05è").path == "/m/%05%C3%A8"  # encoded as schemathesis does


class _Primed(_Fragile):
    """A server that dies only on POST /fire after a POST /arm whose ``mode`` starts with x (two requests)."""

    def start(self) -> None:
        self.armed = False  # a fresh server forgets the arming
        super().start()

    def kills(self, path: str, mode: str) -> bool:
        if path == "/arm":
            self.armed = mode.startswith("x")
        return path == "/fire" and self.armed


_ARMED = [
    Request("GET", "/noise", {"a": "1"}),
    Request("POST", "/arm", {"mode": "xxxx", "pad": "abcdef"}),
    Request("GET", "/noise", {"b": "2"}),
    Request("POST", "/other"),
    Request("POST", "/fire", {"n": 3}),
]


def test_delta_debugging_keeps_the_requests_a_death_needs_in_their_order() -> None:
    from h2oharness.confirm import reduce_sequence

    def still_kills(steps: list[Request]) -> bool:
        paths = [s.path for s in steps]
        return "/arm" in paths and "/fire" in paths[paths.index("/arm") :]

    minimal, tried = reduce_sequence(_ARMED, still_kills, budget=20)
    assert [s.path for s in minimal] == ["/arm", "/fire"]
    assert tried <= 20
    # within its budget, and nothing dropped that the death needs
    capped, tried = reduce_sequence(_ARMED, still_kills, budget=1)
    assert tried == 1
    assert still_kills(capped)


@pytest.mark.slow
def test_a_death_that_needs_two_requests_is_replayed_as_a_sequence_and_reduced() -> None:
    from h2oharness.confirm import confirm_record, confirm_sequence, sequence_kills

    servers: list[_Primed] = []

    def start() -> _Primed:
        servers.append(_Primed())
        return servers[-1]

    alone = start()
    assert not sequence_kills(_ARMED[-1:], alone.url, "/health", settle=0.5)  # the last request alone: harmless
    alone.stop()
    outcome = confirm_sequence(_ARMED, start, "/health", budget=30, settle=0.5)
    assert outcome.confirmed
    assert outcome.minimal == (Request("POST", "/arm", {"mode": "x"}), Request("POST", "/fire"))
    assert "as a sequence of 2 requests, reduced from the last 5" in outcome.summary()
    assert outcome.curl("http://h") == "# 1\ncurl -X POST 'http://h/arm?mode=x'\n# 2\ncurl -X POST http://h/fire"
    assert servers[-1]._server is None  # stopped
    # from the sweep's record: the single requests survive, the sequence is the finding
    crash = {
        "api": "h2o3", "kind": "local", "method": "POST", "path": "/fire", "id": "s", "url": "http://127.0.0.1:1",
        "headers": {}, "request": _ARMED[-1].to_dict(), "earlier": [],
        "sequence": [step.to_dict() for step in _ARMED],
        "failure": {"check": "server_crash", "message": "POST /fire at t: answered, then the server went down",
                    "curl": "curl -X POST 'http://127.0.0.1:1/fire?n=3'", "signature": "server crash: POST /fire"},
    }  # fmt: skip
    out = confirm_record(crash, start, "/health", budget=30, settle=0.5)
    assert out["confirmed"] is True
    assert out["failure"]["signature"] == "server crash: sequence ending in POST /fire"
    assert out["failure"]["curl"].splitlines()[1] == "curl -X POST 'http://127.0.0.1:1/arm?mode=x'"
    assert [s["path"] for s in out["sequence_minimal"]] == ["/arm", "/fire"]
    assert all(s._server is None for s in servers)


def test_reduction_drops_the_fields_of_a_form_body_that_the_death_does_not_need() -> None:
    form = "application/x-www-form-urlencoded"
    sent = Request("POST", "/99/AutoMLBuilder", body={"a": "1", "build_control": "x", "b": "2"}, media_type=form)
    minimal, _ = reduce_request(sent, lambda c: isinstance(c.body, dict) and c.body.get("build_control") == "x")
    assert minimal == Request("POST", "/99/AutoMLBuilder", body={"build_control": "x"}, media_type=form)
    verdict = Confirmation(True, sent, minimal, 4, "http://h", "3.46.0.12", "").summary()
    assert "(2 of 3 parameters dropped" in verdict
