"""What a mock received: one RecordedRequest a request, in a bounded, thread-safe log the tests read."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl


@dataclass(frozen=True)
class RecordedRequest:
    """One request a mock received, without its credentials (``authorized`` says only whether they were good)."""

    method: str
    #: the path the mock routed on (decoded, without a served prefix)
    path: str
    status: int
    #: the path as it came on the wire, percent-encoding and all
    raw_path: str = ""
    query_string: str = ""
    content_type: str = ""
    user_agent: str = ""
    body_size: int = 0
    #: the body as JSON when the mock read it as JSON, else None
    json: Any = None
    #: the fields of a form-encoded body the mock read
    form: dict[str, str] = field(default_factory=dict)
    authorized: bool = False

    @property
    def query(self) -> dict[str, str]:
        """The query parameters, the last value of a repeated one winning."""
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    @property
    def query_lists(self) -> dict[str, list[str]]:
        """The query parameters with every value of a repeated one."""
        return parse_qs(self.query_string, keep_blank_values=True)


class RequestLog:
    """The last ``cap`` requests of a mock, oldest first; safe to append to from the server's threads."""

    def __init__(self, cap: int = 1_000) -> None:
        self._entries: deque[RecordedRequest] = deque(maxlen=cap)
        self._lock = threading.Lock()

    @property
    def cap(self) -> int:
        """How many requests the log keeps at most."""
        return self._entries.maxlen or 0

    def append(self, entry: RecordedRequest) -> None:
        """Add a request, dropping the oldest once the log is full."""
        with self._lock:
            self._entries.append(entry)

    def matching(self, method: str | None = None, path_prefix: str = "") -> list[RecordedRequest]:
        """The logged requests, optionally only those of one method and under a path prefix."""
        with self._lock:
            return [
                r
                for r in self._entries
                if (method is None or r.method == method.upper()) and r.path.startswith(path_prefix)
            ]

    def clear(self) -> None:
        """Forget every logged request."""
        with self._lock:
            self._entries.clear()

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.matching())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __repr__(self) -> str:
        return f"RequestLog({self.matching()!r})"
