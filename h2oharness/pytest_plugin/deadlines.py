"""Deadlines for a test and for the whole run: a test past either fails with a named message; the run then stops.

A test's deadline is a SIGALRM timer on the main thread (where pytest, and each xdist worker, runs its tests).
The alarm raises a BaseException, which hypothesis does not catch and replay; it becomes a ``DeadlineExceeded``
(a contract violation: the target made the test overrun) once out of the test, and so does whatever a library
raised once the alarm went off (hypothesis, cut short inside a stateful flow, raises FlakyStrategyDefinition, not
always while it handles the alarm: it may have caught it and raise later).
The run's deadline stops the session after the test it cut short, so the report is still written, with what ran.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Generator, Iterator
from types import FrameType

import pytest

from h2oharness.errors import DeadlineExceeded
from h2oharness.pytest_plugin.options import SETTINGS
from h2oharness.pytest_plugin.stopping import postponed_in_gc

#: when the run must end (time.monotonic), set when the session starts
RUN_ENDS = pytest.StashKey[float | None]()


class _Expired(BaseException):
    """The alarm went off; a BaseException so that no ``except Exception`` on the way swallows it."""


@contextlib.contextmanager
def alarm(seconds: float | None) -> Iterator[list[float]]:
    """Raise ``_Expired`` in this thread after ``seconds`` (nothing off the main thread or without a limit); yields
    a list that holds the time the alarm went off, once it has."""
    fired: list[float] = []
    if seconds is None or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield fired
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        if postponed_in_gc(signum, frame):
            return
        fired.append(time.monotonic())
        raise _Expired

    # one timer per process: an alarm set before (the run's --max-time, a worker's hard stop) must outlive this one
    outer, _ = signal.getitimer(signal.ITIMER_REAL)
    if outer and outer <= seconds:
        yield fired  # it comes first, with its own handler, and ends more than this test
        return
    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 0.001))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Start the run's clock."""
    limit = session.config.stash[SETTINGS].run_deadline
    session.config.stash[RUN_ENDS] = time.monotonic() + limit if limit else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Run the test under its deadline and what is left of the run's; past either, fail it by name."""
    settings = item.config.stash[SETTINGS]
    run_ends = item.config.stash.get(RUN_ENDS, None)
    left = None if run_ends is None else run_ends - time.monotonic()
    limits = [s for s in (settings.test_deadline, left) if s is not None]
    seconds = min(limits) if limits else None
    run_first = left is not None and (settings.test_deadline is None or left < settings.test_deadline)
    if left is not None and left <= 0:
        item.session.shouldstop = f"the run's deadline of {settings.run_deadline:g} s passed"
        raise DeadlineExceeded(f"{item.nodeid}: not run, the run's deadline of {settings.run_deadline:g} s passed")
    fired: list[float] = []
    try:
        with alarm(seconds) as fired:
            return (yield)
    except BaseException as exc:
        if not fired and not _interrupted_by_alarm(exc):
            raise
        if run_first:
            item.session.shouldstop = f"the run's deadline of {settings.run_deadline:g} s passed"
            what = f"the run's deadline of {settings.run_deadline:g} s passed while it ran"
        else:
            what = f"did not finish within its deadline of {seconds:g} s"
        raise DeadlineExceeded(f"{item.nodeid}: {what}") from None


def _interrupted_by_alarm(exc: BaseException) -> bool:
    """Whether ``exc`` is the alarm, or was raised while the alarm was being handled (its context holds it)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, _Expired):
            return True
        seen.add(id(current))
        current = current.__context__ or current.__cause__
    return False
