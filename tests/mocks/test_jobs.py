"""h2oharness/mocks/jobs.py's JobBoard: what it keeps of the jobs submitted to it, the newest first."""

from __future__ import annotations

from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.jobs import JobBoard, JobTiming

TIMING = JobTiming(queued=0.0, running=1.0)


def test_finished_jobs_are_bounded_the_newest_kept() -> None:
    clock = ManualClock()
    board = JobBoard(clock, keep_finished=20)
    ids = []
    for _ in range(100):
        ids.append(board.submit("k", TIMING).id)
        clock.advance(2.0)
        # a tenth of slack between trims, and the newest, live when it is taken
        assert len(board.all()) <= 20 + 20 // 10 + 1
    held = [job.id for job in board.all()]
    assert held == ids[-len(held) :], "the oldest went first"
    assert len(held) >= 20


def test_a_small_bound_is_kept_exactly() -> None:
    clock = ManualClock()
    board = JobBoard(clock, keep_finished=3)
    for _ in range(10):
        board.submit("k", TIMING)
        clock.advance(2.0)
        assert len(board.all()) <= 3 + 1  # the newest, still live when it is taken, beside 3 finished


def test_jobs_that_never_end_are_bounded_too_and_a_forgotten_one_is_unknown() -> None:
    # a soak whose ``stuck`` faults never end their jobs grew the board without bound
    clock = ManualClock()
    board = JobBoard(clock, keep_finished=10, max_live=5)
    stuck = []
    for _ in range(40):
        job = board.submit("k", TIMING)
        job.stuck = True
        stuck.append(job.id)
        clock.advance(2.0)
        assert len(board.all()) <= 10 + 1
    assert board.get(stuck[0]) is None
    assert board.get(stuck[-1]) is not None
    held = [job.id for job in board.all()]
    assert held == stuck[-len(held) :]


def test_finished_jobs_are_dropped_before_live_ones() -> None:
    clock = ManualClock()
    board = JobBoard(clock, keep_finished=2, max_live=100)
    long = board.submit("long", JobTiming(queued=0.0, running=1_000.0)).id
    for _ in range(10):
        board.submit("k", TIMING)
        clock.advance(2.0)
    assert board.get(long) is not None, "the oldest, but live"
    # the board trims when it takes a job: the last one ended after it was taken
    assert sum(1 for job in board.all() if job.phase(clock.now()).final) <= 2 + 1
