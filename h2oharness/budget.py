"""The time-budgeted sweep's pure parts: the budget's clock, the rounds' plans and the allocation rule.

A budgeted sweep (``run --budget 30m``) keeps generating until the budget is spent. Its
first round is the ordinary sweep (every test once: schemathesis's examples, coverage
and fuzzing phases, real keys, the stateful flow). Each later round gives every
operation fresh fuzzing cases under a new seed, in the generation modes of that round
(:func:`round_modes`), as many as :func:`allocate` gives it out of :func:`round_total`.
The pytest side (h2oharness/pytest_plugin/budgeted.py) runs the rounds; nothing here
does I/O, so the rule is tested with synthetic yields.

Example:
    >>> stats = {"GET /a": ArmStats(cases=40, new=2.0), "GET /b": ArmStats(cases=40, new=0.0)}
    >>> allocate(stats, 100)
    {'GET /a': 69, 'GET /b': 31}
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from h2oharness.errors import ConfigError

__all__ = [
    "DECAY",
    "FLOOR_SHARE",
    "ArmStats",
    "Budget",
    "BudgetSpent",
    "allocate",
    "parse_budget",
    "round_modes",
    "round_seed",
    "round_total",
]

#: the share of every round's cases spread evenly over all operations, whatever they yielded
FLOOR_SHARE = 0.25
#: how much of an operation's past yield a round keeps: older finds count less, an exhausted operation fades
DECAY = 0.5
#: the optimism of an operation with no history: as if it had found one new defect in this many cases
PRIOR_CASES = 20.0
#: cases per operation in the first budgeted round, growing by GROWTH per round up to CAP
FIRST_ROUND = 10
GROWTH = 1.5
CAP = 100


class BudgetSpent(BaseException):
    """The budget is spent: ends the running test at once, unsent.

    A BaseException on purpose, as ``ServerCrash``: hypothesis neither catches nor replays it.
    """


def parse_budget(text: str, option: str = "a budget") -> float:
    """Seconds from ``"90s"``, ``"30m"``, ``"1h"``, ``"1m30s"`` or plain seconds; ConfigError otherwise, saying
    ``option`` (``"--budget must be a positive duration"``)."""
    from h2oharness.loadrunner import parse_duration

    seconds = parse_duration(text)
    if not seconds > 0:
        raise ConfigError(f"{option} must be a positive duration, got {text!r}")
    return seconds


@dataclass
class Budget:
    """A sweep's time budget on the monotonic clock, started when made."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def spent(self) -> float:
        """Seconds since the budget started."""
        return self.clock() - self.started

    def left(self) -> float:
        """Seconds left, 0 once spent."""
        return max(0.0, self.seconds - self.spent())

    def expired(self) -> bool:
        """Whether the budget is spent."""
        return self.left() <= 0


@dataclass
class ArmStats:
    """What one operation (an arm of the bandit) yielded: cases sent and new distinct defects, both decayed."""

    cases: float = 0.0
    new: float = 0.0
    #: every new distinct defect it found, undecayed (for the report and progress)
    found: int = 0

    def add(self, cases: int, new: int) -> None:
        """Count one run of the operation's test: the cases it sent and the defects no one had found before."""
        self.cases += cases
        self.new += new
        self.found += new

    def decay(self, factor: float = DECAY) -> None:
        """Age the history by one round."""
        self.cases *= factor
        self.new *= factor

    def rate(self) -> float:
        """New distinct defects per case, with an optimistic prior: one in ``PRIOR_CASES`` for the untried."""
        return (self.new + 1.0) / (self.cases + PRIOR_CASES)


def round_total(round_number: int, operations: int) -> int:
    """Cases for a whole round: ``FIRST_ROUND`` per operation in round 1, growing by ``GROWTH`` up to ``CAP``."""
    per = min(CAP, round(FIRST_ROUND * GROWTH ** max(0, round_number - 1)))
    return per * max(1, operations)


def allocate(stats: Mapping[str, ArmStats], total: int, floor_share: float = FLOOR_SHARE) -> dict[str, int]:
    """Share ``total`` cases among the operations of ``stats`` for the next round.

    The rule: ``floor_share`` of the total is spread evenly (every operation gets at least one case, so none is
    starved and a late bug can still be found); the rest goes in proportion to each operation's
    :meth:`ArmStats.rate`, new distinct defects per case sent, decayed by ``DECAY`` a round and smoothed by an
    optimistic prior. An operation that found a new defect recently gets more cases; one that only repeats
    known defects falls back to about its floor. Integer shares by largest remainder, ties by name, so the
    allocation is a pure function of its input.
    """
    names = sorted(stats)
    if not names or total <= 0:
        return {}
    floor = max(1.0, floor_share * total / len(names))
    rest = max(0.0, total - floor * len(names))
    rates = {name: stats[name].rate() for name in names}
    weight = sum(rates.values())
    exact = {name: floor + (rest * rates[name] / weight if weight > 0 else rest / len(names)) for name in names}
    shares = {name: int(value) for name, value in exact.items()}
    left = max(0, round(sum(exact.values())) - sum(shares.values()))
    for name in sorted(names, key=lambda n: (-(exact[n] - shares[n]), n))[:left]:
        shares[name] += 1
    return shares


def round_modes(round_number: int) -> tuple[str, ...]:
    """Schemathesis generation modes of a budgeted round: negative, positive, then both, in turn."""
    return (("negative",), ("positive",), ("positive", "negative"))[(round_number - 1) % 3]


def round_seed(base: int | None, round_number: int, operation: str) -> int:
    """A fresh, reproducible hypothesis seed for one operation in one round (the same for the same base seed)."""
    text = f"{base}:{round_number}:{operation}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
