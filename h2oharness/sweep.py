"""Surviving a target that dies during a contract sweep, and turning each death into a ``server_crash`` finding.

A request that gets no answer (refused, reset, timed out) makes the sweep probe the
target's health path. If the target is down, the request that killed it (the one in
flight, or the last one answered before the refusal) is recorded with its curl
reproduction, the time and, for a server the harness runs, the server's last log lines.
A harness-managed local server is then restarted on the same port (bounded: at most
``max_restarts`` per session); any other target is left alone and every later
request is skipped, so a dead staging server gets no storm of retries.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import requests
from schemathesis.core import NotSet

from h2oharness.confirm import Request
from h2oharness.errors import NoAnswer, SpecError
from h2oharness.http.asdrawn import as_drawn, negated_headers
from h2oharness.http.deadline import deadline_transport
from h2oharness.http.redact import redact, redact_mapping
from h2oharness.mocks import faults
from h2oharness.mocks.app import UNIMPLEMENTED
from h2oharness.report.defects import fatal_of
from h2oharness.report.model import Failure
from h2oharness.targets import Target, tls_context
from h2oharness.yamlinput import read_yaml

__all__ = [
    "ANSWERS",
    "CASES",
    "CRASH",
    "OUTAGE_ERRORS",
    "Restartable",
    "ServerCrash",
    "Sweep",
    "SweepGuard",
    "crash_signature",
    "health_failure",
    "in_flight",
    "load_destructive",
]

#: user_properties key of a crash finding: {"method", "path", "failure"}
CRASH = "h2oharness-crash"


def crash_entry(value: object) -> dict[str, Any] | None:
    """A crash finding from its user_properties value (JSON text), or None when it is not one."""
    try:
        found = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


#: on a test item's stash: how many requests its cases sent through the sweep (the report's "Cases" column)
CASES = pytest.StashKey[int]()
#: on a test item's stash: per operation (``"METHOD /path"``), the status codes its valid requests were answered
#: with, and how often (a positive case sent with its operation's method): an operation that conforms on 404s alone
#: never had its success answer tested
ANSWERS = pytest.StashKey[dict[str, dict[str, int]]]()
#: what ``case.call`` raises when no answer came back
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (requests.ConnectionError, requests.Timeout, ConnectionError)
_LOG_LINES = 30
#: how far back in the server log a crash record looks for the FATAL line and its stack trace
_FATAL_SCAN = 2000
_RECENT = 64
#: how many of the last requests a crash record keeps, in order, for a replay as a sequence
_SEQUENCE = 16
#: how many suspects a crash record names: the accepted answers first, then refusals
_SUSPECTS = (4, 2)
#: answers this close before the outage are suspects too
_SUSPECT_WINDOW = 15.0


class ServerCrash(BaseException):
    """The request under test killed the server: ends the test at once.

    A BaseException on purpose: hypothesis shrinks and replays an Exception, and replaying a request that kills
    the server would kill it again.
    """

    def __init__(self, operation: str, message: str) -> None:
        super().__init__(f"server crash on {operation}: {message}")
        self.operation = operation


class ServerCrashAfterTest(ServerCrash, Exception):
    """The server died after the test's last answer, seen by its fixture's teardown (:meth:`SweepGuard.finish`).

    An Exception too: pytest's teardown passes on Exceptions only, and a BaseException there skipped the test's
    other finalizers and left its module set up, so the next module's first test failed "previous item was not
    torn down properly". Hypothesis, which ServerCrash keeps out, is done by then.
    """


class Restartable(Protocol):
    """A server the harness runs: its log and a restart on the same URL."""

    url: str

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server wrote."""

    def restart(self) -> None:
        """Start a fresh server on the same URL."""


def crash_signature(method: str, path: str, query: Any) -> str:
    """What identifies one request for the never-replay-twice guard: method, path and a hash of its query."""
    text = json.dumps(query or {}, sort_keys=True, default=str)
    return f"{method.upper()} {path} {hashlib.sha256(text.encode()).hexdigest()[:16]}"


def in_flight(exc: BaseException) -> bool:
    """Whether the request reached the server before the failure (reset, read timeout) rather than being refused."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        current = stack.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError) or type(current).__name__ == "NewConnectionError":
            return False
        stack += [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
    return True


def health_failure(url: str, health_path: str, timeout: float = 10.0) -> str | None:
    """Why the server at ``url`` is down (no answer on ``health_path`` within ``timeout``), or None if it answers.

    Any HTTP answer, even a 401 or a 500, means the process is alive. The probe asks a mock to leave out the faults
    it injects (a live server ignores the header): a plan that resets every path is not the mock's death.
    """
    try:
        with httpx.Client(timeout=timeout, transport=deadline_transport(timeout, verify=tls_context())) as client:
            client.get(f"{url}{health_path}", headers={faults.HEADER: faults.NO_FAULT})
    except httpx.HTTPError as exc:
        return f"GET {health_path} got no answer either ({type(exc).__name__}: {exc})"
    return None


def load_destructive(path: Path) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> reason of the operations a sweep must not send unless asked; empty when the file is missing.

    The file is a YAML list of ``{operation: "POST /3/Shutdown", reason: "..."}``.
    """

    if not path.is_file():
        return {}
    raw = read_yaml(path, SpecError) or []
    if not isinstance(raw, list):
        raise SpecError(f"{path}: expected a list of {{operation, reason}}")
    out: dict[tuple[str, str], str] = {}
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict) or not entry.get("operation") or not entry.get("reason"):
            raise SpecError(f"{path}: entry {index} needs an 'operation' and a 'reason'")
        method, _, route = str(entry["operation"]).partition(" ")
        out[(method.upper(), route)] = str(entry["reason"])
    return out


def _no_answer(operation: str, exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    # the adapter's messages already say it of the request by its path: keep their reason, under the template
    request, said, why = text.partition(": no complete answer ")
    if said and re.fullmatch(r"[A-Z]+ /\S*", request):
        return f"{operation}: no complete answer {why}"
    return f"{operation}: no complete answer ({type(exc).__name__}): {text}"


def _crash_site(fatal: tuple[str, str | None]) -> str:
    """A crash's defect signature from its log: the FATAL message (values blanked) at its throw site."""
    message = re.sub(r"\b[A-Z]\w*V\d+\b", "…", fatal[0])  # one schema class or another: the same defect
    return f"{message} at {fatal[1]}" if fatal[1] else message


def _utc() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class _Sent:
    operation: str
    method: str
    path: str
    #: makes the redacted curl line; only a crash needs one, and making it for every request cost ~3 ms each
    make_curl: Callable[[], str]
    at: str
    signature: str
    request: Request
    status: int = 0
    monotonic: float = 0.0
    #: the credential headers it carried, redacted: a minimal reproduction shows that it needs them
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def curl(self) -> str:
        """The request as a curl line, secrets redacted."""
        return self.make_curl()


@dataclass
class Sweep:
    """What one session (one xdist worker) knows about outages: restarts spent, requests that killed, down since."""

    max_restarts: int = 3
    servers: dict[str, Restartable] = field(default_factory=dict)
    restarts: int = 0
    crashed: set[str] = field(default_factory=set)
    #: per target URL: since when it is down and why (several APIs' targets share one session)
    down: dict[str, tuple[str, str]] = field(default_factory=dict)
    last_answered: dict[str, _Sent] = field(default_factory=dict)
    #: per target URL: the last requests answered, newest last; a node that dies a while after an answer (Shutdown
    #: does, 2 s later) may have been killed by one of them rather than by the last
    recent: dict[str, deque[_Sent]] = field(default_factory=dict)
    #: the families of a plan's extra cases (h2oharness/contractplan.py ExtraCase) that killed a server already:
    #: their other cases are not sent, since each death costs a restart
    families: set[str] = field(default_factory=set)

    @property
    def down_since(self) -> str | None:
        """When the first target that stayed down went down (None while every target is up)."""
        return min((since for since, _ in self.down.values()), default=None)

    def skip_if_down(self, url: str) -> None:
        """Skip the test when the target at ``url`` stayed down after a request killed it: what it would send gets
        no answer, a consequence of the crash recorded, not a failure of its own."""
        if url in self.down:
            since, reason = self.down[url]
            pytest.skip(f"target is down since {since} (server_crash recorded): {reason}")


def _header(response: Any, name: str) -> str | None:
    """A header of ``response`` (schemathesis' own, whose names are lower case and values lists, or requests')."""
    for key, value in (getattr(response, "headers", None) or {}).items():
        if key.lower() == name.lower():
            return str(value[0] if isinstance(value, list) and value else value)
    return None


def operation_test(node: pytest.Item) -> bool:
    """Whether ``node`` is one operation's contract test (schemathesis' item), not a flow through several."""
    return getattr(getattr(node, "obj", None), "_schemathesis_metadata", None) is not None


def _valid(case: Any) -> bool:
    """Whether ``case`` is a request the contract allows: a positive case, sent with its operation's method (the
    coverage phase also sends other methods)."""
    meta = getattr(case, "meta", None)
    positive = meta is None or bool(meta.generation.mode.is_positive)
    return positive and str(case.method).upper() == case.operation.method.upper()


class SweepGuard:
    """One test's view of the sweep: sends a case, and turns an outage into a finding, a restart or a stop."""

    def __init__(self, sweep: Sweep, node: pytest.Item, health_path: str, api: str = "") -> None:
        self.sweep = sweep
        self.node = node
        self.health_path = health_path
        self.api = api
        self.target: Target | None = None
        self.settle = 0.0
        #: the first request of this test that got no complete answer: hypothesis replays a failing example to
        #: shrink it, and each replay would wait out the deadline again
        self.unanswered: str | None = None
        #: that request as a curl line, the failure's reproduction
        self.unanswered_curl: str | None = None

    def call(self, case: Any, target: Target, session: Any = None, settle: float = 0.0, **kwargs: Any) -> Any:
        """``case.call`` against ``target``; skips once the target is down, raises ServerCrash when this killed it.

        ``settle``: after the test, how long to watch for the server dying late (H2O-3's Shutdown answers first).
        """
        sweep = self.sweep
        self.target, self.settle = target, max(self.settle, settle)
        sweep.skip_if_down(target.url)
        sent = self._describe(case, target, session)
        if sent.signature in sweep.crashed:
            pytest.skip(f"{sent.operation}: this request killed the server before; it is not sent again")
        response = None
        if self.unanswered is None:
            self.node.stash[CASES] = self.node.stash.get(CASES, 0) + 1
            try:
                # a negative case that removed or spoiled the key is sent with what it drew, not the session's
                with as_drawn(session, case) as sending:
                    response = case.call(base_url=target.url, session=sending, **kwargs)
            except OUTAGE_ERRORS as exc:
                response = self._outage(exc, sent, case, target, session, kwargs)
            except requests.RequestException as exc:  # an answer cut short or undecodable: the server is up
                self.unanswered = _no_answer(sent.operation, exc)
            if self.unanswered is not None:
                self.unanswered_curl = sent.curl
        if self.unanswered is not None:
            # once a request of this test got no complete answer, hypothesis' replays of it fail the same, unsent;
            # raised here, outside any except block, so that every replay fails alike (hypothesis tells failures
            # apart by where they were raised and what they were raised during)
            raise NoAnswer(self.unanswered, self.unanswered_curl)
        sent.status = int(getattr(response, "status_code", 0) or 0)
        unimplemented = _header(response, UNIMPLEMENTED)
        if unimplemented and operation_test(self.node):
            # our mock's 404 for what it does not implement: passing on it tested nothing, so the operation is not
            # reported as conforming (a stateful flow that meets one goes on, as it does past any 404)
            pytest.skip(f"the mock does not implement {sent.method} {unimplemented}: untested")
        if sent.status and _valid(case):
            answers = self.node.stash.setdefault(ANSWERS, {}).setdefault(sent.operation, {})
            answers[str(sent.status)] = answers.get(str(sent.status), 0) + 1
        sweep.last_answered[target.url] = sent
        sweep.recent.setdefault(target.url, deque(maxlen=_RECENT)).append(sent)
        return response

    def finish(self) -> None:
        """After the test: if the server died after its last answer, record that request and recover."""
        sweep, target = self.sweep, self.target
        if target is None or target.url in sweep.down or target.url not in sweep.last_answered:
            return
        deadline = time.monotonic() + self.settle
        down = health_failure(target.url, self.health_path)
        while down is None and time.monotonic() < deadline:
            time.sleep(0.25)
            down = health_failure(target.url, self.health_path)
        if down is None:
            return
        culprit = sweep.last_answered[target.url]
        self._record(culprit, target, "answered, then the server went down", down)
        restarted = self._recover(target, down)
        raise ServerCrashAfterTest(culprit.operation, f"{down}; {'restarted' if restarted else 'not restarted'}")

    def _describe(self, case: Any, target: Target, session: Any) -> _Sent:
        creds = target.credentials
        headers = {**dict(getattr(session, "headers", None) or {}), **creds.headers()}
        if creds.username is not None:
            basic = base64.b64encode(f"{creds.username}:{creds.password or ''}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        # only the credentials: the session's default User-Agent and Accept are noise in a reproduction; none that
        # the case negated, which it was sent without (as_drawn)
        withheld = negated_headers(case)
        headers = {
            k: v
            for k, v in headers.items()
            if k.lower() in ("authorization", "cookie", "x-api-key") and k.lower() not in withheld
        }

        def curl() -> str:
            return redact(case.as_curl_command(headers=headers, base_url=target.url), creds.secrets())

        method, path = case.operation.method.upper(), case.operation.path
        # schemathesis' coverage phase sends methods the operation does not have (a GET to a POST route): the
        # request is named by its operation, and sent, replayed and told apart by the method it went with
        sent_method = str(case.method).upper()
        body = None if isinstance(case.body, NotSet) else case.body
        signature = crash_signature(sent_method, case.formatted_path, {"q": case.query, "b": str(body)[:4096]})
        request = Request(
            sent_method, case.formatted_path, dict(case.query or {}), body, case.media_type,
            template=case.operation.path, path_parameters=dict(case.path_parameters or {}),
        )  # fmt: skip
        shown = redact_mapping(headers, creds.secrets())
        return _Sent(
            f"{method} {path}",
            method,
            path,
            curl,
            _utc(),
            signature,
            request,
            monotonic=time.monotonic(),
            headers=shown,
        )

    def _record(self, culprit: _Sent, target: Target, how: str, down: str) -> None:
        sweep = self.sweep
        if culprit.signature in sweep.crashed:
            return
        sweep.crashed.add(culprit.signature)
        server = sweep.servers.get(target.url)
        log = server.log_tail(_LOG_LINES) if server is not None else ""
        # the FATAL line and its stack trace come before the shutdown's own lines: scanned further back
        fatal = fatal_of(server.log_tail(_FATAL_SCAN)) if server is not None else None
        message = f"{culprit.operation} at {culprit.at}: {how}; {down}"
        shown = f"server log, last {_LOG_LINES} lines:\n{log}" if log else "no server log (the harness does not run it)"
        if fatal is not None:
            shown = f"FATAL: {fatal[0]}\nthrow site: {fatal[1] or 'none logged'}\n\n{shown}"
        secrets = target.credentials.secrets()
        failure = Failure(
            check="server_crash",
            message=message,
            curl=culprit.curl,
            response=redact(f"{message}\n\n{shown}", secrets),
            # one root cause kills through many operations: its throw site names it, where the log has one
            signature=f"server crash: {_crash_site(fatal) if fatal else culprit.operation}",
            fatal=redact(fatal[0], secrets) if fatal else None,
            throw_site=fatal[1] if fatal else None,
        )
        entry = {"api": self.api, "kind": target.kind, "method": culprit.method, "path": culprit.path,
                 "id": culprit.signature, "url": target.url, "headers": culprit.headers,
                 "request": culprit.request.to_dict(),
                 "earlier": self._suspects(culprit, target),
                 "sequence": self._sequence(culprit, target)}  # fmt: skip
        # as JSON text: xdist's wire (execnet) cannot carry an int below -2**31, and a drawn query may hold one
        self.node.user_properties.append((CRASH, json.dumps({**entry, "failure": failure.to_dict()}, default=str)))

    def _sequence(self, culprit: _Sent, target: Target) -> list[dict[str, Any]]:
        """The last requests sent to this server before the death, in the order sent, ``culprit`` last.

        A death that needs several requests survives every single replay: confirm.py replays these in order.
        """
        before = [s for s in self.sweep.recent.get(target.url, ()) if s is not culprit]
        return [s.request.to_dict() for s in (*before[-(_SEQUENCE - 1) :], culprit)]

    def _suspects(self, culprit: _Sent, target: Target) -> list[dict[str, Any]]:
        """The requests answered shortly before ``culprit``, the likeliest killers first.

        Accepted (or failed) answers come first, newest first, then a few refusals (4xx): a node that dies a
        while after accepting a request (Shutdown: 2 s) has answered many refused ones in the meantime.
        """
        recent = [s for s in self.sweep.recent.get(target.url, ()) if s is not culprit]
        close = sorted(
            (s for s in recent if culprit.monotonic - s.monotonic <= _SUSPECT_WINDOW), key=lambda s: -s.monotonic
        )
        accepted = [s for s in close if not 400 <= s.status < 500][: _SUSPECTS[0]]
        refused = [s for s in close if 400 <= s.status < 500][: _SUSPECTS[1]]
        return [
            {"operation": s.operation, "curl": s.curl, "status": s.status, "request": s.request.to_dict()}
            for s in (*accepted, *refused)
        ]

    def _recover(self, target: Target, down: str) -> bool:
        """Restart a server the harness runs, within the budget; else remember that the target is down."""
        sweep = self.sweep
        sweep.last_answered.pop(target.url, None)
        sweep.recent.pop(target.url, None)
        server = sweep.servers.get(target.url)
        if server is not None and sweep.restarts < sweep.max_restarts:
            sweep.restarts += 1
            server.restart()
            return True
        sweep.down[target.url] = (_utc(), down if server is None else f"{sweep.max_restarts} restarts spent; {down}")
        return False

    def _outage(
        self, exc: BaseException, sent: _Sent, case: Any, target: Target, session: Any, kwargs: dict[str, Any]
    ) -> Any:
        """The answer after an outage: None when the server is alive (``unanswered`` then says why), a replay's
        answer after a restart; or ServerCrash."""
        down = health_failure(target.url, self.health_path)
        if down is None:
            # the server is alive: a slow or dropped answer is an ordinary failure, named, without a traceback
            self.unanswered = _no_answer(sent.operation, exc)
            return None
        reached = in_flight(exc)
        culprit = sent if reached else self.sweep.last_answered.get(target.url)
        if culprit is not None:
            how = f"no answer ({type(exc).__name__})" if reached else "answered, then the server went down"
            self._record(culprit, target, how, down)
        restarted = self._recover(target, down)
        if culprit is not None and (culprit is sent or culprit.operation == sent.operation):
            raise ServerCrash(sent.operation, f"{down}; {'restarted' if restarted else 'not restarted'}")
        if not restarted:
            # fails the run (exit 1) without blaming this operation: the report skips it, the crash is the finding
            why = f"the target went down after {culprit.operation}" if culprit else "the target is down"
            raise ServerCrash(culprit.operation if culprit else sent.operation, f"{why}; {down}; not restarted")
        # this request was refused, never processed: sending it once to the fresh server is no replay
        return self.call(case, target, session, **kwargs)
