from __future__ import annotations

import math
import statistics
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from h2oharness.errors import JobFailed
from h2oharness.http.jobkinds import MAX_KINDS, Finished, JobHistory, JobKinds, coarse_step
from h2oharness.http.polling import Backoff, JobStatus, wait_for_job

Shape = Callable[[float], float | None]


def linear(f: float) -> float | None:
    return f


def stepped(f: float) -> float | None:
    return math.floor(f * 10) / 10


def silent(f: float) -> float | None:
    return None


class Job:
    """One job on its own simulated clock: submitted at 0, queued for ``queued`` s (progress 0), then running."""

    def __init__(self, duration: float, shape: Shape = linear, queued: float = 0.0, fail: bool = False) -> None:
        self.now = 0.0
        self.duration, self.shape, self.queued, self.fail = duration, shape, queued, fail
        self.polls = 0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def fetch(self) -> JobStatus:
        self.polls += 1
        self.now += 0.001  # half a round trip out; the server reads the job, half a round trip back
        read = self.now
        self.now += 0.001
        if read >= self.duration:
            if self.fail:
                return JobStatus("FAILED", None, final=True, failed=True, message="boom")
            return JobStatus("DONE", 1.0, final=True)
        if read < self.queued:
            return JobStatus("QUEUED", None if self.shape(0.5) is None else 0.0)
        return JobStatus("RUNNING", self.shape((read - self.queued) / (self.duration - self.queued)))

    def wait(self, history: JobHistory | None, *, started: float | None = 0.0) -> tuple[int, float]:
        """Wait for the job; return the polls and the detection lag (the end to holding the poll that saw it)."""
        wait_for_job(
            self.fetch, timeout=10 * self.duration + 60, clock=self.clock, sleep=self.sleep, started=started,
            history=history,
        )  # fmt: skip
        return self.polls, self.now - self.duration


def fixed_loop_polls(duration: float, interval: float = 2.0) -> int:
    """The seed's loop polls at 0, 2, 4 ... and stops at the first poll at or after the end."""
    return math.ceil(duration / interval) + 1


def spread(duration: float, n: int = 21) -> list[float]:
    """``n`` durations over ``duration`` ± 10 %, in a fixed shuffled order."""
    values = [duration * (0.9 + 0.2 * i / (n - 1)) for i in range(n)]
    return values[::2] + values[1::2][::-1]


def run_kind(durations: list[float], shape: Shape = linear, queued: float = 0.0) -> list[tuple[int, float]]:
    history = JobHistory()
    return [Job(d, shape, queued * d).wait(history) for d in durations]


@pytest.mark.parametrize("duration", [0.5, 1.0])
def test_jobs_of_a_short_kind_cost_fewer_polls_than_the_fixed_loop_at_a_fraction_of_its_lag(duration: float) -> None:
    outcomes = run_kind(spread(duration))
    polls = statistics.fmean(p for p, _ in outcomes)
    lag = statistics.fmean(lag for _, lag in outcomes)
    # the fixed loop sees every one of them at its second poll (2 s), about 2 - duration late
    assert polls <= 0.9 * 2
    assert lag <= 0.05 * (2 - duration)
    # the same jobs alone cost 2 polls each: what the kind taught is what saved them
    assert all(Job(d).wait(None)[0] == 2 for d in spread(duration))


def test_a_learned_queue_puts_one_sample_at_the_right_end() -> None:
    outcomes = run_kind(spread(5.0), queued=0.5)
    warm = outcomes[3:]
    assert max(p for p, _ in warm) <= 3
    assert statistics.fmean(lag for _, lag in warm) < 0.02


def test_a_coarse_kind_pins_its_end_at_step_transitions() -> None:
    outcomes = run_kind(spread(60.0), shape=stepped)
    warm = outcomes[3:]
    # the fixed loop sends 31 polls and is ~1 s late; halving the window at step transitions sends about a third
    assert max(p for p, _ in warm) <= 14
    assert statistics.fmean(lag for _, lag in warm) < 0.1


def test_a_job_much_faster_than_its_kind_is_seen_soon_after_its_end() -> None:
    history = JobHistory()
    for d in (20.0, 21.0, 19.0, 20.5):
        Job(d).wait(history)
    polls, lag = Job(2.0).wait(history)
    # the look at 0.25 s shows a rate ten times its kind's: the next poll follows it, not the kind's 18 s
    assert lag < 0.05
    assert polls <= 3


def test_a_job_much_slower_than_its_kind_follows_its_own_rate() -> None:
    history = JobHistory()
    for d in (1.0, 1.05, 0.95, 1.0):
        Job(d).wait(history)
    polls, lag = Job(10.0).wait(history)
    assert lag < 0.05
    assert polls <= 4  # the fixed loop: 6


def test_a_kind_whose_jobs_end_before_the_first_poll_is_polled_sooner() -> None:
    # a real H2O-3 parses a small file in ~0.06 s; the first poll at Backoff.initial sees it ~0.19 s late
    history = JobHistory()
    outcomes = [Job(d).wait(history) for d in spread(0.06)]
    first_lag = outcomes[0][1]
    assert first_lag > 0.15
    assert history.settled
    # while the first poll moves earlier, a job that outlasts it costs one poll more: the fixed loop's two
    assert all(polls <= 2 for polls, _ in outcomes)
    assert sum(polls == 2 for polls, _ in outcomes) <= 2
    # settled where all of them had ended: one poll each, seen a fraction as late
    late = outcomes[-10:]
    assert all(polls == 1 for polls, _ in late)
    assert statistics.fmean(lag for _, lag in late) <= 0.25 * first_lag


def test_a_kind_without_progress_is_not_caught_after_a_job_outlasts_its_catch() -> None:
    history = JobHistory()
    outcomes = [Job(d, silent).wait(history) for d in spread(0.06)]
    # the miss waited a fixed loop's pause (never a poll more than it): too dear to risk again
    missed = [i for i, (polls, _) in enumerate(outcomes) if polls == 2]
    assert len(missed) == 1
    assert history.catch is None
    assert history.mode(Backoff().maximum) == "cold"
    assert all(polls == 1 for polls, _ in outcomes[missed[0] + 1 :])


def test_a_kind_that_outlasts_an_earlier_first_poll_goes_back_to_where_they_all_ended() -> None:
    history = JobHistory()
    outcomes = [Job(d).wait(history) for d in spread(0.2)]
    # the first ended before 0.25 s, the second outlasted 0.125 s: the rest are caught at 0.25 s, one poll each
    assert [polls for polls, _ in outcomes[:2]] == [1, 2]
    assert history.catch == pytest.approx(Backoff().initial, abs=0.01)
    assert all(polls == 1 for polls, _ in outcomes[2:])
    assert statistics.fmean(lag for _, lag in outcomes) <= 0.05 * (2 - 0.2)


def test_a_caught_kind_that_slows_down_is_let_go() -> None:
    history = JobHistory()
    for d in spread(0.06, 5):
        Job(d).wait(history)
    assert history.catch is not None
    slower = spread(1.5, 9)
    outcomes = [Job(d).wait(history) for d in slower]
    # the first slower job outlasts the catch and lets it go: the kind is then polled by what its jobs teach
    assert history.catch is None
    assert outcomes[0][0] <= fixed_loop_polls(slower[0]) + 1
    assert all(polls <= fixed_loop_polls(d) for (polls, _), d in zip(outcomes[1:], slower[1:], strict=True))
    assert max(lag for _, lag in outcomes) < 0.1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=0.05, max_value=30.0), min_size=1, max_size=12))
def test_a_kind_without_progress_never_costs_a_poll_more_than_the_fixed_loop(durations: list[float]) -> None:
    history = JobHistory()
    for d in durations:
        polls, _ = Job(d, silent).wait(history)
        assert polls <= fixed_loop_polls(d), (d, durations)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(min_value=0.05, max_value=30.0), min_size=1, max_size=12),
    st.sampled_from([linear, stepped, math.sqrt]),
)
def test_whatever_a_kind_taught_a_job_is_seen_done_within_a_bounded_lag(durations: list[float], shape: Shape) -> None:
    history = JobHistory()
    backoff = Backoff()
    # the worst otherwise: a backoff past an estimate that came early; coarse progress read as a curve before
    # its step shows (two values) can overshoot further, as a wait without a kind does (up to ~5.3 s in 2,000 runs)
    worst = (3 if shape is stepped else 2) * backoff.maximum
    for d in durations:
        # a job far shorter than every recent one of its kind may be seen only by the poll just before their
        # shortest end (a look at 0.25 s that shows no progress cannot tell it from a queue)
        surprise = 0.9 * min(history.durations) - d if history.durations else 0.0
        polls, lag = Job(d, shape).wait(history)
        assert lag >= 0
        assert lag <= max(worst, surprise) + 0.1, (d, durations)
        assert polls < 200


def test_a_failed_job_teaches_nothing() -> None:
    history = JobHistory()
    Job(1.0).wait(history)
    before = list(history.durations)
    with pytest.raises(JobFailed):
        Job(1.0, fail=True).wait(history)
    assert list(history.durations) == before


def test_without_the_submit_time_a_kind_neither_learns_nor_steers() -> None:
    history = JobHistory()
    for d in (1.0, 1.0, 1.0):
        Job(d).wait(history, started=None)
    assert not history.durations
    assert history.first is None


def test_job_kinds_keeps_one_history_per_kind_and_a_bounded_number_of_kinds() -> None:
    kinds = JobKinds()
    assert kinds["parse"] is kinds["parse"]
    assert kinds["parse"] is not kinds["gbm"]
    for i in range(MAX_KINDS + 10):
        kinds[f"kind {i}"].durations.append(1.0)
    assert len(kinds) == MAX_KINDS


def test_an_end_is_learned_only_when_known_well_enough() -> None:
    tolerance = 0.1
    # the estimate the last poll aimed at, confirmed by it (seen running before, done after)
    assert Finished(((0.5, 0.5),), lo=0.5, hi=1.006, estimate=1.0).duration(tolerance) == 1.0
    # an estimate the polls contradict is not taken; a wide bracket teaches nothing
    assert Finished(((0.25, 0.06),), lo=0.25, hi=2.25, estimate=4.0).duration(tolerance) is None
    # a job seen done at its first poll: only that it ended before it
    assert Finished((), lo=0.0, hi=1.0).duration(tolerance) is None
    # a tight bracket: its middle
    assert Finished(((0.98, 0.98),), lo=0.98, hi=1.02).duration(tolerance) == pytest.approx(1.0)
    # coarse progress: a fit through mid-steps is not an end; the steps bound it (0.8 seen at 8.1 s: at most 10.1 s)
    coarse = Finished(((8.1, 0.8), (9.5, 0.9)), lo=9.5, hi=12.2, estimate=12.0)
    assert coarse.duration(tolerance) == pytest.approx((9.5 + 8.1 / 0.8) / 2)


@pytest.mark.parametrize(
    ("values", "step"),
    [
        ([0.2, 0.3], 0.1),
        ([0.25, 0.5, 0.75], 0.25),
        ([0.05, 0.1], 0.05),
        ([0.02, 0.04], None),
        ([0.2137, 0.4], None),
        ([0.5], None),
    ],
)
def test_coarse_step_is_the_whole_step_progress_moves_in(values: list[float], step: float | None) -> None:
    found = coarse_step(values)
    assert found == (pytest.approx(step) if step is not None else None)
