"""What every mock's state holds besides its API's objects: a lock, the request log and the mock's own bugs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from h2oharness.mocks.faults import FaultPlan
from h2oharness.mocks.requestlog import RecordedRequest, RequestLog


@dataclass
class MockState:
    """The base of each API's state: handlers change it under ``lock``; tests read ``requests`` and ``internal_errors``.

    Example:
        @dataclass
        class ThingsMockState(MockState):
            things: dict[str, Thing] = field(default_factory=dict)
    """

    max_recorded_requests: int = 1_000
    #: the largest request body the mock reads (1 GiB): past it the answer is 413, the body unread and not held
    max_body_bytes: int = 1 << 30
    #: requests the mock failed on itself (a mock bug), answered with a 4xx and kept here for tests to see
    internal_errors: list[str] = field(default_factory=list)
    #: the faults this mock injects on its own (a run's plan); the X-Harness-Fault header adds more per request
    faults: FaultPlan = field(default_factory=FaultPlan, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    requests: RequestLog = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.requests = RequestLog(self.max_recorded_requests)

    def record(self, entry: RecordedRequest) -> None:
        """Append to the bounded request log."""
        self.requests.append(entry)

    def recorded(self, method: str | None = None, path_prefix: str = "") -> list[RecordedRequest]:
        """The logged requests, optionally only one method and under a path prefix (the path routed on)."""
        return self.requests.matching(method, path_prefix)
