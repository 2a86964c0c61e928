from __future__ import annotations

import pytest

from h2oharness.errors import JobFailed, JobTimeout, ProgressRegressed
from h2oharness.http.polling import Backoff, JobStatus, wait_for_job


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def linear_job(t: FakeTime, duration: float, *, fail_at: float | None = None):  # type: ignore[no-untyped-def]
    def fetch() -> JobStatus:
        if fail_at is not None and t.now >= fail_at:
            return JobStatus(
                "FAILED", min(1.0, fail_at / duration), final=True, failed=True, message="boom: bad column"
            )
        if t.now >= duration:
            return JobStatus("DONE", 1.0, final=True)
        return JobStatus("RUNNING", t.now / duration)

    return fetch


def test_waits_until_done_and_counts_polls() -> None:
    t = FakeTime()
    result = wait_for_job(linear_job(t, 3.0), timeout=30, clock=t.clock, sleep=t.sleep)
    assert result.status.state == "DONE"
    assert result.polls == len(result.history) >= 2
    assert result.elapsed >= 3.0


def test_detects_done_soon_after_it_happens() -> None:
    t = FakeTime()
    result = wait_for_job(linear_job(t, 10.0), timeout=60, clock=t.clock, sleep=t.sleep)
    # the ETA poll lands right at the end instead of one full 2 s interval later
    assert result.elapsed - 10.0 < 0.5


def test_backoff_grows_and_is_capped() -> None:
    t = FakeTime()

    def never_progress() -> JobStatus:
        return JobStatus("RUNNING", None)

    with pytest.raises(JobTimeout, match="still RUNNING"):
        wait_for_job(
            never_progress, timeout=20, backoff=Backoff(initial=0.1, maximum=2.0), clock=t.clock, sleep=t.sleep
        )
    assert t.sleeps[0] == pytest.approx(0.1)
    assert max(t.sleeps) <= 2.0
    assert t.sleeps[1] > t.sleeps[0]
    assert t.now <= 20.0 + 1e-9


def test_failure_is_raised_fast_with_the_server_message() -> None:
    t = FakeTime()
    with pytest.raises(JobFailed, match="boom: bad column"):
        wait_for_job(linear_job(t, 100.0, fail_at=1.0), timeout=600, what="gbm", clock=t.clock, sleep=t.sleep)
    assert t.now < 3.0


def test_progress_going_back_is_a_violation() -> None:
    seq = iter([JobStatus("RUNNING", 0.5), JobStatus("RUNNING", 0.4)])
    t = FakeTime()
    with pytest.raises(ProgressRegressed, match=r"0\.500 to 0\.400"):
        wait_for_job(lambda: next(seq), timeout=10, clock=t.clock, sleep=t.sleep)


def test_wrong_eta_falls_back_to_backoff() -> None:
    t = FakeTime()

    # progress claims 0.9 quickly, but the job only ends at 5 s: polls must not hammer at the minimum interval
    def fetch() -> JobStatus:
        if t.now >= 5.0:
            return JobStatus("DONE", 1.0, final=True)
        return JobStatus("RUNNING", min(0.99, 0.5 + t.now))

    result = wait_for_job(fetch, timeout=30, clock=t.clock, sleep=t.sleep)
    assert result.polls < 15
