"""Why a load run's requests, jobs and streams failed: each entry's failures folded by reason, with counts and when.

Locust keeps one row per distinct error text, and an error that names the job or frame it failed on is a row of
its own (thousands in a run against a target that went away), written to ``locust_failures.csv`` once a second, so
its last second can be missing. The harness's own record (:class:`h2oharness.report.loadsummary.Outcomes`) folds
the failures as they happen instead: the ids, names and timings in an error's text are left out of its reason, so
the thousand refused polls of a thousand jobs are one line with a count, the first and last time it was seen, and
the first error of it word for word.

Example::

    reasons = Reasons()
    reasons.add("GET /3/Jobs/{job_id}", ConnectionRefusedError(111, "Connection refused"), at=1700000000.0)
    reasons.top(3)[0].count   # 1
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

#: distinct reasons a record keeps; the failures of any further one are counted under OTHER
MAX_REASONS = 200
OTHER = "(other reasons: more distinct ones than the record keeps)"
#: characters of an error kept as its example
EXAMPLE_CHARS = 300
#: an id, a generated name or a key in an error's text: a word of 6 characters or more with a digit in it
_VOLATILE = re.compile(r"(?<![\w$-])(?=[\w$-]*\d)[\w$-]{6,}")
#: a duration or a measured figure ("after 3.21 s")
_DECIMAL = re.compile(r"\b\d+\.\d+\b")
#: Locust's wrapper of what a request's ``failure()`` was given
_CAUGHT = "CatchResponseError"


def message_of(exc: BaseException | str) -> str:
    """What failed, as a reader wants it: ``Type: message`` (a failure a check declared is its message alone)."""
    if isinstance(exc, str):
        return " ".join(exc.split())
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    if name == _CAUGHT:
        return text or name
    return f"{name}: {text}" if text else name


def reason_of(message: str) -> str:
    """``message`` with what changes from one failure to the next (ids, names, timings) left out."""
    return _DECIMAL.sub("#", _VOLATILE.sub("…", message))


@dataclass(frozen=True)
class FailureReason:
    """One entry's failures of one reason: how many, when first and last (epoch seconds), and the first's text."""

    entry: str
    reason: str
    count: int
    first: float
    last: float
    example: str

    @property
    def line(self) -> str:
        """One line for a terminal: ``12× POST /3/PostFile: ConnectError: ... (07:00:01-07:00:05 UTC)``."""
        span = _clock(self.first) if self.first == self.last else f"{_clock(self.first)}-{_clock(self.last)}"
        return f"{self.count}× {self.entry}: {self.example} ({span} UTC)"

    def to_dict(self) -> dict[str, Any]:
        """The ``load.json`` layout: the fields, and the first and last time in ISO 8601."""
        return {**asdict(self), "first_seen": _iso(self.first), "last_seen": _iso(self.last)}


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


class Reasons:
    """Failures folded by entry and reason, in one process or merged from several (a distributed run's workers)."""

    def __init__(self) -> None:
        # (entry, reason) -> [count, first, last, example]
        self._seen: dict[tuple[str, str], list[Any]] = {}

    def add(self, entry: str, exc: BaseException | str, at: float) -> None:
        """Count one failure of ``entry`` (``"GET /3/Jobs/{job_id}"``) that ``exc`` says, seen at ``at`` (epoch)."""
        message = message_of(exc)
        self._count(entry, reason_of(message), 1, at, at, message[:EXAMPLE_CHARS])

    def _count(self, entry: str, reason: str, count: int, first: float, last: float, example: str) -> None:
        key = (entry, reason)
        if key not in self._seen and len(self._seen) >= MAX_REASONS:
            key, example = (entry, OTHER), OTHER
        held = self._seen.get(key)
        if held is None:
            self._seen[key] = [count, first, last, example]
            return
        held[0] += count
        if first < held[1]:
            held[1], held[3] = first, example
        held[2] = max(held[2], last)

    def top(self, limit: int | None = None) -> list[FailureReason]:
        """The reasons, the most frequent first (then the earliest), at most ``limit``."""
        reasons = [FailureReason(e, r, n, first, last, ex) for (e, r), (n, first, last, ex) in self._seen.items()]
        reasons.sort(key=lambda r: (-r.count, r.first, r.entry))
        return reasons[:limit] if limit is not None else reasons

    def to_list(self) -> list[list[Any]]:
        """A JSON-serialisable copy: ``[entry, reason, count, first, last, example]`` each."""
        return [[e, r, *held] for (e, r), held in self._seen.items()]

    def merge(self, raw: list[Any] | None) -> None:
        """Add a :meth:`to_list` (another process's)."""
        for entry, reason, count, first, last, example in raw or []:
            self._count(str(entry), str(reason), int(count), float(first), float(last), str(example))
