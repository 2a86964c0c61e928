"""Sums and squares that overflow as Java's doubles do, to Infinity or NaN, never to an exception.

``math.fsum`` raises OverflowError where its exact sum passes the largest double, and ValueError on -inf + inf;
``x ** 2`` raises OverflowError past 1e154. A real H2O-3 trains on such data and answers NaN metrics: a mock that
raised failed the job as its own bug.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal


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


def java_string(value: float) -> str:
    """Java's ``Double.toString``: ``20.0``, ``16.5``, ``1.0E7``, ``1.5E-4``, ``NaN``, ``-Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)  # Python's shortest repr is fixed-point in this range, as Java's is
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    shown = "".join(map(str, digits)).rstrip("0") or "0"
    power = int(exponent) + len(digits) - 1
    return f"{'-' if sign else ''}{shown[0]}.{shown[1:] or '0'}E{power}"
