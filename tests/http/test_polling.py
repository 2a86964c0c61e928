from __future__ import annotations

import math
from collections.abc import Callable

import httpx
import pytest

from h2oharness.errors import JobFailed, JobTimeout, NoAnswer, ProgressRegressed, ResponseError
from h2oharness.http.jobkinds import JobHistory
from h2oharness.http.polling import AIM_PAST, Backoff, JobStatus, ProgressTrack, wait_for_job


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def shaped_job(
    t: FakeTime,
    duration: float,
    *,
    shape: Callable[[float], float | None] = lambda f: f,
    queued: float = 0.0,
    fail_at: float | None = None,
) -> Callable[[], JobStatus]:
    """A job submitted at 0 that waits ``queued`` s at progress 0, then runs until ``duration``, progress ``shape``."""

    def fetch() -> JobStatus:
        if fail_at is not None and t.now >= fail_at:
            return JobStatus("FAILED", None, final=True, failed=True, message="boom: bad column")
        if t.now >= duration:
            return JobStatus("DONE", 1.0, final=True)
        if t.now < queued:
            return JobStatus("QUEUED", None if shape(0.5) is None else 0.0)
        return JobStatus("RUNNING", shape((t.now - queued) / (duration - queued)))

    return fetch


def fixed_loop_polls(duration: float, interval: float = 2.0) -> int:
    """The seed's loop polls at 0, 2, 4 ... and stops at the first poll at or after the end."""
    return math.ceil(duration / interval) + 1


def test_waits_until_done_and_counts_polls() -> None:
    t = FakeTime()
    result = wait_for_job(shaped_job(t, 3.0), timeout=30, clock=t.clock, sleep=t.sleep)
    assert result.status.state == "DONE"
    assert result.polls == len(result.history) >= 2
    assert result.elapsed >= 3.0


def test_first_poll_waits_the_initial_pause() -> None:
    t = FakeTime()
    result = wait_for_job(shaped_job(t, 0.2), timeout=30, clock=t.clock, sleep=t.sleep)
    # a job that ends before the first poll is seen by it: one request
    assert t.sleeps[0] == Backoff().initial
    assert result.polls == 1


@pytest.mark.parametrize("duration", [0.5, 1.0, 2.0])
def test_a_linear_job_with_its_submit_time_takes_two_polls(duration: float) -> None:
    t = FakeTime()
    result = wait_for_job(shaped_job(t, duration), timeout=60, clock=t.clock, sleep=t.sleep, started=0.0)
    # the submit time (progress 0) and the first poll give the rate; the second poll lands just past the end
    assert result.polls == 2
    assert duration <= result.elapsed <= duration + AIM_PAST + 1e-9


@pytest.mark.parametrize("duration", [5.0, 10.0, 60.0, 600.0])
def test_a_long_linear_job_costs_a_few_polls_whatever_its_length(duration: float) -> None:
    t = FakeTime()
    result = wait_for_job(shaped_job(t, duration), timeout=2 * duration, clock=t.clock, sleep=t.sleep, started=0.0)
    # each jump goes at most horizon (8) x the time seen so far: 0.25, 2.25, 20.25, 182.25 ... s
    assert result.polls <= 2 + math.ceil(math.log(duration / Backoff().initial, 1 + Backoff().horizon))
    assert result.polls < 0.9 * fixed_loop_polls(duration)
    assert result.elapsed - duration <= AIM_PAST + 1e-9


@pytest.mark.parametrize(("name", "shape"), [("front-loaded", math.sqrt), ("back-loaded", lambda f: f * f)])
def test_a_curved_job_is_fitted_after_two_samples(name: str, shape: Callable[[float], float]) -> None:
    t = FakeTime()
    result = wait_for_job(shaped_job(t, 30.0, shape=shape), timeout=90, clock=t.clock, sleep=t.sleep, started=0.0)
    assert result.polls <= 4, name
    assert result.elapsed - 30.0 <= AIM_PAST + 1e-6, name


def test_without_the_submit_time_a_linear_job_takes_a_poll_or_two_more() -> None:
    t = FakeTime()
    result = wait_for_job(shaped_job(t, 10.0), timeout=60, clock=t.clock, sleep=t.sleep)
    # the wait's own start only bounds the submit: a short step first to learn the rate
    assert result.polls <= 4
    assert result.elapsed - 10.0 <= AIM_PAST + 1e-9


def test_a_queued_job_is_seen_soon_after_it_ends() -> None:
    t = FakeTime()
    result = wait_for_job(shaped_job(t, 60.0, queued=30.0), timeout=200, clock=t.clock, sleep=t.sleep, started=0.0)
    assert result.polls < 0.9 * fixed_loop_polls(60.0)
    assert result.elapsed - 60.0 <= AIM_PAST + 1e-9


@pytest.mark.parametrize("duration", [0.1, 0.3, 1.0, 1.99, 2.0, 2.01, 3.9, 7.5, 10.0, 33.3, 60.0])
def test_no_progress_never_costs_more_polls_than_the_fixed_loop(duration: float) -> None:
    t = FakeTime()
    job = shaped_job(t, duration, shape=lambda f: None)
    result = wait_for_job(job, timeout=200, clock=t.clock, sleep=t.sleep, started=0.0)
    assert result.polls <= fixed_loop_polls(duration)
    assert result.elapsed - duration <= Backoff().maximum + 1e-9


def test_a_stuck_job_without_progress_is_polled_at_the_fixed_loop_pace_until_the_deadline() -> None:
    t = FakeTime()

    def never_progress() -> JobStatus:
        return JobStatus("RUNNING", None)

    with pytest.raises(JobTimeout, match=r"still RUNNING .* after 20\.0 s and \d+ polls"):
        wait_for_job(never_progress, timeout=20, clock=t.clock, sleep=t.sleep)
    assert t.sleeps[0] == pytest.approx(Backoff().initial)
    assert max(t.sleeps) <= Backoff().maximum
    assert len(t.sleeps) <= fixed_loop_polls(20.0)
    assert t.now <= 20.0 + 1e-9


def test_one_jump_goes_at_most_horizon_times_the_time_seen() -> None:
    t = FakeTime()
    # 0.1 % done after 0.25 s says 250 s to go; the next poll comes no later than 0.25 + 8 x 0.25 s
    seq = iter([JobStatus("RUNNING", 0.001), JobStatus("DONE", 1.0, final=True)])
    wait_for_job(lambda: next(seq), timeout=600, clock=t.clock, sleep=t.sleep, started=0.0)
    assert t.sleeps == [pytest.approx(0.25), pytest.approx(2.0)]


def test_failure_is_raised_by_the_next_poll_with_the_server_message() -> None:
    t = FakeTime()
    job = shaped_job(t, 100.0, shape=lambda f: None, fail_at=1.0)
    with pytest.raises(JobFailed, match=r"gbm ended FAILED after 2\.0 s: boom: bad column"):
        wait_for_job(job, timeout=600, what="gbm", clock=t.clock, sleep=t.sleep)
    assert t.now == pytest.approx(2.0)


def test_a_failure_during_a_jump_is_seen_at_its_end() -> None:
    # the price of fewer polls: a job that fails half way is seen when the next poll was due, not sooner
    t = FakeTime()
    with pytest.raises(JobFailed):
        wait_for_job(shaped_job(t, 10.0, fail_at=5.0), timeout=60, clock=t.clock, sleep=t.sleep, started=0.0)
    assert t.now == pytest.approx(10.0 + AIM_PAST)


def test_progress_going_back_is_a_violation() -> None:
    seq = iter([JobStatus("RUNNING", 0.5), JobStatus("RUNNING", 0.4)])
    t = FakeTime()
    with pytest.raises(ProgressRegressed, match=r"0\.500 to 0\.400"):
        wait_for_job(lambda: next(seq), timeout=10, clock=t.clock, sleep=t.sleep)


def test_wrong_eta_falls_back_to_backoff() -> None:
    t = FakeTime()

    # progress claims 0.99 quickly, but the job only ends at 5 s: polls must not hammer at the minimum interval
    def fetch() -> JobStatus:
        if t.now >= 5.0:
            return JobStatus("DONE", 1.0, final=True)
        return JobStatus("RUNNING", min(0.99, 0.5 + t.now))

    result = wait_for_job(fetch, timeout=30, clock=t.clock, sleep=t.sleep)
    assert result.polls < 15
    assert result.elapsed - 5.0 <= Backoff().maximum


def test_the_deadline_bounds_the_first_pause_too() -> None:
    t = FakeTime()
    with pytest.raises(JobTimeout):
        wait_for_job(lambda: JobStatus("RUNNING", None), timeout=0.1, clock=t.clock, sleep=t.sleep)
    assert t.sleeps[0] == pytest.approx(0.1)


def test_progress_track_fits_a_power_curve_through_the_submit_time() -> None:
    track = ProgressTrack(anchor=0.0, exact=True)
    track.add(1.0, (1.0 / 16.0) ** 2)
    track.add(4.0, (4.0 / 16.0) ** 2)
    assert track.finish() == pytest.approx(16.0)


def test_progress_track_after_a_zero_poll_uses_the_line_through_the_last_two_samples() -> None:
    # the run began somewhere after the poll that saw 0, so the curve through that poll would mislead
    track = ProgressTrack(anchor=0.0, exact=True)
    track.add(2.0, 0.0)
    track.add(4.0, 0.25)
    track.add(6.0, 0.75)
    assert not track.exact
    assert track.finish() == pytest.approx(6.0 + 0.25 * 4.0)


def test_coarse_progress_is_read_as_the_middle_of_its_step() -> None:
    track = ProgressTrack(anchor=0.0, exact=False)
    for at, progress in [(2.0, 0.1), (4.0, 0.2), (14.0, 0.7)]:
        track.add(at, progress)
    assert track.step is None  # no plateau seen yet: these could be samples of a smooth curve
    track.add(15.0, 0.7)
    assert track.step == pytest.approx(0.1)
    # 0.75 of the way at 14 s (first seen) from an anchor at 0: the line from the anchor ends at 18.7 s, sooner
    # than the line through 0.25 at 4 s and 0.75 at 14 s (19 s)
    assert track.finish() == pytest.approx(14.0 / 0.75)


def test_smooth_progress_has_no_step() -> None:
    track = ProgressTrack(anchor=0.0, exact=True)
    for at, progress in [(1.0, 0.013), (2.0, 0.031), (3.0, 0.047)]:
        track.add(at, progress)
    assert track.step is None


def test_without_the_submit_time_a_back_loaded_job_is_not_seen_late() -> None:
    # the line through two samples of p = t^2 lands late; the curve from the wait's start (a guess) does not
    t = FakeTime()
    result = wait_for_job(shaped_job(t, 60.0, shape=lambda f: f * f), timeout=200, clock=t.clock, sleep=t.sleep)
    assert result.elapsed - 60.0 <= AIM_PAST + 1e-6
    assert result.polls < 0.9 * fixed_loop_polls(60.0)


class _PutOff(ResponseError):
    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(
            f"GET /job -> HTTP {status}", method="GET", path="/job", status=status, body={}, retry_after=retry_after
        )


def unanswered_first(t: FakeTime, inner: Callable[[], JobStatus], errors: list[Exception]) -> Callable[[], JobStatus]:
    """``inner``, but its first polls raise ``errors`` one after the other."""
    pending = list(errors)

    def fetch() -> JobStatus:
        if pending:
            raise pending.pop(0)
        return inner()

    return fetch


@pytest.mark.parametrize(
    "error",
    [
        _PutOff(503),
        _PutOff(429),
        _PutOff(502),
        _PutOff(504),
        httpx.RemoteProtocolError("GET /job: no complete answer (the target reset the connection)"),
        NoAnswer("GET /job: no complete answer within 5 s"),
    ],
    ids=["503", "429", "502", "504", "reset", "no-answer"],
)
def test_a_poll_the_server_puts_off_is_sent_again(error: Exception) -> None:
    t = FakeTime()
    fetch = unanswered_first(t, shaped_job(t, 3.0), [error, error])
    result = wait_for_job(fetch, timeout=30, clock=t.clock, sleep=t.sleep)
    assert result.status.state == "DONE"
    assert result.unanswered == 2
    assert result.polls == len(result.history) + 2


def test_a_put_off_poll_waits_what_retry_after_asks() -> None:
    t = FakeTime()
    fetch = unanswered_first(t, shaped_job(t, 10.0), [_PutOff(503, retry_after=1.5)])
    wait_for_job(fetch, timeout=30, clock=t.clock, sleep=t.sleep)
    assert t.sleeps[1] == 1.5  # the first is the wait before the first poll


def test_a_retry_after_past_the_deadline_waits_only_to_the_deadline() -> None:
    t = FakeTime()
    fetch = unanswered_first(t, shaped_job(t, 100.0), [_PutOff(503, retry_after=3600)])
    with pytest.raises(JobTimeout):
        wait_for_job(fetch, timeout=20, clock=t.clock, sleep=t.sleep)
    assert t.now < 25


def test_more_unanswered_polls_in_a_row_than_retries_end_the_wait_with_the_last_error() -> None:
    t = FakeTime()
    errors: list[Exception] = [_PutOff(503) for _ in range(4)]
    fetch = unanswered_first(t, shaped_job(t, 3.0), errors)
    with pytest.raises(_PutOff, match="HTTP 503") as caught:
        wait_for_job(fetch, timeout=30, backoff=Backoff(retries=3), clock=t.clock, sleep=t.sleep)
    assert caught.value.__notes__ == ["job: 4 polls in a row got no answer, 4 in all"]


def test_an_error_status_that_is_not_a_put_off_ends_the_wait_at_once() -> None:
    t = FakeTime()
    fetch = unanswered_first(t, shaped_job(t, 3.0), [_PutOff(500), _PutOff(404)])
    with pytest.raises(_PutOff, match="HTTP 500"):
        wait_for_job(fetch, timeout=30, clock=t.clock, sleep=t.sleep)
    assert t.sleeps == [Backoff().initial]


def test_unanswered_polls_count_against_a_job_without_progress() -> None:
    # without progress never more polls than a fixed loop at ``maximum``: the unanswered ones are polls too
    t = FakeTime()
    fetch = unanswered_first(t, shaped_job(t, 20.0, shape=lambda f: None), [_PutOff(503, retry_after=0.1)])
    result = wait_for_job(fetch, timeout=60, clock=t.clock, sleep=t.sleep, started=0.0, history=JobHistory())
    assert result.polls <= fixed_loop_polls(20.0, Backoff().maximum)
