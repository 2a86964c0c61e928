"""The class a real H2O-3 predicts when classes tie for the highest probability (more than two classes).

H2O-3 (GenModel.getPrediction) hashes the row's predictor values (the XOR of each double's raw bits shifted right
by 6), seeds a ``java.util.Random`` with that hash, and draws among the tied classes in proportion to their share
of the training rows. A real 3.46.0.12 predicts so for every row of a GBM of no trees on 3 classes, whose
probabilities are all equal.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

_MULTIPLIER = 0x5DEECE66D
_MASK = (1 << 48) - 1


class JavaRandom:
    """``java.util.Random``: the 48-bit linear congruential generator, enough of it for ``nextDouble``."""

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ _MULTIPLIER) & _MASK

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * _MULTIPLIER + 0xB) & _MASK
        return self._seed >> (48 - bits)  # below 2**31 for bits < 32: Java's int cast keeps it

    def next_double(self) -> float:
        """A double in [0, 1), as Java draws it from 53 random bits."""
        return ((self._next(26) << 27) + self._next(27)) * 2.0**-53


def _raw_bits(value: float) -> int:
    """Java's ``Double.doubleToRawLongBits`` (a signed long); every NaN as Java's own NaN."""
    packed = struct.pack(">d", math.nan if math.isnan(value) else value)
    signed: int = struct.unpack(">q", packed)[0]
    return signed


def row_hash(values: Sequence[float]) -> int:
    """The row's hash: the XOR of each value's raw bits shifted right (arithmetically) by 6."""
    out = 0
    for v in values:
        out ^= _raw_bits(v) >> 6
    return out


def label(probs: Sequence[float], priors: Sequence[float] | None, row: Sequence[float]) -> int:
    """The predicted class of one row: the most likely one, a tie broken as a real server breaks it."""
    # the tied classes, as H2O-3 collects them: class 0 stays listed even when a later class beats it
    ties = [0]
    best, tied = 0, 0
    for c in range(1, len(probs)):
        if probs[best] < probs[c]:
            best, tied = c, 0
        elif probs[best] == probs[c]:
            tied += 1
            ties.append(c)
    if tied == 0:
        return best
    seed = row_hash(row)
    if priors is not None:
        whole = math.fsum(priors[i] for i in ties)
        draw = JavaRandom(seed).next_double()
        so_far = 0.0
        for i in ties:
            so_far += priors[i] / whole if whole else 0.0
            if draw <= so_far:
                return i
    # without priors: the n-th of the tied best, n from the hash (Java's int cast and remainder)
    low = seed & 0xFFFFFFFF
    low = low - (1 << 32) if low >= 1 << 31 else low
    n = int(math.fmod(low, tied + 1))
    for c, p in enumerate(probs):
        if p == probs[best]:
            n -= 1
            if n < 0:
                return c
    return best
