"""What the Locust profiles in ``loadtests/`` share; the only package module that imports locust.

Importing this module patches the process with gevent, so only Locust processes
import it (``h2oharness load`` runs them as subprocesses). Profiles drive the
harness's own typed clients: :class:`LocustTransport` carries an ``httpx.Client``'s
requests over a ``FastHttpUser``'s connection pool, so each request lands in
Locust's statistics under its contract operation ("GET /3/Jobs/{job_id}") and no
scenario logic is copied into the profiles. Job and stream metrics are Locust
entries of their own (``JOB`` and ``STREAM`` request types).

Open-model load: with ``HARNESS_ARRIVAL_RATE`` set (submissions per second over
all users), each user paces its tasks on a fixed schedule and a late start is
measured from the scheduled moment, so a stalling server shows in the figures
instead of silently slowing the senders (coordinated omission).
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import math
import os
import random
import time
import weakref
from collections.abc import Callable, Collection, Hashable, Iterator
from contextlib import contextmanager
from http.client import HTTPException
from pathlib import Path
from typing import Any

import gevent
import httpx
from gevent import GreenletExit
from locust import FastHttpUser, events
from locust.env import Environment
from locust.exception import InterruptTaskSet, RescheduleTask, RescheduleTaskImmediately, StopTest, StopUser
from locust.runners import STATE_MISSING, LocalRunner, MasterRunner, WorkerRunner

from h2oharness.allowlist import host_allowed
from h2oharness.arrivals import DEFAULT_MAX_DISPATCH_DELAY_MS, ArrivalPool, Recorder, Schedule, user_phase
from h2oharness.children import arm_hard_stop
from h2oharness.errors import ContractViolation, HarnessError
from h2oharness.http.deadline import (
    DEADLINE,
    DEFAULT_REQUEST_DEADLINE,
    EXPECTED_TYPES,
    STREAMING_TYPES,
    describe,
    unexpected_type,
)
from h2oharness.http.naming import operation_namer
from h2oharness.report.entrynames import (
    FROM_SCHEDULE,
    ITL,
    JOB,
    OUTPUT_TOKENS,
    POLLS_PER_JOB,
    REFUSED,
    STALLS,
    STREAM,
    SUBMIT_TO_DONE,
    SUBMITTED,
    TASK,
    TIME_TO_HEADERS,
    TOKENS_PER_SECOND,
    TPOT,
    TTFT,
    UNFINISHED,
    USAGE_MISMATCH,
    WHOLE_STREAM,
)
from h2oharness.report.failures import next_step
from h2oharness.report.loadsummary import Outcomes, keep_written
from h2oharness.settings import Handed, Settings
from h2oharness.targets import Credentials

#: what a profile's code raises when the target failed it (no answer, a cut, a refused key, a broken contract)
TARGET_FAILURES: tuple[type[Exception], ...] = (ContractViolation, httpx.HTTPError, HarnessError, OSError)
#: custom Locust messages: the master asks each worker for its final report, the worker says it has sent it
FLUSH = "h2oharness-flush"
FLUSHED = "h2oharness-flushed"
#: seconds the master waits for the workers' final reports beyond their own --stop-timeout
FLUSH_MARGIN = 15.0
#: seconds the connection's own timeouts wait beyond the request deadline
DEADLINE_MARGIN = 5.0

logging.getLogger("httpx").setLevel(logging.WARNING)  # Locust's stats already list every request
# --run-time stops Locust; this ends it even when that stop hangs and the harness that would kill it is gone
arm_hard_stop(Settings.from_env().deadline)


class _LineStream(httpx.SyncByteStream):
    """A streamed body read line by line (geventhttpclient's read(n) waits for n bytes; readline does not).

    The whole stream has ``ends_at`` (time.monotonic): a line dripped a byte at a time cannot outlast it.
    """

    def __init__(self, raw: Any, request: httpx.Request, ends_at: float) -> None:
        self._raw = raw
        self._request = request
        self._ends_at = ends_at

    def __iter__(self) -> Iterator[bytes]:
        while True:
            timer = gevent.Timeout(max(self._ends_at - time.monotonic(), 0.001))
            timer.start()
            try:
                line = self._raw.readline(b"\n")  # its default separator is CRLF
            except gevent.Timeout as exc:
                if exc is not timer:
                    raise
                what = describe(self._request.method, self._request.url)
                raise httpx.ReadTimeout(f"{what}: the stream outlived its deadline", request=self._request) from None
            except (HTTPException, OSError) as exc:
                # geventhttpclient's own error for a body cut short: httpx's, which the stream readers call a cut
                what = describe(self._request.method, self._request.url)
                raise httpx.RemoteProtocolError(f"{what}: the stream was cut ({exc})", request=self._request) from None
            finally:
                timer.close()
            if not line:
                return
            yield line

    def close(self) -> None:
        release = getattr(self._raw, "release", None)
        if callable(release):
            release()


class RedirectRefused(httpx.RequestError):
    """A redirect to a host load may not reach; nothing was sent to it."""


class LocustTransport(httpx.BaseTransport):
    """An httpx transport that sends through a Locust ``FastHttpSession``, so the request is in Locust's stats.

    Every request is sent streaming; an answer whose Content-Type is a streaming one (JSONL, SSE) is handed to
    httpx line by line as it arrives and Locust times it to its headers (the stream readers time the rest),
    any other answer is read whole and timed to its last byte, as Locust would.

    Redirects are not followed here: one to a host off the allowlist (loopback and ``allowed_hosts``) is a failure
    in Locust's statistics and a :class:`RedirectRefused`, and nothing is sent to that host; any other is handed
    to httpx, which follows it through this transport again.
    """

    def __init__(
        self,
        session: Any,
        namer: Callable[[str, str], str],
        allowed_hosts: Collection[str] | None = None,
        deadline: float | None = None,
    ) -> None:
        self.session = session
        self.namer = namer
        self.allowed_hosts = frozenset(allowed_hosts or ())
        self.deadline = deadline or Settings.from_env().request_deadline or DEFAULT_REQUEST_DEADLINE

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through Locust's session and wrap the answer for httpx, within the request's deadline.

        A non-streamed answer that does not come whole within the deadline, or comes cut short, is a failure in
        Locust's statistics and an httpx error naming the request.
        """
        what = describe(request.method, request.url)
        deadline = float(request.extensions.get(DEADLINE, self.deadline))
        timer = gevent.Timeout(deadline)
        timer.start()
        sent = time.perf_counter()
        try:
            return self._send(request, what, timer, deadline)
        except GreenletExit:
            # Locust kills a user still busy --stop-timeout after the stop, and its session reports nothing for a
            # request cut off that way: uncounted, a target that stopped answering would read as 0 failures. A
            # request younger than the stop timeout was not waited for: Locust kills a user it finds waiting at the
            # stop at once, even one that has just woken up and sent its next request, no fault of the target's
            waited = time.perf_counter() - sent
            environment = getattr(getattr(self.session, "user", None), "environment", None)
            grace = getattr(environment, "stop_timeout", None) or 0.0
            if grace and waited >= grace:
                message = f"{what}: no answer when the run stopped, {waited:.3g} s after it was sent"
                self._failed(request, waited * 1000, message)
            raise
        except gevent.Timeout as exc:
            if exc is not timer:
                raise
            # no answer at all yet: Locust's session reports nothing for an exception it did not raise
            raise self._failed(request, deadline * 1000, f"{what}: no complete answer within {deadline:g} s") from None
        finally:
            timer.close()

    def _answered(self, answered: bool) -> None:
        """Note on the sending user whether the target answered its last request (a user out of a task backs off
        after one that ended unanswered: see :class:`HarnessUser`)."""
        user = getattr(self.session, "user", None)
        if user is not None:
            user._harness_unanswered = not answered

    def _failed(self, request: httpx.Request, waited_ms: float, message: str) -> httpx.ReadTimeout:
        """Record a request Locust's session reports nothing for (it did not raise what ended it) as a failure."""
        late = httpx.ReadTimeout(message, request=request)
        self.session.request_event.fire(
            request_type=request.method,
            name=self.namer(request.method, request.url.path),
            response_time=waited_ms,
            response_length=0,
            exception=late,
            context={},
        )
        return late

    def _send(self, request: httpx.Request, what: str, timer: gevent.Timeout, deadline: float) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        headers["accept-encoding"] = "identity"  # httpx must not decode what geventhttpclient already decoded
        body = request.read()
        started = time.perf_counter()
        with self.session.request(
            request.method,
            str(request.url),
            name=self.namer(request.method, request.url.path),
            data=body or None,
            headers=headers,
            stream=True,
            catch_response=True,
            allow_redirects=False,
        ) as resp:
            error = getattr(resp, "error", None)
            if resp.status_code == 0 or (error is not None and not getattr(error, "code", None)):
                # geventhttpclient wraps what went wrong ("URL ...: 0, original=2.0 seconds"): say the cause itself
                cause = getattr(error, "original", None) or error
                if isinstance(cause, (gevent.Timeout, TimeoutError)):
                    waited = time.perf_counter() - started
                    late = f"{what}: no answer within {deadline if cause is timer else round(waited, 1):g} s"
                    resp.failure(late)
                    raise httpx.ReadTimeout(late, request=request)
                resp.failure(cause or "no response")
                self._answered(False)
                raise httpx.ConnectError(f"{what}: {cause or 'no response'}", request=request)
            location = (
                (resp.headers.get("location", "") if resp.headers else "") if 300 <= resp.status_code < 400 else ""
            )
            target = str(request.url.join(location)) if location else ""
            if target and not host_allowed(target, self.allowed_hosts):
                host = httpx.URL(target).host
                resp.failure(f"HTTP {resp.status_code} redirect to {host} refused: not loopback nor an allowed host")
                raise RedirectRefused(
                    f"{request.method} {request.url.path}: redirect to {host} refused", request=request
                )
            pairs = list(resp.headers.items()) if resp.headers else []
            pairs = [(k, v) for k, v in pairs if k.lower() not in ("content-encoding", "transfer-encoding")]
            content_type = resp.headers.get("content-type", "") if resp.headers else ""
            streamed = any(t in content_type for t in STREAMING_TYPES)
            content = b""
            if not streamed:
                try:
                    content = resp.content or b""
                except (gevent.Timeout, OSError, HTTPException) as exc:
                    if isinstance(exc, gevent.Timeout) and exc is not timer:
                        raise
                    cut = f"{what}: no complete answer ({'past its deadline' if exc is timer else exc})"
                    resp.failure(cut)
                    self._answered(exc is timer)  # slow is an answer in the making; a cut is none
                    raise httpx.ReadError(cut, request=request) from None
            self._answered(True)
            if resp.status_code >= 400:
                resp.failure(f"HTTP {resp.status_code}")
            elif wrong := _unexpected(request, resp.status_code, content_type, streamed or bool(content)):
                resp.failure(wrong)  # a proxy's HTML page, or text where JSON was due: no success, whatever its status
            else:
                resp.success()
            if streamed:
                timer.close()  # the stream has a deadline of its own, from when it was sent
                ends_at = time.monotonic() + deadline - (time.perf_counter() - started)
                stream = _LineStream(resp._response, request, ends_at)
                return httpx.Response(resp.status_code, headers=pairs, stream=stream)
            meta = getattr(resp, "request_meta", None)
            if isinstance(meta, dict):  # Locust timed the headers only (stream=True): count the body too
                meta["response_time"] = (time.perf_counter() - started) * 1000
                meta["response_length"] = len(content)
            return httpx.Response(resp.status_code, headers=pairs, content=content)


def _unexpected(request: httpx.Request, status: int, content_type: str, has_body: bool) -> str:
    """Why a successful answer's Content-Type is not what the caller reads ('' when it is, or nothing is read): the
    stream types ``open_stream`` asked for (``EXPECTED_TYPES``), else JSON; an answer without a body only when a
    stream was asked for."""
    expected = request.extensions.get(EXPECTED_TYPES)
    if not 200 <= status < 300 or status in (204, 205) or request.method == "HEAD":
        return ""
    if not has_body and expected is None:
        return ""
    return unexpected_type(content_type, expected)


_LOG = logging.getLogger("h2oharness.load")
#: the state Locust gives a user it asks to stop (locust.user.users.LOCUST_STATE_STOPPING, not exported)
_STOPPING = "stopping"
#: Locust's own way of ending or rescheduling a task: not a failure
_CONTROL = (InterruptTaskSet, RescheduleTask, RescheduleTaskImmediately, StopTest, StopUser)
#: log lines per task (or job, or stream) and kind of failure; the rest are counted in Locust's statistics only
_SAID_CAP = 3
_said: dict[tuple[str, str], int] = {}
_OUTAGE_KEY = ("outage", "")
#: seconds before a failed setup is tried again: the first wait, doubled after each failure up to the last
SETUP_BACKOFF = (0.5, 10.0)
#: seconds a closed-model user waits before its next task after one whose last request the target did not answer
#: (refused, reset, cut short): the first wait, doubled after each such task up to the last
OUTAGE_BACKOFF = (0.5, 10.0)
#: an open-model run (an arrival rate) keeps its schedule whatever the target does: its rate already bounds it
_PACED = bool(Settings.from_env().arrival_rate)
#: failures each user's greenlet has recorded, so a guard knows whether its task's failure is already counted
_failures_of: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


@events.request.add_listener  # type: ignore[untyped-decorator]
def _count_failures(exception: BaseException | None = None, **_: Any) -> None:
    if exception is not None:
        here = gevent.getcurrent()
        _failures_of[here] = _failures_of.get(here, 0) + 1


class HarnessUser(FastHttpUser):
    """A Locust user whose setup (``on_start``), tasks and teardown (``on_stop``) meet a failing target with one
    log line instead of a traceback.

    What the target did wrong (no answer, an answer cut short, refused credentials, a broken contract) stays a
    failure in Locust's statistics: the failed request's own entry, or a ``TASK <user>.<part>`` entry when no
    request recorded one. The log gets one line (what failed, against what, why, what to do), at most
    three per kind of failure. A setup that failed is tried again before the user's next task, so the user goes
    on loading once the target recovers (after a wait that doubles with each failure, ``SETUP_BACKOFF``, so a
    target that fails every setup is not flooded); the teardown runs only after a setup that succeeded. A task whose
    last request the target did not answer (refused, reset, cut short) fails in microseconds: in the closed model the
    user waits before its next task, ``OUTAGE_BACKOFF`` doubling while the target stays down, so a target that went
    away is not flooded with thousands of refused requests a second and the run's figures stay readable; the first
    answer ends the wait. An open-model run keeps its schedule (its arrival rate bounds it). Any other exception is
    a bug of the harness: the log says so, and Locust logs it with its traceback.

    Example:
        class PollingUser(HarnessUser):
            def on_start(self) -> None:
                self.api = H2O3Client(harness_http(self, CONTRACT, "H2O3"))

            @task
            def cloud(self) -> None:
                self.api.cloud()
    """

    abstract = True
    # geventhttpclient's own socket timeouts (Locust's default: 60 s) would end a slow request before its deadline
    # does, under the deadline's name: the request deadline governs, these only back it up
    network_timeout = connection_timeout = (
        Settings.from_env().request_deadline or DEFAULT_REQUEST_DEADLINE
    ) + DEADLINE_MARGIN
    _harness_ready = False
    _harness_in_setup = False
    _harness_setup_failures = 0
    _harness_retry_at = 0.0
    #: whether the target answered none of the user's last request, and the tasks in a row that ended so
    _harness_unanswered = False
    _harness_outage = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for part in ("on_start", "on_stop"):
            setattr(cls, part, _guarded(getattr(cls, part), part))  # Locust's own (a no-op) too: it readies the user
        cls.tasks = [_guarded(t, "task") if callable(t) and not isinstance(t, type) else t for t in cls.tasks]


def _guarded(func: Callable[..., Any], part: str) -> Callable[..., Any]:
    """``func`` (a setup, teardown or task of a :class:`HarnessUser`) with the target's failures met in one line."""
    if getattr(func, "_harness_guarded", False):
        return func

    @functools.wraps(func)
    def guarded(user: HarnessUser, *args: Any, **kwargs: Any) -> Any:
        if part == "on_start" and user._harness_in_setup:
            return func(user, *args, **kwargs)  # a profile's setup calling its parent's: the outer one guards both
        if part == "on_stop" and not user._harness_ready:
            return None  # its setup never finished: nothing of it to clean up
        if part == "task":
            _sleep_until(user, user._harness_retry_at)
            if not user._harness_ready:
                user.on_start()
                if not user._harness_ready:
                    return None
        here = gevent.getcurrent()
        before = _failures_of.get(here, 0)
        user._harness_in_setup = part == "on_start"
        try:
            result = func(user, *args, **kwargs)
        except _CONTROL:
            raise
        except TARGET_FAILURES as exc:
            _target_failed(user, func.__name__, part, exc, counted=_failures_of.get(here, 0) > before)
            return None
        except Exception as exc:
            what = f"{type(user).__name__}.{func.__name__}"
            _LOG.error(
                "internal error of h2oharness in %s against %s: %s: %s; a bug of the harness, not of the target: "
                "please report it with the traceback that follows",
                what, user.host, type(exc).__name__, exc,
            )  # fmt: skip
            raise
        finally:
            user._harness_in_setup = False
            if part == "task":
                _after_task(user)
        if part == "on_start":
            user._harness_ready, user._harness_setup_failures = True, 0
        return result

    guarded._harness_guarded = True  # type: ignore[attr-defined]
    return guarded


def _after_task(user: HarnessUser) -> None:
    """After a closed-model task whose last request got no answer, have the user wait before its next one (doubling
    while the target stays down); after one that was answered, not."""
    if not user._harness_unanswered:
        user._harness_outage = 0
        return
    if _PACED:
        return
    user._harness_outage += 1
    first, most = OUTAGE_BACKOFF
    wait = min(first * 2 ** (user._harness_outage - 1), most)
    user._harness_retry_at = max(user._harness_retry_at, time.monotonic() + wait)
    if user._harness_outage == 1 and not _said.get(_OUTAGE_KEY):
        _said[_OUTAGE_KEY] = 1
        _LOG.warning(
            "%s answers no request of %s: its users wait %g s before their next task, doubling up to %g s while it "
            "stays down (an open model, --arrival-rate, keeps its schedule instead)",
            user.host, type(user).__name__, first, most,
        )  # fmt: skip


def _sleep_until(user: HarnessUser, when: float) -> None:
    """Sleep until ``when`` (time.monotonic), or stop the user as soon as the run stops it."""
    for _ in range(100_000):
        left = when - time.monotonic()
        if left <= 0:
            return
        if getattr(user, "_state", None) == _STOPPING:
            raise StopUser()
        gevent.sleep(min(left, 0.25))


def _target_failed(user: HarnessUser, name: str, part: str, exc: Exception, counted: bool) -> None:
    """Count a failure of the target that no request recorded, and say it in one line (a few of each kind)."""
    what = f"{type(user).__name__}.{name}"
    if part == "on_start":
        first, most = SETUP_BACKOFF
        user._harness_setup_failures += 1
        user._harness_retry_at = time.monotonic() + min(first * 2 ** (user._harness_setup_failures - 1), most)
    if not counted:
        fire(user.environment, TASK, what, 0, exception=exc)
    then = {"on_start": "; its setup is tried again before its next task", "on_stop": "; its cleanup is left undone"}
    _say_failure(what, user.host, exc, then.get(part, ""))


def _say_failure(what: str, host: str | None, exc: BaseException, then: str = "") -> None:
    """Say in locust.log, in one line, that ``what`` failed against ``host`` (the first few of each kind)."""
    key = (what, type(exc).__name__)
    _said[key] = said = _said.get(key, 0) + 1
    if said > _SAID_CAP:
        return
    why = " ".join(str(exc).split()) or type(exc).__name__
    advice = next_step(type(exc).__name__, why, load=True)
    line = f"{what} failed against {host}: {type(exc).__name__}: {why} -> {advice}{then}"
    if said == _SAID_CAP:
        line += f" (further {type(exc).__name__} failures of {what} are counted, not logged)"
    _LOG.error("%s", line)


def fire(
    environment: Environment,
    kind: str,
    name: str,
    value: float,
    *,
    length: int = 0,
    exception: BaseException | None = None,
) -> None:
    """Record one custom measurement (milliseconds, or a count) as a Locust entry of its own."""
    environment.events.request.fire(  # type: ignore[no-untyped-call]
        request_type=kind,
        name=name,
        response_time=value,
        response_length=length,
        exception=exception,
        context={},
    )


def target_credentials(prefix: str) -> Credentials:
    """The credentials ``h2oharness load`` handed down through the environment (never on a command line)."""
    handed = Settings.from_env().handed.get(prefix) or Handed()
    return Credentials(username=handed.username, password=handed.password, token=handed.token)


def harness_http(user: FastHttpUser, document: Path, prefix: str) -> httpx.Client:
    """An httpx client whose requests go through ``user``'s Locust session, with the target's credentials; it follows
    redirects only to the hosts the run may reach (``HARNESS_ALLOWED_HOSTS`` and loopback)."""
    creds = target_credentials(prefix)
    allowed = [h for h in Settings.from_env().allowed_hosts.split(",") if h]
    return httpx.Client(
        base_url=user.host or "",
        transport=LocustTransport(user.client, operation_namer(document), allowed),
        auth=creds.httpx_auth(),
        headers=creds.headers(),
        timeout=60.0,
        follow_redirects=True,
    )


#: the process's own grid for constant schedules: its start, and a random phase so that workers do not align
_ANCHOR = time.monotonic()
_PHASE = random.random()


#: the arrivals due in this process, shared by its users (each user's share of the rate is one stream of it)
POOL = ArrivalPool()


class Pacer:
    """Open-model pacing for one user: its share of ``HARNESS_ARRIVAL_RATE``, on a schedule that ignores replies.

    Each :meth:`wait` is one arrival: it sleeps until the arrival is due and records when it was due and when it was
    sent in :data:`RECORDER` (dispatch delay = sent - due). With a ``pool`` (the profiles' users share the process's
    :data:`POOL`) the user adds its share to it and sends the earliest arrival no other user took, so an arrival is
    late only when every user of the process is busy; without one, only its own, late when it is still busy. Either
    way the schedule does not slip to hide a late send. A user (``owner``) joins the pool once, however many pacers
    its setups make, and leaves it when its greenlet ends (:meth:`leave`).
    Without an arrival rate it does nothing and the user runs closed-loop (Locust's own wait_time).
    """

    _users = itertools.count()

    def __init__(
        self,
        users: int,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
        process: str = "constant",
        rng: random.Random | None = None,
        recorder: Recorder | None = None,
        phase: float | None = None,
        pool: ArrivalPool | None = None,
        owner: Hashable | None = None,
    ) -> None:
        self.clock = clock
        self.interval = users / rate if rate else None
        self.schedule = Schedule(self.interval, process, rng) if self.interval else None
        self.recorder = recorder
        now = clock()
        self.next_at = now + (self.schedule.first_offset(phase) if self.schedule else 0.0)
        if self.interval and phase is not None and process == "constant":
            # on a grid shared by the process's users (its start + (phase + k) intervals), not from this user's own
            # start: users spawned a few ms apart would otherwise bunch their sends
            slot = _ANCHOR + (phase % 1.0) * self.interval
            self.next_at = slot + max(math.ceil((now - slot) / self.interval), 0) * self.interval
        self.pool = pool if self.schedule is not None else None
        self.owner = owner
        if self.pool is not None and self.schedule is not None:
            joined = owner is None or owner not in self.pool  # an owner's stream that was due goes on as it was
            stream = self.pool.join(self.next_at, self.schedule, owner)
            if recorder is not None and joined:
                recorder.expect((id(self.pool), stream), self.next_at + time.time() - clock(), self.interval or 0.0)
            link = getattr(owner, "rawlink", None)
            if joined and callable(link):
                # however the user's greenlet ends (Locust stops or kills it, an error ends it), its share leaves
                link(self.leave)

    @classmethod
    def from_environment(cls) -> Pacer:
        """A pacer for ``HARNESS_ARRIVAL_RATE`` shared by ``HARNESS_LOAD_USERS`` users (over all workers), whose
        arrivals go to the process's :data:`POOL`.

        With ``HARNESS_ARRIVAL_SEED`` each user draws its gaps from its own seeded generator (seed, process, user).
        """
        settings = Settings.from_env()
        seed = settings.arrival_seed
        index = next(cls._users)
        rng = random.Random(f"{seed}-{os.getpid()}-{index}") if seed is not None else None
        process = settings.arrival_process or "constant"
        users, rate = max(settings.load_users, 1), settings.arrival_rate or None
        phase = user_phase(index) + _PHASE
        # the user's greenlet owns its share: a setup tried again (HarnessUser) makes a new pacer, not a new share
        owner = gevent.getcurrent()
        return cls(users, rate, process=process, rng=rng, recorder=RECORDER, phase=phase, pool=POOL, owner=owner)

    def leave(self, *_: Any) -> None:
        """The user stopped: its share leaves the pool, and its stream's arrivals are due no more (none counts as
        unsent). Called when its greenlet ends (a greenlet link's argument is ignored)."""
        if self.pool is None or self.owner is None:
            return
        stream = self.pool.leave(self.owner)
        if stream is not None and self.recorder is not None:
            self.recorder.forget((id(self.pool), stream))

    def wait(self) -> float:
        """Sleep until the next arrival this user sends is due; return that scheduled moment (on ``clock``)."""
        if self.schedule is None:
            return self.clock()
        stream: tuple[int, int] | None = None
        if self.pool is not None:
            scheduled, index, following = self.pool.claim()
            stream = (id(self.pool), index)
        else:
            scheduled = self.next_at
            self.next_at += self.schedule.next_gap()
            following = self.next_at
        for _ in range(100_000):  # a timer may wake a hair early: sleep the rest, so a send is never before its time
            self._stop_if_over()
            delay = scheduled - self.clock()
            if delay <= 0:
                break
            time.sleep(min(delay, 0.25))
        self._stop_if_over()
        if self.recorder is not None:
            to_epoch = time.time() - self.clock()
            self.recorder.arrive(
                gevent.getcurrent(),
                scheduled + to_epoch,
                self.clock() + to_epoch,
                following + to_epoch,
                self.interval or 0.0,
                stream=stream,
            )
        return scheduled

    def _stop_if_over(self) -> None:
        # the run is over: an arrival due after its end is not sent (Locust's --stop-timeout lets a user finish
        # the task it is in, and a user asleep until its next arrival would send it then, load the run never
        # offered and the figures then counted beside its arrivals); an arrival due before the end that its busy
        # user never sent is counted late up to the end (Recorder.unsent), not sent after it
        if self.recorder is not None and self.recorder.closed:
            raise StopUser()


class JobOut(dict[str, Any]):
    """What a :func:`job_metrics` block reports: ``polls``, ``ok``, whatever it keeps, and :meth:`submitted`."""

    def __init__(self, mark: Callable[[], None]) -> None:
        super().__init__(polls=0, ok=False)
        self._mark: Callable[[], None] | None = mark

    def submitted(self) -> None:
        """The target answered the job's submission: the job counts in ``<name> submitted`` (once)."""
        mark, self._mark = self._mark, None
        if mark is not None:
            mark()

    @property
    def was_submitted(self) -> bool:
        """Whether :meth:`submitted` was called."""
        return self._mark is None


@contextmanager
def job_metrics(environment: Environment, name: str, scheduled: float | None = None) -> Iterator[JobOut]:
    """Time one job from submission to its end; record submitted, done/failed, submit-to-done and polls per job.

    The block calls ``out.submitted()`` once the target answered the submission (a job that ends well was
    submitted in any case): a submission the target refused or never answered is no job submitted, so a run whose
    every submission failed has no ``<name> submitted`` to meet a ``min_requests`` SLO with. The block sets
    ``out["polls"]``; a JobFailed, JobTimeout, ContractViolation or HTTP error inside it counts as a failed job
    (a failed ``<name> submit-to-done``) once the job was submitted, as a failed ``<name> refused`` before, and is
    swallowed (``out["ok"]`` is then False), so one bad job does not end the user.
    With ``scheduled`` (open model), the submit-to-done time also gets a ``(from schedule)`` entry that includes
    how late the submission started. A submitted job still running when Locust ends the user at the stop is an
    ``<name> unfinished at stop`` (its time so far), neither done nor failed.
    """
    out = JobOut(lambda: fire(environment, JOB, f"{name} {SUBMITTED}", 0))
    started = time.monotonic()
    try:
        yield out
    except GreenletExit:
        # Locust kills a user still in its task --stop-timeout after the stop: without an entry, a job stuck
        # running (or longer than the run) vanished, and an SLO on its submit-to-done said only "no entry"
        if out.was_submitted:
            fire(environment, JOB, f"{name} {UNFINISHED}", (time.monotonic() - started) * 1000)
        raise
    except (ContractViolation, httpx.HTTPError, HarnessError, OSError) as exc:
        elapsed = (time.monotonic() - started) * 1000
        if out.was_submitted:
            fire(environment, JOB, f"{name} {SUBMIT_TO_DONE}", elapsed, exception=exc)
        else:
            # no job was made: a failed submit-to-done mixed refusals (a 429 in a few ms) into the jobs' figures
            fire(environment, JOB, f"{name} {REFUSED}", 0, exception=exc)
        # swallowed here, so the user's guard never sees it: without this line a job that ended FAILED was counted
        # and never said why
        _say_failure(f"{JOB} {name}", environment.host, exc)
        return
    out["ok"] = True
    out.submitted()
    elapsed = (time.monotonic() - started) * 1000
    fire(environment, JOB, f"{name} {SUBMIT_TO_DONE}", elapsed)
    fire(environment, JOB, f"{name} {POLLS_PER_JOB}", float(out["polls"]))
    if scheduled is not None:
        fire(environment, JOB, f"{name} {FROM_SCHEDULE}", (time.monotonic() - scheduled) * 1000)


@contextmanager
def stream_metrics(environment: Environment, name: str, stall_after: float = 1.0) -> Iterator[dict[str, Any]]:
    """Record one stream's figures as Locust entries, under the field's definitions (h2oharness/http/streammetrics.py):
    time to headers, time to first token (TTFT), each ITL, TPOT, output tokens and output tokens per second (counts
    and rates, not ms), the usage mismatch where the server reported a count, stalls (chunk gaps over
    ``stall_after`` seconds, a count) and the whole stream (E2E).

    The block puts the reader in ``out["reader"]`` and reads it to its end; a StreamViolation (cut, malformed,
    error line, anything after the end) or an HTTP error fails the ``<name> stream`` entry with its reason.
    """
    out: dict[str, Any] = {}
    started = time.monotonic()
    try:
        yield out
    except (ContractViolation, httpx.HTTPError, HarnessError, OSError) as exc:
        fire(environment, STREAM, f"{name} {WHOLE_STREAM}", (time.monotonic() - started) * 1000, exception=exc)
        _say_failure(f"{STREAM} {name}", environment.host, exc)  # as a job's: a cut stream was never said
        return
    reader = out.get("reader")
    stats = getattr(reader, "stats", None)
    if reader is None or stats is None:
        fire(environment, STREAM, f"{name} {WHOLE_STREAM}", 0, exception=HarnessError("the block opened no stream"))
        return
    metrics = reader.metrics()
    fire(environment, STREAM, f"{name} {TIME_TO_HEADERS}", stats.time_to_headers * 1000)
    if metrics.ttft is not None:
        fire(environment, STREAM, f"{name} {TTFT}", metrics.ttft * 1000)
    for gap in metrics.itl:
        fire(environment, STREAM, f"{name} {ITL}", gap * 1000)
    if metrics.tpot is not None:
        fire(environment, STREAM, f"{name} {TPOT}", metrics.tpot * 1000)
    fire(environment, STREAM, f"{name} {OUTPUT_TOKENS}", float(metrics.output_tokens))
    fire(environment, STREAM, f"{name} {TOKENS_PER_SECOND}", metrics.tokens_per_second)
    if metrics.usage_mismatch is not None:
        fire(environment, STREAM, f"{name} {USAGE_MISMATCH}", float(abs(metrics.usage_mismatch)))
    fire(environment, STREAM, f"{name} {STALLS}", float(len(stats.stalls(stall_after))))
    fire(environment, STREAM, f"{name} {WHOLE_STREAM}", metrics.e2e * 1000, length=stats.characters)


# The process's own record of every event, independent of Locust's statistics: the times of each entry's successful
# requests apart from its failed ones (Locust keeps one histogram for both), written to HARNESS_LOAD_OUTCOME_DIR
# when the process has quit, so that latency figures count successes only. With HARNESS_LOAD_WORKER_DIR set, each
# worker also writes its totals there when it quits, so a run can check that the master's aggregate is the sum of
# its workers.
OUTCOMES = Outcomes()


@events.request.add_listener  # type: ignore[untyped-decorator]
def _count(
    request_type: str, name: str, response_time: float | None = None, exception: BaseException | None = None, **_: Any
) -> None:
    OUTCOMES.add(f"{request_type} {name}", response_time, exception is not None, exception)


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def _write_worker_totals(environment: Environment, **_: Any) -> None:
    folder = Settings.from_env().load_worker_dir
    if folder and isinstance(environment.runner, WorkerRunner):
        totals = {key: {"requests": n, "failures": f} for key, (n, f) in OUTCOMES.counts().items()}
        Path(folder, f"worker-{os.getpid()}.json").write_text(json.dumps(totals, sort_keys=True))


#: how often a process writes its record while it runs, for the live line (h2oharness/loadrunner.py prints it every 5 s)
SNAPSHOT_EVERY = 2.0


# Locust fires "quit" last, after its runner has stopped every user (on SIGTERM, "quitting" comes before that):
# the record then holds every event Locust's statistics hold
@events.init.add_listener  # type: ignore[untyped-decorator]
def _outcomes_at_quit(environment: Environment, **_: Any) -> None:
    folder = Settings.from_env().load_outcome_dir
    if folder and not isinstance(environment.runner, MasterRunner):
        quit_: list[bool] = []

        def final(**_: Any) -> None:
            quit_.append(True)
            OUTCOMES.write(Path(folder), os.getpid())

        environment.events.quit.add_listener(final)  # type: ignore[no-untyped-call]
        gevent.spawn(keep_written, OUTCOMES, Path(folder), os.getpid(), SNAPSHOT_EVERY, gevent.sleep, lambda: not quit_)


# Open model: every arrival's due and sent moments, and (with HARNESS_LOAD_WINDOW) each event counted in its window
# of the run; with HARNESS_LOAD_RECORD_DIR set, each process that runs users writes them there when it quits.
_SETTINGS = Settings.from_env()
RECORDER = Recorder(window=_SETTINGS.load_window, warmup=_SETTINGS.load_warmup or 0.0)


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def _recording_starts(environment: Environment, **_: Any) -> None:
    if not isinstance(environment.runner, MasterRunner):
        RECORDER.begin(time.time())
    if RECORDER.window and _SETTINGS.load_windows and isinstance(environment.runner, LocalRunner):
        gevent.spawn(_stop_when_saturated, environment)
    elif RECORDER.window and _SETTINGS.load_windows and isinstance(environment.runner, MasterRunner):
        gevent.spawn(_stop_after_windows, environment, time.time())


def _stop_after_windows(environment: Environment, begun: float) -> None:
    """A distributed capacity run's end, kept by its master (see _stop_when_saturated): after the last window.

    The workers' recordings are only merged afterwards, so a distributed run does not end early when saturated.
    """
    from h2oharness.capacity import TAIL

    until = begun + RECORDER.warmup + (_SETTINGS.load_windows or 1) * (RECORDER.window or 1.0) + TAIL
    for _ in range(100_000):
        left = until - time.time()
        if left <= 0:
            break
        gevent.sleep(min(left, 0.5))
    if environment.runner is not None:
        environment.runner.quit()


def _stop_when_saturated(environment: Environment) -> None:
    """Once per window: end the run when its windows so far are over-saturated (a capacity search's early stop);
    after the last window (and ``TAIL``), end it anyway.

    The run's end is kept here, by the wall clock, so the last window is whole even if the loop's timers slip.
    """
    from h2oharness.capacity import TAIL, early_stop

    window, windows = RECORDER.window or 1.0, _SETTINGS.load_windows or 1
    limit = _SETTINGS.max_dispatch_delay or DEFAULT_MAX_DISPATCH_DELAY_MS
    begun = RECORDER.start or time.time()
    for index in range(windows + 1):
        until = begun + RECORDER.warmup + min(index + 1, windows) * window + (TAIL if index == windows else 0.0)
        for _ in range(100_000):  # a timer may wake early: sleep until the wall clock says so
            left = until - time.time()
            if left <= 0:
                break
            gevent.sleep(min(left, 0.5))
        reason = early_stop(RECORDER, time.time(), _SETTINGS.arrival_rate or 0.0, windows, limit)
        if reason and not RECORDER.stopped:
            RECORDER.stopped = reason
            logging.getLogger(__name__).warning("over-saturated, ending the run early: %s", reason)
        if (reason or index == windows) and environment.runner is not None:
            environment.runner.quit()
            return


@events.request.add_listener  # type: ignore[untyped-decorator]
def _record(
    request_type: str, name: str, response_time: float, exception: BaseException | None = None, **_: Any
) -> None:
    RECORDER.measured(gevent.getcurrent(), f"{request_type} {name}", response_time, exception is not None, time.time())


@events.test_stopping.add_listener  # type: ignore[untyped-decorator]
def _recording_stops(environment: Environment, **_: Any) -> None:
    if not isinstance(environment.runner, MasterRunner):
        RECORDER.close(time.time())


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def _write_recording(environment: Environment, **_: Any) -> None:
    folder = Settings.from_env().load_record_dir
    if folder and not isinstance(environment.runner, MasterRunner) and (RECORDER.arrivals or RECORDER.windows):
        RECORDER.write(Path(folder), os.getpid())


# Locust arms --run-time with gevent.spawn_later right after this event, on the main greenlet, before the gevent
# loop has run once: the loop's clock is still the one cached when the hub was created, at the start of Locust's
# own imports. Timers count from that cached "now", so every second spent importing Locust and the profile came
# off the run: under CPU load a 3-s run stopped before its users' first task, recording no stream at all. The
# clock is brought up to date here, the last moment before the timer is set, so a run lasts what it was asked to.
@events.init.add_listener  # type: ignore[untyped-decorator]
def _fresh_loop_clock(**_: Any) -> None:
    gevent.get_hub().loop.update_now()


# Locust's master waits only 0.5 s for its workers' last reports when it quits (locust issue #1426), while each
# worker first lets its users finish their tasks (--stop-timeout): what a stream still running at the stop
# recorded never reached the master. So the master stops the workers itself and quits only once each has sent
# the report that follows its users' end (or the wait ran out).
@events.init.add_listener  # type: ignore[untyped-decorator]
def _final_reports(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.register_message(FLUSH, _send_final_report, concurrent=True)
    elif isinstance(runner, MasterRunner):
        flushed: set[str] = set()
        runner.register_message(FLUSHED, lambda msg, **_: flushed.add(msg.node_id))
        environment.events.test_stop.add_listener(  # type: ignore[no-untyped-call]
            lambda **_: await_final_reports(runner, flushed)
        )


def _send_final_report(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if not isinstance(runner, WorkerRunner):
        return
    runner.stop()  # every user finishes its task (up to --stop-timeout), so its figures are recorded
    data: dict[str, Any] = {}
    environment.events.report_to_master.fire(client_id=runner.client_id, data=data)  # type: ignore[no-untyped-call]
    runner.send_message("stats", data)
    # after the stats on the same connection: the master has merged them when it reads this
    runner.send_message(FLUSHED)


def await_final_reports(runner: MasterRunner, flushed: set[str], margin: float = FLUSH_MARGIN) -> list[str]:
    """Stop every worker and wait (bounded) until each has sent its final report; the ids of those that did not."""
    waiting = {client.id for client in runner.clients.all if client.state != STATE_MISSING}
    for client_id in sorted(waiting - flushed):
        runner.send_message(FLUSH, client_id=client_id)
    deadline = time.monotonic() + (runner.environment.stop_timeout or 0.0) + margin
    while not waiting <= flushed and time.monotonic() < deadline:
        gevent.sleep(0.05)
    missing = sorted(waiting - flushed)
    if missing:
        logging.getLogger(__name__).warning("no final report from %d worker(s): %s", len(missing), ", ".join(missing))
    return missing
