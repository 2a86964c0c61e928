"""Faults a mock injects on demand: per run from a fault plan, per request from the ``X-Harness-Fault`` header.

A fault is written the same way in both places: ``reset``, ``status=503`` (an error's status, 400 to 599),
``latency=2.5`` (or ``0.1..2`` uniform, ``exp:0.5`` exponential with that mean), ``drip=1`` (the body one byte a
second), ``truncate`` (a body cut half way under its full Content-Length; a stream cut after ``truncate=N`` chunks,
default 1), ``malformed`` (JSON that does not parse; a stream gets a broken line first), ``content-type=text/html``,
``stuck`` (a job it submits never leaves running), ``regress`` (a job whose progress goes backwards half way),
``expire`` (the credentials are refused as expired). Several are joined with ``;``:
``X-Harness-Fault: latency=0.5; status=503``. ``X-Harness-Fault: none`` exempts a request from every fault, the
plan's included (the harness's health probe sends it).

A plan is a YAML or JSON file; each rule may match a method, a path glob and an operation (``GET /3/Jobs/{job_id}``,
the mock's route), fire with a probability, on every Nth match, after N matches or T seconds, at most ``times``
times; every random draw comes from the plan's seeded RNG, so the same requests meet the same faults.

Example:
    seed: 7
    rules:
      - path: /3/Jobs/*
        probability: 0.2
        fault: status=503
      - fault: expire          # token expiry mid-run: every request after the 50th is refused
        after: 50
"""

from __future__ import annotations

import asyncio
import difflib
import fnmatch
import math
import random
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from h2oharness.errors import ConfigError

HEADER = "x-harness-fault"
#: the header value that exempts a request from every fault, the plan's included
NO_FAULT = "none"
#: where the app puts the connection's transport in the request scope (a reset needs it)
TRANSPORT = "h2oharness.transport"
KINDS = ("latency", "status", "reset", "truncate", "malformed", "content-type", "drip", "stuck", "regress", "expire")
#: faults that change how a job the request submits lives (read by mocks/jobs.py)
JOB_KINDS = frozenset({"stuck", "regress"})
#: the statuses a ``status`` fault may answer: an error's, client or server
ERROR_STATUSES = (400, 599)
_BODY_KINDS = ("truncate", "malformed", "content-type", "drip")
_RULE_KEYS = {"method", "path", "operation", "probability", "every", "after", "after_seconds", "times", "fault"}


class FaultError(ConfigError):
    """A fault or a fault plan that cannot be read."""


@dataclass(frozen=True)
class Fault:
    """One fault: its kind and the value after ``=`` ('' without one)."""

    kind: str
    value: str = ""

    def __str__(self) -> str:
        return f"{self.kind}={self.value}" if self.value else self.kind


def _number(fault: str, text: str, low: float = 0.0) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FaultError(f"fault {fault!r}: {text!r} is not a number") from None
    if not value >= low or value == float("inf"):
        raise FaultError(f"fault {fault!r}: {text!r} must be a finite number of at least {low:g}")
    return value


def parse_faults(text: str) -> tuple[Fault, ...]:
    """The faults of a header value or a plan rule (``;``-separated); FaultError names a bad one."""
    faults = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        kind, _, value = (s.strip() for s in part.partition("="))
        kind = kind.lower()
        if kind not in KINDS:
            raise FaultError(f"unknown fault {kind!r}; choose from {', '.join(KINDS)}")
        fault = Fault(kind, value)
        if kind == "latency":
            latency_sampler(fault)
        elif kind == "status":
            status = _number(part, value or "?", 100)
            # the fault answers the API's reply with {"error": "injected fault: HTTP N"} (error_reply): a 1xx-3xx
            # would be a success or a redirect (without its Location) carrying an error body, not a failure
            if not (ERROR_STATUSES[0] <= status <= ERROR_STATUSES[1] and status == int(status)):
                raise FaultError(
                    f"fault {part!r}: a status fault answers an error in place of the API's reply, so its status is "
                    f"an error one, {ERROR_STATUSES[0]} to {ERROR_STATUSES[1]}"
                )
        elif kind in ("drip", "truncate") and value:
            _number(part, value, 0.0)
        faults.append(fault)
    return tuple(faults)


#: the longest latency a fault may add, in seconds: one longer outlasts every deadline, an answer that never comes
MAX_LATENCY = 86400.0


def _seconds(fault: Fault, text: str) -> float:
    value = _number(str(fault), text)
    if value > MAX_LATENCY:
        raise FaultError(
            f"fault {str(fault)!r}: {text!r} seconds is longer than a day ({MAX_LATENCY:g}); for an answer that never "
            "comes use 'stuck'"
        )
    return value


def latency_sampler(fault: Fault) -> Callable[[random.Random], float]:
    """How a latency fault draws its seconds: fixed ``2.5``, uniform ``0.1..2`` or exponential ``exp:0.5``."""
    text = fault.value
    if text.startswith("exp:"):
        mean = _seconds(fault, text[4:])
        # an exponential draw has no bound of its own
        return lambda rng: min(rng.expovariate(1 / mean), MAX_LATENCY) if mean else 0.0
    if ".." in text:
        low, high = (_seconds(fault, t) for t in text.split("..", 1))
        if high < low:
            raise FaultError(f"fault {fault}: the range goes from low to high")
        return lambda rng: rng.uniform(low, high)
    seconds = _seconds(fault, text or "?")
    return lambda rng: seconds


@dataclass(frozen=True)
class Rule:
    """When a plan injects its faults: every field left at its default matches or fires always."""

    faults: tuple[Fault, ...]
    method: str | None = None
    path: str | None = None
    operation: str | None = None
    probability: float = 1.0
    every: int = 1
    after: int = 0
    after_seconds: float = 0.0
    times: int | None = None

    def matches(self, method: str, path: str, operation: str) -> bool:
        """Whether a request (its method, routed path and route) is one this rule is about."""
        return (
            (self.method is None or self.method.upper() == method.upper())
            and (self.path is None or fnmatch.fnmatchcase(path, self.path))
            and (self.operation is None or self.operation == operation)
        )


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


def _method(raw: Any, where: str) -> str:
    """A rule's HTTP method in upper case; FaultError for anything else (it would never match, or fail each request)."""
    if not isinstance(raw, str) or raw.strip().upper() not in METHODS:
        raise FaultError(f"{where}: method {raw!r} is not an HTTP method; choose from {', '.join(METHODS)}")
    return raw.strip().upper()


def _text(raw: Any, key: str, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise FaultError(f"{where}: {key} is a string, got {raw!r}")
    return raw.strip()


def _operation(raw: Any, where: str) -> str:
    """``get /x`` -> ``GET /x``: the method of an operation in upper case; FaultError when it is not one."""
    method, _, path = _text(raw, "operation", where).partition(" ")
    if not path.strip().startswith("/"):
        raise FaultError(f"{where}: operation {raw!r} is a method and a path, as 'GET /3/Jobs/{{job_id}}'")
    return f"{_method(method, where)} {path.strip()}"


def _count(raw: Any, key: str, where: str, low: int) -> int:
    """A whole number of at least ``low`` (every, after, times, seed): 2.5 matches was read as 2."""
    try:
        value = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if not (value >= low and value != math.inf and value == int(value)):
        raise FaultError(f"{where}: {key} is a whole number of at least {low}, got {raw!r}")
    return int(value)


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping) or "fault" not in raw:
        raise FaultError(f"{where}: a rule is a mapping with a 'fault'")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise FaultError(
            f"{where}: unknown keys {', '.join(sorted(unknown))}; a rule has {', '.join(sorted(_RULE_KEYS))}"
        )
    try:
        faults = parse_faults(str(raw["fault"]))
    except FaultError as exc:  # "fault 'status=200': ..." alone left the user to find which rule holds it
        raise FaultError(f"{where}: {exc}") from None
    if not faults:
        raise FaultError(f"{where}: 'fault' is empty")
    probability = _number("probability", str(raw.get("probability", 1)))
    if probability > 1:  # "probability: 20" meant for 20 % was clamped to 1: every matching request faulted
        raise FaultError(f"{where}: probability is a share from 0 to 1 (0.2 is 20 %), got {probability:g}")
    times = raw.get("times")
    method, path, operation = raw.get("method"), raw.get("path"), raw.get("operation")
    return Rule(
        faults=faults,
        method=None if method is None else _method(method, where),
        path=None if path is None else _text(path, "path", where),
        operation=None if operation is None else _operation(operation, where),
        probability=probability,
        every=_count(raw.get("every", 1), "every", where, 1),
        after=_count(raw.get("after", 0), "after", where, 0),
        after_seconds=_number("after_seconds", str(raw.get("after_seconds", 0))),
        times=None if times is None else _count(times, "times", where, 0),
    )


@dataclass
class FaultPlan:
    """A run's fault rules, their counters and the seeded RNG every draw comes from; thread-safe.

    Example:
        plan = FaultPlan.from_file(Path("faults.yaml"))
        state = default_state(); state.faults = plan
    """

    rules: tuple[Rule, ...] = ()
    seed: int = 0
    clock: Callable[[], float] = time.monotonic
    _rng: random.Random = field(init=False, repr=False)
    _seen: list[int] = field(init=False, repr=False)
    _fired: list[int] = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._seen = [0] * len(self.rules)
        self._fired = [0] * len(self.rules)
        self._started = self.clock()

    @classmethod
    def from_data(cls, data: Any, where: str = "fault plan") -> FaultPlan:
        """A plan from parsed YAML/JSON: ``{seed: N, rules: [...]}`` or just the list of rules."""
        if isinstance(data, list):
            data = {"rules": data}
        if not isinstance(data, Mapping) or not isinstance(data.get("rules", []), list):
            raise FaultError(f"{where}: expected a list of rules, or a mapping with 'seed' and 'rules'")
        unknown = set(data) - {"seed", "rules"}
        if unknown:
            raise FaultError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        rules = tuple(_rule(raw, f"{where}: rule {i + 1}") for i, raw in enumerate(data.get("rules") or []))
        return cls(rules, seed=_count(data.get("seed", 0), "seed", where, 0))

    @classmethod
    def from_file(cls, path: Path) -> FaultPlan:
        """The plan in a YAML or JSON file; FaultError (a ConfigError) when it is missing or malformed."""
        import yaml

        from h2oharness.yamlinput import load_yaml, yaml_problem

        try:
            data = load_yaml(path.read_text())
        except OSError as exc:
            raise FaultError(f"cannot read the fault plan {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise FaultError(f"{path} is not YAML or JSON (not UTF-8 text)") from None
        except yaml.YAMLError as exc:
            raise FaultError(f"{path} is not YAML or JSON: {yaml_problem(exc)}") from None
        return cls.from_data(data, str(path))

    @property
    def operations(self) -> frozenset[str]:
        """The operations the plan's rules name."""
        return frozenset(rule.operation for rule in self.rules if rule.operation is not None)

    def check_operations(self, operations: Collection[str], where: str, source: str = "fault plan") -> None:
        """FaultError naming the first rule whose operation is none of ``operations`` (the routes of ``where``).

        Such a rule never matches: the plan would inject nothing there, and say so nowhere.
        """
        for i, rule in enumerate(self.rules):
            if rule.operation is None or rule.operation in operations:
                continue
            close = difflib.get_close_matches(rule.operation, operations, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise FaultError(
                f"{source}: rule {i + 1}: operation {rule.operation!r} is not one of {where}{hint} "
                "(a path is written as the mock routes it, with its {parameters})"
            )

    def check_paths(self, operations: Collection[str], where: str, source: str = "fault plan") -> None:
        """FaultError naming the first rule whose ``path`` glob (with its ``method``) matches no route of
        ``operations`` (``"GET /3/Jobs/{job_id}"``, the routes of ``where``), with the closest routes.

        Such a rule only ever meets requests the mock answers 404, if any: a misspelt ``/3/Job/*`` did nothing.
        """
        routes = [op.partition(" ")[::2] for op in operations]
        for i, rule in enumerate(self.rules):
            if rule.path is None:
                continue
            method = rule.method.upper() if rule.method else None
            candidates = sorted({t for m, t in routes if method is None or m == method})
            if any(glob_meets_template(rule.path, t) for t in candidates):
                continue
            close = difflib.get_close_matches(rule.path, candidates, n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            if others := sorted({m for m, t in routes if glob_meets_template(rule.path, t)}):
                hint = f"; it matches routes of {', '.join(others)} only"
            verb = f"{method} " if method else ""
            raise FaultError(
                f"{source}: rule {i + 1}: path {rule.path!r} matches no {verb}route of {where}{hint} "
                "(a glob of the request's path: * stands for any text, a {parameter} for one value)"
            )

    def pick(self, method: str, path: str, operation: str) -> tuple[Fault, ...]:
        """The faults this request meets, counting it against every rule it matches."""
        picked: list[Fault] = []
        with self._lock:
            elapsed = self.clock() - self._started
            for i, rule in enumerate(self.rules):
                if not rule.matches(method, path, operation):
                    continue
                self._seen[i] += 1
                nth = self._seen[i] - rule.after
                if nth <= 0 or elapsed < rule.after_seconds or nth % rule.every:
                    continue
                if rule.times is not None and self._fired[i] >= rule.times:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                self._fired[i] += 1
                picked += rule.faults
        return tuple(picked)

    def draw(self, sampler: Callable[[random.Random], float]) -> float:
        """One draw from the plan's RNG."""
        with self._lock:
            return sampler(self._rng)


@dataclass(frozen=True)
class Injection:
    """What one request meets, decided before it is answered."""

    faults: tuple[Fault, ...] = ()
    latency: float = 0.0

    def has(self, kind: str) -> bool:
        """Whether a fault of ``kind`` applies."""
        return any(f.kind == kind for f in self.faults)

    def value(self, kind: str) -> str:
        """The value of the last fault of ``kind`` ('' when none has one)."""
        return next((f.value for f in reversed(self.faults) if f.kind == kind), "")

    @property
    def status(self) -> int | None:
        """The error status to answer with instead of the API's reply, if any."""
        return int(float(self.value("status"))) if self.has("status") else None

    @property
    def job_faults(self) -> frozenset[str]:
        """The job faults (``stuck``, ``regress``) for a job the request submits."""
        return frozenset(f.kind for f in self.faults if f.kind in JOB_KINDS)

    def __bool__(self) -> bool:
        return bool(self.faults)


#: a token of a glob or a route template: any text (``*``), any one character (``?``, a ``[...]`` class, taken to
#: meet any character), or one literal character; a ``{parameter}`` is one character and any text
_ANY, _ONE = "*", "?"


def _tokens(pattern: str, template: bool) -> list[tuple[str, str]]:
    """``pattern`` as (kind, character) tokens; in a route ``template`` only ``{parameter}`` is not literal."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(pattern):
        char, close = pattern[i], ("}" if template else "]")
        end = pattern.find(close, i + 2)
        if (char == "{" if template else char == "[") and end > 0:
            tokens += [(_ONE, ""), (_ANY, "")] if template else [(_ONE, "")]  # a parameter is never empty
            i = end + 1
            continue
        if not template and char in (_ANY, _ONE):
            tokens.append((char, ""))
        else:
            tokens.append(("", char))
        i += 1
    return tokens


def glob_meets_template(glob: str, template: str) -> bool:
    """Whether some request path matches both the fnmatch ``glob`` and the route ``template``
    (``/3/Jobs/*`` and ``/3/Jobs/{job_id}`` do; ``/3/Job/*`` and it do not)."""
    g, t = _tokens(glob, template=False), _tokens(template, template=True)
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:  # a walk of the two patterns side by side: is their end reachable together?
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(g) and j == len(t):
            return True
        gk = g[i][0] if i < len(g) else None
        tk = t[j][0] if j < len(t) else None
        if gk == _ANY:
            todo.append((i + 1, j))  # the glob's * stands for no more text
            if tk is not None and tk != _ANY:
                todo.append((i, j + 1))  # it takes the template's next character
        if tk == _ANY:
            todo.append((i, j + 1))
            if gk is not None and gk != _ANY:
                todo.append((i + 1, j))
        if gk not in (None, _ANY) and tk not in (None, _ANY) and (_ONE in (gk, tk) or g[i][1] == t[j][1]):
            todo.append((i + 1, j + 1))
    return False


def injection(plan: FaultPlan, method: str, path: str, operation: str, header: str | None) -> Injection:
    """The faults of a request: the plan's rules first, then its header's; FaultError on a bad header.

    A header of ``none`` (NO_FAULT) exempts the request from the plan too, without moving its counters or its RNG:
    the harness's own health probe asks whether the mock is alive, which the plan's faults only pretend it is not.
    """
    if header is not None and header.strip().lower() == NO_FAULT:
        return Injection()
    faults = plan.pick(method, path, operation) + (parse_faults(header) if header else ())
    latency = sum(plan.draw(latency_sampler(f)) for f in faults if f.kind == "latency")
    return Injection(faults, latency)


def error_reply(status: int) -> Response:
    """The reply of an injected error status."""
    headers = {"Retry-After": "1"} if status in (429, 503) else None
    return JSONResponse({"error": f"injected fault: HTTP {status}"}, status_code=status, headers=headers)


def faulty(response: Response, injected: Injection) -> Response:
    """``response`` with the injection's connection and body faults, or ``response`` itself when it has none."""
    if injected.has("reset"):
        return _Reset()
    if not any(injected.has(kind) for kind in _BODY_KINDS):
        return response
    return _Faulty(response, injected)


def transport_of(scope: Scope) -> asyncio.Transport | None:
    """The connection's transport the app put in the scope (None outside uvicorn)."""
    transport = scope.get(TRANSPORT)
    return transport if isinstance(transport, asyncio.Transport) else None


async def _cut(scope: Scope, reset: bool) -> None:
    """Close the connection at once; with ``reset``, an RST instead of a FIN (SO_LINGER 0)."""
    transport = transport_of(scope)
    if transport is None:
        raise ConnectionAbortedError("injected fault: connection cut")  # outside uvicorn: the best there is
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # uvicorn learns of the loss one loop turn later; answering before that would make it write a 500
    for _ in range(3):
        await asyncio.sleep(0)


class _Reset(Response):
    """No response at all: the connection is reset."""

    def __init__(self) -> None:
        super().__init__(status_code=0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _cut(scope, reset=True)


class _Faulty(Response):
    """A response sent with body faults: cut short, broken JSON, a wrong Content-Type or dripped byte by byte."""

    def __init__(self, inner: Response, injected: Injection) -> None:
        self.inner = inner
        self.injected = injected
        self.status_code = inner.status_code
        self.background = None
        self.raw_headers = list(inner.raw_headers)
        self.iterator = inner.body_iterator if isinstance(inner, StreamingResponse) else None
        self.streamed = self.iterator is not None
        if injected.has("content-type"):
            wrong = (injected.value("content-type") or "text/html; charset=utf-8").encode("latin-1")
            self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-type"]
            self.raw_headers.append((b"content-type", wrong))
        if injected.has("malformed") and not self.streamed:
            body = bytes(inner.body)
            self.payload = body[: len(body) // 2] or b"{"
            if self.payload == body:  # a one-byte body
                self.payload += b"{"
            self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
            self.raw_headers.append((b"content-length", str(len(self.payload)).encode()))
        else:
            self.payload = b"" if self.streamed else bytes(inner.body)
        self.body = self.payload

    async def _chunks(self) -> AsyncIterator[bytes]:
        if self.iterator is None:
            yield self.payload
            return
        if self.injected.has("malformed"):
            media = self.inner.media_type or ""
            yield b"data: {not json\n\n" if "event-stream" in media else b"{not json\n"
        async for chunk in self.iterator:
            yield chunk if isinstance(chunk, bytes) else str(chunk).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        injected = self.injected
        transport = transport_of(scope)
        drip = _number("drip", injected.value("drip") or "1") if injected.has("drip") else None
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        chunks = self._chunks()
        sent = 0
        if injected.has("truncate"):
            keep = int(_number("truncate", injected.value("truncate") or "1"))
            if not self.streamed:
                await self._send(send, self.payload[: len(self.payload) // 2], drip, transport)
            else:
                async for chunk in chunks:
                    if sent >= keep:
                        break
                    await self._send(send, chunk, drip, transport)
                    sent += 1
            await _cut(scope, reset=False)
            return
        async for chunk in chunks:
            if not await self._send(send, chunk, drip, transport):
                return
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    async def _send(send: Send, chunk: bytes, drip: float | None, transport: asyncio.Transport | None) -> bool:
        """Send one chunk, byte by byte when dripping; False once the client has gone."""
        pieces: Iterable[bytes] = [chunk] if drip is None else (chunk[i : i + 1] for i in range(len(chunk)))
        for piece in pieces:
            if transport is not None and transport.is_closing():
                return False
            message: Message = {"type": "http.response.body", "body": piece, "more_body": True}
            await send(message)
            if drip:
                await asyncio.sleep(drip)
        return True


class FaultableApp(Starlette):
    """A Starlette app that hands its endpoint the connection's transport (``scope[TRANSPORT]``), for resets."""

    #: the operations (``GET /3/Jobs/{job_id}``) a plan's rules may name: the mock's routes
    operations: frozenset[str] = frozenset()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # uvicorn's send is a method of the request cycle, which holds the transport; Starlette's middleware wraps
        # send before any endpoint sees it
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is not None:
            scope[TRANSPORT] = transport
        await super().__call__(scope, receive, send)
