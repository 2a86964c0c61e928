"""Ending a run early with its report: a signal or the deadline stops the session after the running test.

Armed when the harness runs pytest (``--harness-report-dir``). ``h2oharness run`` forwards a SIGTERM or SIGINT to
pytest's whole process group (the controller and its xdist workers): each finishes the test it is running and ends
its session, so the tests done so far are reported; a second signal interrupts at once, and so does the controller
after ``LAST_CALL`` seconds, unless every test's outcome is in by then (the report and xdist's bounded wait for its
workers are left ``HARD_STOP_AFTER`` seconds). A KeyboardInterrupt raised into a running test at once (Ctrl-C's way)
can be swallowed by the libraries under it and leave the session hung. With ``HARNESS_DEADLINE`` (``run
--max-time``), the controller sends that SIGTERM itself at the deadline, and the kernel ends every process a while
later if that did not work: the deadline holds even when the harness is gone. A harness killed outright (SIGKILL,
the OOM killer) has the kernel send the controller ``ORPHANED``, on which it stops its group as the harness would
have. A handler that would raise during a garbage collection, where Python prints the exception ("Exception ignored
in: ... gc_callback") and drops it, has its signal come again a moment later instead (``postponed_in_gc``); a test's
deadline too.
"""

from __future__ import annotations

import _thread
import gc
import os
import signal
import threading
import time
from types import FrameType
from typing import Any

import pytest

from h2oharness.children import ORPHANED, arm_hard_stop
from h2oharness.folders import CLAIMED_BY

#: seconds the controller, once stopping, waits for the running tests before it ends the session itself
LAST_CALL = 15.0
#: seconds after that at which the kernel ends the process, report written or not
HARD_STOP_AFTER = 15.0


#: seconds after which a signal that came during a garbage collection is handled again
_AGAIN_AFTER = 0.005


class _Collecting:
    """Whether a garbage collection is under way: the weakref callbacks and finalizers it runs drop exceptions too."""

    now = False

    @classmethod
    def callback(cls, phase: str, info: dict[str, int]) -> None:
        cls.now = phase == "start"


if _Collecting.callback not in gc.callbacks:
    gc.callbacks.append(_Collecting.callback)


def postponed_in_gc(signum: int, frame: FrameType | None) -> bool:
    """Whether a handler must not raise now: a garbage collection runs (``frame`` in a gc callback, hypothesis has
    one, or a weakref callback it calls), where the exception would be printed as "Exception ignored in: ..." and
    lost. The signal then comes again a moment later, to the same handler (to none once it was replaced).
    """
    codes = {getattr(getattr(callback, "__func__", callback), "__code__", None) for callback in gc.callbacks}
    while frame is not None and frame.f_code not in codes:
        frame = frame.f_back
    if frame is None and not _Collecting.now:
        return False
    handler = signal.getsignal(signum)

    def again() -> None:
        if signal.getsignal(signum) == handler:
            _thread.interrupt_main(signal.Signals(signum))

    # from another thread: tripped here, the signal would be handled at once, inside the callback still
    later = threading.Timer(_AGAIN_AFTER, again)
    later.daemon = True
    later.start()
    return True


class Stopping:
    """The signal handlers of one session (controller or worker); the ones before are back when it ends."""

    def __init__(self, deadline: int | None, controller: bool) -> None:
        self.deadline = deadline
        self.controller = controller
        self.before: dict[int, Any] = {}
        self.session: pytest.Session | None = None
        self.collected = False
        self.pending = ""
        #: why the session was told to stop before its end ("stopped by SIGINT"), for the report
        self.stopped = ""
        #: whether the test loop has ended: no test is left to cut short
        self.loop_over = False

    def _install(self, signum: int, handler: Any) -> None:
        self.before.setdefault(signum, signal.getsignal(signum))
        signal.signal(signum, handler)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """SIGTERM or SIGINT from now on: stop after the running test (a second one: at once, as Ctrl-C does)."""
        if threading.current_thread() is not threading.main_thread():
            return
        self.session = session
        self._install(signal.SIGTERM, self._terminate)
        self._install(signal.SIGINT, self._terminate)
        if self.controller and os.environ.get(CLAIMED_BY):
            # h2oharness run has this come should it be killed outright: the stop it can no longer forward
            self._install(ORPHANED, self._stop_group)
        if self.deadline is None:
            return
        if self.controller:
            self._install(signal.SIGALRM, self._stop_group)
            signal.alarm(max(1, int(self.deadline - time.time() + 0.999)))
        else:
            # a worker is stopped by the controller's SIGTERM at the deadline; it must only never outlive it
            self.before.setdefault(signal.SIGALRM, signal.getsignal(signal.SIGALRM))
            arm_hard_stop(self.deadline, LAST_CALL + HARD_STOP_AFTER)

    def _terminate(self, signum: int, frame: FrameType | None) -> None:
        if self.session is None or self.session.shouldstop or self.pending:
            if postponed_in_gc(signum, frame):
                return
            raise KeyboardInterrupt
        reason = f"stopped by {signal.Signals(signum).name}"
        self.stopped = reason
        if not self.controller and not self.collected:
            # a collection that shouldstop cuts short ends the session as a Ctrl-C does, which xdist takes for a
            # crashed worker and replaces: the worker collects, then stops after its first test
            self.pending = reason
            return
        self.session.shouldstop = reason
        if self.controller:
            # a test may run for long (or a worker still collect): the report of what is done comes first
            self._install(signal.SIGALRM, self._last_call)
            signal.alarm(int(LAST_CALL) if self._tests_may_run() else 1)

    def _tests_may_run(self) -> bool:
        """Whether a test may be running, whose outcome the last call waits for: not before the collection has
        ended (under xdist, before a worker has collected: its workers each collect every test, which took 30 s and
        more with a 2 MB ``--spec``, and then run one test before they stop). The report of none is due at once."""
        if self.session is None:
            return True
        if not getattr(self.session.config.option, "numprocesses", None):
            return self.collected
        collector = self.session.config.pluginmanager.get_plugin("h2oharness-report")
        return collector is None or bool(getattr(collector, "total", 0))

    def _last_call(self, signum: int, frame: FrameType | None) -> None:
        if postponed_in_gc(signum, frame):
            return
        arm_hard_stop(int(time.time()), HARD_STOP_AFTER)
        collector = self.session.config.pluginmanager.get_plugin("h2oharness-report") if self.session else None
        if self.loop_over and not getattr(collector, "replaying", False):
            # raised into xdist's wait for its workers to end, it was a traceback, and the report was never written
            return
        raise KeyboardInterrupt

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """No test is left to cut short: a stop during the collection ends the session without the test loop."""
        self.loop_over = True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Any:
        try:
            return (yield)
        finally:
            self.loop_over = True

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """A stop that came during the collection takes effect now."""
        self.collected = True
        if self.pending:
            session.shouldstop = self.pending

    def _stop_group(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM, as the harness sends it: to the whole group when pytest leads one, so the xdist workers stop too."""
        if os.getpgrp() == os.getpid():
            os.killpg(os.getpgrp(), signal.SIGTERM)
        else:
            os.kill(os.getpid(), signal.SIGTERM)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Disarm: pytest may go on in this process (pytester's in-process sessions)."""
        if signal.SIGALRM in self.before:
            signal.alarm(0)
        for signum, handler in self.before.items():
            if handler is not None:  # None: set outside Python, which cannot be put back
                signal.signal(signum, handler)
        self.before.clear()
