"""Open-model arrivals: the schedule, what each arrival records, dispatch delay and when figures are not trustworthy."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

from h2oharness.arrivals import (
    CLOSED_NOTE,
    Arrival,
    ArrivalPool,
    Recorder,
    Schedule,
    dispatch_of,
    locust_round,
    merge,
    percentile,
    read_recordings,
)
from h2oharness.report.loadsummary import dispatch_lines


def test_a_constant_schedule_is_evenly_spaced_and_a_seeded_poisson_one_repeats() -> None:
    even = Schedule(0.5)
    assert 0 <= even.first_offset() <= 0.5
    assert [even.next_gap() for _ in range(3)] == [0.5, 0.5, 0.5]
    one, two = Schedule(0.5, "poisson", random.Random(3)), Schedule(0.5, "poisson", random.Random(3))
    gaps = [one.next_gap() for _ in range(2000)]
    assert gaps == [two.next_gap() for _ in range(2000)]
    assert len(set(gaps)) == len(gaps)  # not evenly spaced
    assert 0.45 < sum(gaps) / len(gaps) < 0.55  # the same mean rate
    with pytest.raises(ValueError, match="constant, poisson"):
        Schedule(1.0, "bursty")


def test_an_arrival_is_done_with_its_users_last_event_and_failed_if_any_failed() -> None:
    rec = Recorder()
    rec.arrive("u1", scheduled=100.0, sent=100.002)
    rec.arrive("u2", scheduled=100.5, sent=100.9)
    rec.measured("u1", "POST /3/Parse", 5, False, at=100.1)
    rec.measured("u1", "JOB parse submit-to-done", 400, True, at=100.4)
    rec.measured("u2", "GET /x", 3, False, at=101.0)
    rec.arrive("u1", scheduled=101.0, sent=101.0)  # u1's next arrival: later events are its own
    rec.measured("u1", "GET /x", 3, False, at=101.2)
    rec.close()
    rec.measured("u1", "DELETE /x", 3, False, at=109.0)  # cleaning up after the run: no arrival's
    first, second, third = rec.arrivals
    assert (first.done, first.failed) == (100.4, True)
    assert (second.done, second.failed) == (101.0, False)
    assert third.done == 101.2
    assert [round(a.delay_ms, 3) for a in rec.arrivals] == [2.0, 400.0, 0.0]


def test_a_send_is_never_recorded_before_its_due_moment() -> None:
    rec = Recorder()
    assert rec.arrive("u", scheduled=10.0, sent=9.9999).sent == 10.0


def test_events_are_counted_in_their_window_after_the_warm_up() -> None:
    rec = Recorder(window=2.0, warmup=1.0)
    rec.begin(100.0)
    for at, ms in ((100.5, 12.0), (101.2, 130.0), (102.9, 1234.0), (103.1, 7.0)):
        rec.measured("u", "GET /x", ms, at == 103.1, at)
    assert rec.windows == {
        -1: {"GET /x": [1, 0, {12: 1}]},
        0: {"GET /x": [2, 0, {130: 1, 1200: 1}]},
        1: {"GET /x": [1, 1, {}]},  # a failure is counted, its time is no latency
    }
    assert [locust_round(v) for v in (99.4, 104.0, 1249.0, 12345.0)] == [99, 100, 1200, 12000]


def test_processes_recordings_merge_into_one(tmp_path: Path) -> None:
    a, b = Recorder(window=1.0), Recorder(window=1.0)
    a.begin(50.0)
    b.begin(50.2)
    a.arrive("x", 50.5, 50.6)
    b.arrive("y", 50.4, 50.4)
    a.measured("x", "GET /x", 10, False, 50.7)
    b.measured("y", "GET /x", 10, True, 50.8)
    a.write(tmp_path, 1)
    b.write(tmp_path, 2)
    merged = read_recordings(tmp_path)
    assert merged is not None
    assert merged.start == 50.0
    assert [a.scheduled for a in merged.arrivals] == [50.4, 50.5]
    assert merged.windows[0]["GET /x"] == [2, 1, {10: 1}]
    assert merge([json.loads(p.read_text()) for p in sorted(tmp_path.glob("*.json"))]).windows == merged.windows
    assert read_recordings(tmp_path / "nothing-here") is None


def test_dispatch_delay_is_judged_against_its_limit() -> None:
    arrivals = [Arrival(float(i), i + 0.001) for i in range(99)] + [Arrival(99.0, 99.5)]
    kept = dispatch_of(arrivals, limit_ms=50)
    assert (kept.model, kept.count, kept.trustworthy, kept.note) == ("open", 100, True, "")
    assert kept.p50_ms == pytest.approx(1.0)
    assert kept.p99_ms == pytest.approx(1.0)
    assert kept.max_ms == pytest.approx(500)
    late = dispatch_of([Arrival(float(i), i + 0.2) for i in range(10)], limit_ms=50)
    assert not late.trustworthy
    assert "not trustworthy" in late.note
    assert "coordinated omission" in late.note
    assert dispatch_lines(late.to_dict())[-1].startswith("  NOT TRUSTWORTHY: figures not trustworthy")
    closed = dispatch_of(None, limit_ms=50)
    assert (closed.model, closed.p99_ms, closed.note) == ("closed", None, CLOSED_NOTE)
    assert dispatch_lines(closed.to_dict()) == [
        "  dispatch delay: n/a (closed model: no request is due on a schedule of its own)"
    ]
    assert percentile([], 50) is None


def test_arrivals_due_but_never_sent_count_as_late_up_to_the_end() -> None:
    rec = Recorder()
    rec.arrive("u", scheduled=10.0, sent=10.0, next_due=10.5, gap=0.5)  # busy: 10.5, 11.0, 11.5 come and go
    assert rec.due_unsent(11.6) == [10.5, 11.0, 11.5]
    rec.close(at=11.6)
    assert (rec.unsent, rec.end) == ([10.5, 11.0, 11.5], 11.6)
    judged = dispatch_of(rec.arrivals, 50, rec.unsent, rec.end)
    assert judged.count == 1
    assert judged.unsent == 3
    assert judged.max_ms == pytest.approx(1100)
    assert not judged.trustworthy
    assert judged.note.endswith("3 arrivals due were never sent (counted up to the run's end).")


def test_users_of_one_process_share_an_even_grid() -> None:
    from h2oharness.arrivals import user_phase

    phases = sorted(user_phase(i) for i in range(8))
    gaps = [b - a for a, b in itertools.pairwise(phases)]
    assert max(gaps) < 2.5 / 8  # spread over the interval, none bunched (the golden-ratio sequence)
    assert Schedule(2.0).first_offset(phase=0.25) == 0.5


def test_a_user_that_leaves_the_pool_takes_its_share_with_it() -> None:
    pool = ArrivalPool()
    pool.join(0.0, Schedule(1.0), owner="a")
    gone = pool.join(0.5, Schedule(1.0), owner="b")
    assert pool.leave("b") == gone
    assert "b" not in pool
    assert len(pool) == 1
    # only the share of the user left is due: it was 0.0, 0.5, 1.0, 1.5 with both
    assert [pool.claim()[0] for _ in range(3)] == [0.0, 1.0, 2.0]
    assert pool.leave("b") is None  # once gone, gone
    # a user joining later gets a stream of its own, never the id of one that left
    assert pool.join(3.25, Schedule(1.0), owner="c") not in (gone, 0)
    assert [pool.claim()[0] for _ in range(2)] == [3.0, 3.25]


def test_a_stream_that_left_has_nothing_due_unsent() -> None:
    rec = Recorder()
    rec.expect("stays", 10.5, 0.5)
    rec.expect("left", 10.25, 0.5)
    rec.forget("left")
    assert rec.due_unsent(11.6) == [10.5, 11.0, 11.5]
