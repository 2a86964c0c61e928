"""The bounded, thread-safe request log and the base state that holds it."""

from __future__ import annotations

import threading

from h2oharness.mocks.requestlog import RecordedRequest, RequestLog
from h2oharness.mocks.state import MockState


def _entry(n: int, method: str = "GET", path: str = "/x") -> RecordedRequest:
    return RecordedRequest(method=method, path=f"{path}/{n}", status=200, query_string=f"n={n}&n={n + 1}&e=")


def test_the_log_keeps_only_the_newest_cap_entries() -> None:
    log = RequestLog(cap=3)
    for n in range(5):
        log.append(_entry(n))
    assert len(log) == 3
    assert [r.path for r in log] == ["/x/2", "/x/3", "/x/4"]
    assert log.cap == 3


def test_matching_filters_by_method_and_path_prefix() -> None:
    log = RequestLog()
    log.append(_entry(1, "GET", "/a"))
    log.append(_entry(2, "POST", "/a"))
    log.append(_entry(3, "POST", "/b"))
    assert [r.path for r in log.matching("post")] == ["/a/2", "/b/3"]
    assert [r.path for r in log.matching("POST", "/b")] == ["/b/3"]
    assert [r.path for r in log.matching(path_prefix="/a")] == ["/a/1", "/a/2"]
    log.clear()
    assert not log.matching()


def test_query_reads_the_last_value_and_query_lists_every_value() -> None:
    entry = _entry(1)
    assert entry.query == {"n": "2", "e": ""}
    assert entry.query_lists == {"n": ["1", "2"], "e": [""]}


def test_appends_from_many_threads_lose_nothing_below_the_cap() -> None:
    log = RequestLog(cap=10_000)

    def write(start: int) -> None:
        for n in range(start, start + 500):
            log.append(_entry(n))

    threads = [threading.Thread(target=write, args=(i * 500,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(log) == 4000
    assert len({r.path for r in log}) == 4000


def test_the_base_state_records_into_a_log_of_its_cap() -> None:
    state = MockState(max_recorded_requests=2)
    for n in range(3):
        state.record(_entry(n))
    assert [r.path for r in state.recorded()] == ["/x/1", "/x/2"]
    assert state.recorded("DELETE") == []
    assert MockState().requests is not state.requests
