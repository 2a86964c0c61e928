"""Child processes in a process group of their own: signals forwarded, a bounded grace, nothing left behind.

``h2oharness run`` and ``load`` start pytest and Locust here. A run's children share
one new process group (not the terminal's foreground one, so a Ctrl-C reaches only
the harness, which decides). SIGTERM or SIGINT to the harness is forwarded, the
children get a bounded grace to write what they have, then SIGKILL ends whatever
is left of the group. A child also enforces the run's deadline itself
(``HARNESS_DEADLINE``, see :func:`arm_hard_stop`), so a harness killed outright
leaves nothing running past it.

Example:
    with ProcessGroup() as group:
        group.start([sys.executable, "-m", "pytest"])
        outcome = group.supervise(limit=600.0, grace=30.0)
    if outcome.signal:
        raise Stopped(outcome.signal)
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import math
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any

#: the signals the harness forwards to its children
FORWARDED = (signal.SIGTERM, signal.SIGINT)
#: seconds the rest of a group gets to end after its leader before the signal goes to them too
LEFT_BEHIND = 5.0
#: the signal ``h2oharness run``'s pytest gets when the harness ends without stopping it (its plugin stops then)
ORPHANED = signal.SIGHUP
_PR_SET_PDEATHSIG = 1


class Stopped(Exception):
    """The harness was told to stop by a signal; it exits with the shell's code for it (130, 143)."""

    def __init__(self, signum: int, detail: str = "") -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}" + (f"; {detail}" if detail else ""))
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process a signal ended."""
        return 128 + self.signum


@dataclass
class Outcome:
    """How a supervised group ended: its processes' exit codes, and the signal or time limit that stopped it early."""

    codes: list[int]
    signal: int | None = None
    timed_out: bool = False


@dataclass
class ProcessGroup:
    """Processes started in one new process group.

    Within the block, SIGTERM and SIGINT to this process are recorded for :meth:`supervise` instead of ending
    it; on leaving the block, whatever is left of the group is killed.
    """

    procs: list[subprocess.Popen[Any]] = field(default_factory=list)
    pgid: int | None = None
    #: the signals this process got within the block, in order
    received: list[int] = field(default_factory=list)
    _handlers: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)

    def start(self, command: Sequence[str], orphaned: int | None = None, **options: Any) -> subprocess.Popen[Any]:
        """Start ``command`` in the group: the first one leads a new group, the others join it.

        ``orphaned``: the signal the process gets should this one end without stopping it (a SIGKILL, the OOM
        killer), which the group's own handling of SIGTERM and SIGINT never sees (Linux; else none).
        """
        if orphaned is not None:
            options["preexec_fn"] = functools.partial(signal_when_orphaned, orphaned, os.getpid())
        if self.pgid is None:
            # a group, not a session: a process cannot join a group of another session
            proc: subprocess.Popen[Any] = subprocess.Popen(command, process_group=0, **options)
            self.pgid = proc.pid
        else:
            proc = subprocess.Popen(command, process_group=self.pgid, **options)
        self.procs.append(proc)
        return proc

    def signal(self, signum: int, leader_only: bool = False) -> None:
        """Send ``signum`` to every process of the group (or to its first process only)."""
        if self.pgid is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if leader_only:
                self.procs[0].send_signal(signum)
            else:
                os.killpg(self.pgid, signum)

    def alive(self) -> bool:
        """Whether any process of the group still exists (those that started processes of their own included)."""
        if self.pgid is None:
            return False
        try:
            os.killpg(self.pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def kill(self) -> None:
        """SIGKILL every process of the group and reap the ones this process started."""
        self.signal(signal.SIGKILL)
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)

    def _wait(
        self,
        procs: Sequence[subprocess.Popen[Any]],
        until: float,
        tick: Callable[[float], None] | None = None,
        every: float = 5.0,
    ) -> bool:
        """Wait until ``procs`` have ended (True), or ``until`` (monotonic) passed or a signal came in (False)."""
        started = time.monotonic()
        next_tick, seen = started + every, len(self.received)
        while any(p.poll() is None for p in procs):
            now = time.monotonic()
            if now >= until or len(self.received) > seen:
                return False
            if tick is not None and now >= next_tick:
                tick(now - started)
                next_tick = now + every
            time.sleep(min(0.05, max(0.0, until - now)))
        return True

    def supervise(
        self,
        limit: float | None,
        grace: float,
        *,
        leader_only: bool = False,
        tick: Callable[[float], None] | None = None,
        every: float = 5.0,
        forward: int | None = None,
    ) -> Outcome:
        """Wait for the started processes within ``limit`` seconds; a signal to the harness or the limit stops them.

        Stopping forwards the signal (SIGTERM at the limit; ``forward`` whichever came) to the group, or to its
        first process with ``leader_only`` (a Locust master, which stops its workers itself; what it leaves behind
        gets the signal a few seconds after it ended), waits ``grace`` seconds, then kills the group; a second
        signal kills at once. ``tick(seconds so far)`` runs every ``every`` seconds meanwhile.
        """
        until = time.monotonic() + limit if limit is not None else math.inf
        timed_out = False
        # a signal may have come in while the processes were being started
        if self.received or not self._wait(self.procs, until, tick, every):
            timed_out = not self.received
            signum = self.received[-1] if self.received else signal.SIGTERM
            self._stop(forward or signum, grace, leader_only)
        codes = [p.wait() for p in self.procs]
        return Outcome(codes, self.received[0] if self.received else None, timed_out)

    def _stop(self, signum: int, grace: float, leader_only: bool) -> None:
        """Send ``signum``, wait up to ``grace`` seconds, kill what is left (at once on another signal)."""
        signals = len(self.received)
        self.signal(signum, leader_only)
        until = time.monotonic() + grace
        if leader_only:
            if self._wait(self.procs[:1], until) and self._wait(self.procs, min(until, time.monotonic() + LEFT_BEHIND)):
                return
            if len(self.received) == signals:
                self.signal(signum)
        if len(self.received) > signals or not self._wait(self.procs, until):
            self.kill()

    def __enter__(self) -> ProcessGroup:
        self._handlers.enter_context(_forwarding(self.received))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        # the processes this one started have ended (or an error left them): what they started goes too
        if self.alive() or any(p.poll() is None for p in self.procs):
            self.kill()
        self._handlers.close()


@contextlib.contextmanager
def _forwarding(received: list[int]) -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT to this process are recorded in ``received`` instead of ending it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def record(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    before = {signum: signal.signal(signum, record) for signum in FORWARDED}
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def deadline_after(seconds: float, margin: float) -> int:
    """The ``HARNESS_DEADLINE`` of a child the harness will stop after ``seconds``: epoch seconds, ``margin`` later.

    The margin lets the harness, while it lives, stop its child first (with its message and report).
    """
    return math.ceil(time.time() + seconds + margin)


def arm_hard_stop(deadline: int | None, after: float = 0.0) -> bool:
    """Have the kernel end this process at ``deadline`` (epoch seconds) plus ``after``, whatever it is doing.

    SIGALRM with its default action: nothing in the process can catch, block or forget it. Only the main
    thread can set it (False elsewhere, and without a deadline).
    """
    if deadline is None or threading.current_thread() is not threading.main_thread():
        return False
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(max(1, math.ceil(deadline + after - time.time())))
    return True


def die_with_parent() -> None:
    """For ``preexec_fn``: the child gets SIGKILL when the thread that started it ends (Linux; else nothing).

    A server started in a session of its own (a terminal's Ctrl-C must not kill it before the harness stops
    it) would otherwise outlive a harness that is killed. It is the starting *thread* that counts: start such
    a server from a thread that lives as long as the server should (the harness starts them from the main one).
    """
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def signal_when_orphaned(signum: int, parent: int) -> None:
    """For ``preexec_fn``: the child gets ``signum`` when the thread that started it ends (Linux; else nothing).

    ``parent`` is the starting process's pid: one that ended before the child could ask is signalled at once.
    """
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signum)
        if os.getppid() != parent:
            os.kill(os.getpid(), signum)


def _load_prctl() -> Callable[[int, int], int] | None:
    # looked up once here: the child between fork and exec must not load anything
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl: Callable[[int, int], int] = libc.prctl
    except (OSError, AttributeError):
        return None
    return prctl


_prctl = _load_prctl()
