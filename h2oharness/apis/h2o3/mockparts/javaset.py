"""The order a ``java.util.HashSet`` of strings lists its members in, as H2O-3 prints some sets in its messages."""

from __future__ import annotations

from collections.abc import Sequence


def string_hash(text: str) -> int:
    """Java's ``String.hashCode`` (over UTF-16 code units), as an unsigned 32-bit number."""
    data = text.encode("utf-16-be")
    h = 0
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i : i + 2], "big")) & 0xFFFFFFFF
    return h


def _capacity(initial: int, size: int) -> int:
    """The table size of a ``new HashSet<>(initial)`` after ``size`` additions (HashMap's resizing)."""
    capacity = 1
    while capacity < initial:
        capacity *= 2
    threshold = int(capacity * 0.75)
    for count in range(1, size + 1):
        if count > threshold:
            old = capacity
            capacity *= 2
            threshold = threshold * 2 if old >= 16 else int(capacity * 0.75)
    return capacity


def hash_set_order(names: Sequence[str], initial: int | None = None) -> list[str]:
    """``names`` (distinct, in the order added) as a ``new HashSet<>(initial)`` iterates them: by bucket, each
    bucket in the order added. ``initial`` defaults to the number of names."""
    capacity = _capacity(len(names) if initial is None else initial, len(names))

    def bucket(name: str) -> int:
        h = string_hash(name)
        return (h ^ (h >> 16)) & (capacity - 1)

    return [name for _, _, name in sorted((bucket(n), i, n) for i, n in enumerate(names))]
