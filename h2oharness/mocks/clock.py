"""Clocks for mocks: real time when served, hand-driven time in tests."""

from __future__ import annotations

import threading
import time
from typing import Protocol

from h2oharness.errors import ConfigError

#: the fastest a served mock's clock may run. Its dates must stay below year 9999: at 10**12 every answer that
#: carries a date was an OverflowError within seconds (HTTP 500 from H2O-3's mock, 400 from h2oGPTe's); at this
#: speed a mock served for 290 days still tells dates Python can write
MAX_SPEED = 10_000.0


def check_speed(speed: float, option: str) -> None:
    """ConfigError naming ``option`` unless ``speed`` is above 0 and at most MAX_SPEED."""
    if not 0 < speed <= MAX_SPEED:
        # nan fails both comparisons; 0 is a stopped clock, which never ends a job
        raise ConfigError(
            f"{option} must be above 0 (a stopped clock never ends a job) and at most {MAX_SPEED:g} (the mock's dates "
            f"would pass year 9999), got {speed:g}"
        )


class Clock(Protocol):
    """Anything that tells the time in seconds, monotonically."""

    def now(self) -> float:
        """Return the current time in seconds."""
        ...


class MonotonicClock:
    """Wall time from ``time.monotonic``, optionally sped up by ``speed``."""

    def __init__(self, speed: float = 1.0) -> None:
        self._origin = time.monotonic()
        self._speed = speed

    def now(self) -> float:
        """Return seconds since this clock was made, scaled by its speed."""
        return (time.monotonic() - self._origin) * self._speed


class ManualClock:
    """A clock that only moves when told to; makes job lifecycles deterministic in tests.

    Example:
        clock = ManualClock()
        state = MockState(clock=clock)
        clock.advance(5.0)   # every job scheduled within 5 s has now finished
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        """Return the current hand-set time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += seconds
