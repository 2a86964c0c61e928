"""Sums and squares that overflow as Java's doubles do, to Infinity or NaN, never to an exception.

``math.fsum`` raises OverflowError where its exact sum passes the largest double, and ValueError on -inf + inf;
``x ** 2`` raises OverflowError past 1e154. A real H2O-3 trains on such data and answers NaN metrics: a mock that
raised failed the job as its own bug.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def fsum(values: Iterable[float]) -> float:
    """``math.fsum``'s correctly rounded sum; where it overflows, the doubles' own left-to-right sum.

    Give it a list (or tuple): an iterator is copied into one first, to be summed again, which on a hot path
    costs twice ``math.fsum`` of a generator.
    """
    items = values if isinstance(values, (list, tuple)) else list(values)
    try:
        return math.fsum(items)
    except (OverflowError, ValueError):
        total = 0.0
        for value in items:
            total += value
        return total


def square(x: float) -> float:
    """``x * x``: Infinity past the largest double, as ``x ** 2`` is not."""
    return x * x


def stdev(values: list[float]) -> float:
    """The sample standard deviation in doubles (``statistics.stdev`` works in fractions and fails on Infinity)."""
    mean = fsum(values) / len(values)
    return math.sqrt(fsum([square(v - mean) for v in values]) / (len(values) - 1))
