"""A signal whose handler raises (a second SIGTERM, the last call, a test's deadline) is not lost in a garbage
collection, where Python prints an exception as "Exception ignored in: ..." and drops it."""

from __future__ import annotations

import gc
import signal
import sys
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from h2oharness.pytest_plugin.deadlines import _Expired, alarm
from h2oharness.pytest_plugin.stopping import Stopping

#: a guard against the signal never coming again, not a measure: it comes back within milliseconds
GUARD = 10.0


@contextmanager
def _ignored(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """What Python prints as "Exception ignored in: ..." and drops, recorded instead."""
    seen: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    yield seen


class _Node:
    def __init__(self) -> None:
        self.me = self


#: where in a garbage collection the signal comes: a gc callback (hypothesis has one), a weakref callback it calls
WHERE = ("gc callback", "weakref callback")


def _collect_with_the_signal_inside(where: str, signum: int) -> None:
    """A garbage collection during which ``signum`` arrives, in ``where``, then a wait for what the handler raises."""
    sent: list[int] = []

    def callback(*args: Any) -> None:
        if not sent:
            sent.append(signum)
            signal.raise_signal(signum)  # its handler runs here, inside the callback

    if where == "gc callback":
        gc.callbacks.append(callback)
    cycle = _Node()
    watch = weakref.ref(cycle, callback if where == "weakref callback" else None)
    del cycle
    try:
        gc.collect()
    finally:
        if callback in gc.callbacks:
            gc.callbacks.remove(callback)
    assert (watch(), sent) == (None, [signum])
    until = time.monotonic() + GUARD
    while time.monotonic() < until:
        time.sleep(0.01)


@pytest.mark.parametrize("where", WHERE)
def test_a_tests_deadline_that_comes_inside_a_collection_still_ends_it(
    monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # raised in the callback, the alarm was printed as "Exception ignored in: ... gc_callback" and the test ran on
    with _ignored(monkeypatch) as ignored, pytest.raises(_Expired), alarm(600):
        _collect_with_the_signal_inside(where, signal.SIGALRM)
    assert ignored == []


@pytest.mark.parametrize("where", WHERE)
def test_a_second_signal_that_comes_inside_a_collection_still_interrupts(
    monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # H2O-3 runs printed "Exception ignored in: ... gc_callback ... KeyboardInterrupt", and were not interrupted
    stopping = Stopping(None, controller=True)
    stopping.session = SimpleNamespace(shouldstop="stopped by SIGTERM")  # type: ignore[assignment]  # the first one
    before = signal.signal(signal.SIGUSR1, stopping._terminate)
    try:
        with _ignored(monkeypatch) as ignored, pytest.raises(KeyboardInterrupt):
            _collect_with_the_signal_inside(where, signal.SIGUSR1)
    finally:
        signal.signal(signal.SIGUSR1, before)
    assert ignored == []
