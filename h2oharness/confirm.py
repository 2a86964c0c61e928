"""Confirm a request that killed a server by replaying it on a fresh one, and reduce it to the smallest that still does.

A crash seen during a sweep may be a coincidence (the node was dying anyway) or
need more than the request shown. The request is replayed once against a freshly
started local server; if that one dies too, the crash is confirmed and the request
is shrunk: all parameters dropped at once, then one at a time, then each remaining
value shortened, keeping every change after which a fresh server still dies. Every
replay that kills costs a restart, so the number of replays is bounded.

A death that needs several requests (one leaves the node in a state the next one
trips on) survives every single replay. The sweep keeps the last requests sent
before a death (``sequence`` in its record); those are then replayed in order on a
fresh server, and a sequence that kills is reduced by delta debugging: drop chunks
of requests (halves, then quarters, ... then single ones) while the rest still kills,
then reduce each remaining request's parameters as above, the rest held fixed.

Example:
    outcome = confirm_crash(Request("POST", "/3/Shutdown", {"x": "1"}), start_local_h2o3, "/3/Cloud")
    outcome.confirmed, outcome.minimal.curl(outcome.url)
    steps = confirm_sequence([arm, fire], start_local_h2o3, "/3/Cloud")
    steps.confirmed, [r.curl(steps.url) for r in steps.minimal]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import requests

from h2oharness.http.curl import curl_command
from h2oharness.targets import LocalServer

__all__ = [
    "Confirmation",
    "Request",
    "SequenceConfirmation",
    "Server",
    "confirm_crash",
    "confirm_record",
    "confirm_sequence",
    "kills",
    "reduce_request",
    "reduce_sequence",
    "sequence_kills",
]

#: how long a replay waits for its answer, and how long it then watches the server for a late death
REPLAY_TIMEOUT = 30.0
SETTLE = 5.0


@dataclass(frozen=True)
class Request:
    """One request as the sweep sent it: no credentials (a replay on a fresh local server needs none)."""

    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    media_type: str | None = None
    #: the operation's path template and the values filled in, so that reduction can shorten them too
    template: str | None = None
    path_parameters: dict[str, Any] = field(default_factory=dict)

    def with_path_parameter(self, name: str, value: Any) -> Request:
        """The same request with one path parameter changed (and ``path`` formatted anew, percent-encoded)."""
        values = {**self.path_parameters, name: value}
        path = self.template or self.path
        for key, item in values.items():
            path = path.replace("{" + key + "}", quote(str(item), safe=""))
        return replace(self, path=path, path_parameters=values)

    def prepared(self, base_url: str) -> requests.PreparedRequest:
        """The request as ``requests`` sends it (the serialisation schemathesis uses: ``True`` -> ``True``)."""
        kwargs: dict[str, Any] = {"params": self.query or None}
        if self.body is not None:
            if self.media_type and "json" in self.media_type:
                kwargs["json"] = self.body
            else:
                kwargs["data"] = self.body
        return requests.Request(self.method, f"{base_url}{self.path}", **kwargs).prepare()

    def curl(self, base_url: str) -> str:
        """A curl line that repeats it against ``base_url``."""
        return curl_command(self.method, str(self.prepared(base_url).url), {}, self.body, self.media_type)

    def parameters(self) -> int:
        """How many parameters it carries: the query's and the body's fields (a body that is no object counts one)."""
        body = len(self.body) if isinstance(self.body, dict) else int(self.body is not None)
        return len(self.query) + body

    def size(self) -> int:
        """How big the request is: the length of its URL and body, what reduction makes smaller."""
        sent = self.prepared("http://h")
        body = sent.body if isinstance(sent.body, (bytes, str)) else b""
        return len(str(sent.url)) + len(body)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"method": self.method, "path": self.path, "query": self.query, "body": self.body,
                "media_type": self.media_type, "template": self.template,
                "path_parameters": self.path_parameters}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Request:
        """Read what ``to_dict`` wrote."""
        return cls(
            str(data["method"]), str(data["path"]), dict(data.get("query") or {}), data.get("body"),
            data.get("media_type"), data.get("template"), dict(data.get("path_parameters") or {}),
        )  # fmt: skip


#: a server the harness started: its URL and version, a restart on the same URL, a stop
Server = LocalServer


@dataclass(frozen=True)
class Confirmation:
    """What replaying a crash on fresh servers showed."""

    confirmed: bool
    original: Request
    minimal: Request
    replays: int
    url: str
    version: str
    note: str

    def summary(self) -> str:
        """One line for the report."""
        if not self.confirmed:
            return f"not confirmed on a fresh server {self.version}: {self.note}"
        replays = f"{self.replays} replay{'s' if self.replays != 1 else ''}"
        if not self.original.query and self.original.body is None:
            return f"confirmed on a fresh server {self.version} ({replays}): the request has no parameters to drop"
        before, after = self.original.parameters(), self.minimal.parameters()
        return (
            f"confirmed on a fresh server {self.version} and reduced in {replays} "
            f"({before - after} of {before} parameters dropped, "
            f"{self.original.size()} -> {self.minimal.size()} characters); {self.note}"
        ).rstrip("; ")


def _alive(url: str, health_path: str, timeout: float = 5.0) -> bool:
    try:
        requests.get(f"{url}{health_path}", timeout=timeout)
    except requests.RequestException:
        return False
    return True


def kills(request: Request, url: str, health_path: str, settle: float = SETTLE) -> bool:
    """Send ``request`` to the server at ``url``; whether the server stops answering within ``settle`` seconds.

    Any answer, or none, is fine for the request itself: only the server's health afterwards counts.
    """
    try:
        with requests.Session() as session:
            session.send(request.prepared(url), timeout=REPLAY_TIMEOUT)
    except requests.RequestException:
        pass
    deadline = time.monotonic() + settle
    while True:
        if not _alive(url, health_path):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.25)


def _shorter(value: Any, keep_one: bool = False) -> list[Any]:
    """Shorter versions of a value to try, the first half before the second; none when it cannot get shorter."""
    if isinstance(value, (str, list)):
        if len(value) <= (1 if keep_one else 0):
            return []
        half = len(value) // 2
        first, second = value[:half], value[half:]
        return [first] if first == second or not half else [first, second]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [0] if value != 0 else []
    return []


def reduce_request(request: Request, still_kills: Callable[[Request], bool], budget: int = 12) -> tuple[Request, int]:
    """The smallest variant of ``request`` for which ``still_kills`` holds, and how many candidates were tried.

    ``request`` itself is assumed to kill. Tries at most ``budget`` candidates: every parameter dropped
    at once (and the body), then each parameter alone (and each field of an object body), then each
    remaining value cut to its first or its second half while that still kills, then each path parameter
    the same way (never to empty).
    """
    tried = 0
    current = request

    def attempt(candidate: Request) -> bool:
        nonlocal tried, current
        if tried >= budget or candidate == current:
            return False
        tried += 1
        if still_kills(candidate):
            current = candidate
            return True
        return False

    if current.query or current.body is not None:
        attempt(replace(current, query={}, body=None))
    if current.body is not None:
        attempt(replace(current, body=None))
    for name in list(current.query):
        attempt(replace(current, query={k: v for k, v in current.query.items() if k != name}))
    if isinstance(current.body, dict):
        # a form or JSON body's fields, one at a time, as the query's
        for name in list(current.body):
            attempt(replace(current, body={k: v for k, v in current.body.items() if k != name}))
    for name in list(current.query):
        while tried < budget and any(
            attempt(replace(current, query={**current.query, name: shorter}))
            for shorter in _shorter(current.query[name])
        ):
            pass
    for name in list(current.path_parameters):
        # never to empty: a path with an empty segment is another route
        while tried < budget and any(
            attempt(current.with_path_parameter(name, shorter))
            for shorter in _shorter(str(current.path_parameters[name]), keep_one=True)
        ):
            pass
    return current, tried


def sequence_kills(requests_: Sequence[Request], url: str, health_path: str, settle: float = SETTLE) -> bool:
    """Send ``requests_`` in order to the server at ``url``; whether it stops answering during or after them.

    Between two requests only one quick health probe; after the last, it is watched for ``settle`` seconds.
    """
    for index, request in enumerate(requests_):
        if index == len(requests_) - 1:
            return kills(request, url, health_path, settle)
        try:
            with requests.Session() as session:
                session.send(request.prepared(url), timeout=REPLAY_TIMEOUT)
        except requests.RequestException:
            pass
        if not _alive(url, health_path):
            return True
    return False


def reduce_sequence(
    steps: Sequence[Request], still_kills: Callable[[list[Request]], bool], budget: int = 12
) -> tuple[list[Request], int]:
    """The shortest subsequence of ``steps`` (order kept) for which ``still_kills`` holds, and the candidates tried.

    ``steps`` itself is assumed to kill. Delta debugging (ddmin's complement step): cut the sequence into
    ``n`` chunks (first 2), drop each chunk in turn and keep the first cut that still kills (then ``n - 1``
    chunks); when no cut kills, twice as many smaller chunks, down to single requests. At most ``budget`` tries.
    """
    current, tried, chunks = list(steps), 0, 2
    while len(current) >= 2 and tried < budget:
        size = -(-len(current) // chunks)
        cut = False
        for start in range(0, len(current), size):
            if tried >= budget:
                break
            candidate = current[:start] + current[start + size :]
            if not candidate:
                continue
            tried += 1
            if still_kills(candidate):
                current, chunks, cut = candidate, max(chunks - 1, 2), True
                break
        if not cut:
            if size == 1:
                break
            chunks = min(chunks * 2, len(current))
    return current, tried


@dataclass(frozen=True)
class SequenceConfirmation:
    """What replaying the requests sent before a death, in order, on fresh servers showed."""

    confirmed: bool
    original: tuple[Request, ...]
    minimal: tuple[Request, ...]
    replays: int
    url: str
    version: str
    note: str

    def summary(self) -> str:
        """One line for the report."""
        if not self.confirmed:
            return (
                f"the last {len(self.original)} requests, replayed in order, did not kill a fresh server: {self.note}"
            )
        replays = f"{self.replays} replay{'s' if self.replays != 1 else ''}"
        return (
            f"confirmed on a fresh server {self.version} as a sequence of {len(self.minimal)} requests, reduced "
            f"from the last {len(self.original)} sent in {replays}; {self.note}"
        ).rstrip("; ")

    def curl(self, base_url: str, headers: dict[str, str] | None = None) -> str:
        """The minimal sequence as numbered curl lines, to run in order."""
        return "\n".join(
            f"# {n}\n" + curl_command(r.method, str(r.prepared(base_url).url), headers or {}, r.body, r.media_type)
            for n, r in enumerate(self.minimal, 1)
        )


def confirm_sequence(
    steps: Sequence[Request],
    start: Callable[[], Server],
    health_path: str,
    *,
    budget: int = 24,
    settle: float = SETTLE,
) -> SequenceConfirmation:
    """Replay ``steps`` in order on a fresh server from ``start``; if it dies, reduce the sequence, then each request.

    At most ``budget`` replays in all (each kill costs a restart); the server is stopped at the end.
    """
    original = tuple(steps)
    try:
        server = start()
    except Exception as exc:  # whatever stops the start is the reason shown in the report
        return SequenceConfirmation(False, original, original, 0, "", "", f"no fresh server to replay on ({exc})")
    replays = 0

    def still_kills(candidate: Sequence[Request]) -> bool:
        nonlocal replays
        replays += 1
        died = sequence_kills(candidate, server.url, health_path, settle)
        # a survivor may carry state from the replay (keys, jobs) that the next one must not find
        server.restart()
        return died

    try:
        if not original or not still_kills(original):
            return SequenceConfirmation(
                False, original, original, replays, server.url, server.version, "the server survived them"
            )
        current, _ = reduce_sequence(original, still_kills, budget - 1)
        for index in range(len(current)):
            left = budget - replays
            if left <= 0:
                break
            fixed = list(current)

            def one_kills(candidate: Request, index: int = index, fixed: list[Request] = fixed) -> bool:
                return still_kills([*fixed[:index], candidate, *fixed[index + 1 :]])

            current[index], _ = reduce_request(current[index], one_kills, left)
        note = "" if replays < budget else f"reduction stopped after its budget of {budget} replays"
        return SequenceConfirmation(True, original, tuple(current), replays, server.url, server.version, note)
    except Exception as exc:  # a restart that fails ends the reduction, with the reason
        return SequenceConfirmation(True, original, original, replays, server.url, server.version,
                                    f"reduction stopped: {type(exc).__name__}: {exc}")  # fmt: skip
    finally:
        server.stop()


def confirm_crash(
    request: Request,
    start: Callable[[], Server],
    health_path: str,
    *,
    budget: int = 12,
    settle: float = SETTLE,
) -> Confirmation:
    """Replay ``request`` on a fresh server from ``start``; if it dies, reduce the request (at most ``budget`` more).

    The server is restarted after every death and stopped at the end; a server that cannot be started
    gives an unconfirmed result that says why.
    """
    try:
        server = start()
    except Exception as exc:  # whatever stops the start is the reason shown in the report
        return Confirmation(False, request, request, 0, "", "", f"no fresh server to replay on ({exc})")
    replays = 0
    try:
        replays += 1
        if not kills(request, server.url, health_path, settle):
            return Confirmation(
                False, request, request, replays, server.url, server.version,
                "the server survived the replay (the crash may depend on what ran before it)",
            )  # fmt: skip
        server.restart()

        def still_kills(candidate: Request) -> bool:
            nonlocal replays
            replays += 1
            died = kills(candidate, server.url, health_path, settle)
            if died:
                server.restart()
            return died

        minimal, _ = reduce_request(request, still_kills, budget)
        note = "" if replays - 1 < budget else f"reduction stopped after its budget of {budget} replays"
        return Confirmation(True, request, minimal, replays, server.url, server.version, note)
    except Exception as exc:  # a restart that fails ends the reduction, with the reason
        return Confirmation(True, request, request, replays, server.url, server.version,
                            f"reduction stopped: {type(exc).__name__}: {exc}")  # fmt: skip
    finally:
        server.stop()


def confirm_record(
    crash: dict[str, Any], start: Callable[[], Server], health_path: str, budget: int = 12, settle: float = SETTLE
) -> dict[str, Any]:
    """A sweep's crash record (h2oharness/sweep.py) after replaying it: ``confirmed``, and the minimal request.

    When the request blamed survives its replay, the requests answered just before it (``earlier``, the
    likeliest first) are replayed in turn, within the same ``budget``: a node that dies a while after an
    answer was often killed by an earlier request. The one that kills a fresh node becomes the finding.
    """
    failure = dict(crash["failure"])
    blamed = Request.from_dict(crash["request"])
    outcome = confirm_crash(blamed, start, health_path, budget=budget, settle=settle)
    used, killer = outcome.replays, None
    for suspect in crash.get("earlier") or []:
        if outcome.confirmed or used >= budget:
            break
        suspected = Request.from_dict(suspect["request"])
        other = confirm_crash(suspected, start, health_path, budget=budget - used, settle=settle)
        used += other.replays
        if other.confirmed:
            outcome, killer = other, suspect
    steps = [Request.from_dict(step) for step in crash.get("sequence") or []]
    if not outcome.confirmed and killer is None and len(steps) >= 2 and used < budget:
        # no request kills alone: the death may need what ran before it
        chain = confirm_sequence(steps, start, health_path, budget=budget - used, settle=settle)
        if chain.confirmed:
            return _sequence_found(crash, failure, chain)
        failure["reproduced"] = f"{outcome.summary()}; {chain.summary()}"
        return {**crash, "confirmed": False, "failure": failure}
    out = {**crash, "confirmed": outcome.confirmed}
    failure["reproduced"] = outcome.summary()
    if outcome.confirmed:
        shown = killer["curl"] if killer else failure.get("curl")
        sent = outcome.minimal.prepared(crash.get("url") or outcome.url)
        failure["curl"] = curl_command(
            outcome.minimal.method, str(sent.url), crash.get("headers") or {}, outcome.minimal.body,
            outcome.minimal.media_type,
        )  # fmt: skip
        failure["response"] = f"as first sent:\n{shown}\n\n{failure.get('response') or ''}"
    if killer is not None:
        method, _, path = str(killer["operation"]).partition(" ")
        failure["reproduced"] += (
            f"; {crash['method']} {crash['path']}, answered last before the outage, survived its replay: "
            f"the request that kills is this earlier one (answered HTTP {killer.get('status')})"
        )
        if not failure.get("throw_site"):  # a throw site names the defect better than an operation
            failure["signature"] = f"server crash: {killer['operation']}"
        failure["message"] = f"{killer['operation']}: {failure['message']}"
        out.update(method=method, path=path)
    out["failure"] = failure
    return out


def _sequence_found(crash: dict[str, Any], failure: dict[str, Any], chain: SequenceConfirmation) -> dict[str, Any]:
    """The crash record once a sequence of requests was confirmed to kill: the minimal sequence is the finding."""
    last = chain.minimal[-1]
    operation = f"{last.method} {last.template or last.path}"
    failure["reproduced"] = chain.summary()
    failure["response"] = f"as first sent:\n{failure.get('curl') or ''}\n\n{failure.get('response') or ''}"
    failure["curl"] = chain.curl(crash.get("url") or chain.url, crash.get("headers") or {})
    if len(chain.minimal) > 1:
        failure["message"] = f"a sequence of {len(chain.minimal)} requests: {failure.get('message', '')}"
    if not failure.get("throw_site"):  # a throw site names the defect better than an operation
        many = "sequence ending in " if len(chain.minimal) > 1 else ""
        failure["signature"] = f"server crash: {many}{operation}"
    out = {**crash, "confirmed": True, "method": last.method, "path": last.template or last.path}
    out["sequence_minimal"] = [step.to_dict() for step in chain.minimal]
    out["failure"] = failure
    return out


def confirm_recorded_crash(crash: dict[str, Any], budget: int) -> dict[str, Any]:
    """The crash record after its replay on fresh local servers (``confirm_record``).

    APIs the harness cannot start locally keep their request as sent, with the reason.
    """
    from h2oharness.apis import get_api
    from h2oharness.targets import start_local

    api = get_api(crash["api"])
    if api.local is None:
        failure = {**crash["failure"], "reproduced": f"not replayed: the harness cannot start a fresh {api.title}"}
        return {**crash, "confirmed": False, "failure": failure}
    return confirm_record(crash, lambda: start_local(api), api.health_path, budget)
