"""The budgeted sweep's pure parts: the budget's clock, the allocation rule on synthetic yields, the rounds' plans."""

from __future__ import annotations

from pathlib import Path

import pytest

from h2oharness.budget import (
    FLOOR_SHARE,
    ArmStats,
    Budget,
    allocate,
    parse_budget,
    round_modes,
    round_seed,
    round_total,
)
from h2oharness.errors import ConfigError
from h2oharness.pytest_plugin.progress import sweep_line


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90.0), ("30m", 1800.0), ("1h", 3600.0), ("1m30s", 90.0)])
def test_a_budget_reads_seconds_minutes_and_hours(text: str, seconds: float) -> None:
    assert parse_budget(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "0", "10x"])
def test_a_budget_that_is_not_a_positive_duration_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_budget(text)


def test_the_budget_runs_on_its_clock() -> None:
    now = [100.0]
    budget = Budget(30.0, clock=lambda: now[0])
    assert (budget.left(), budget.expired()) == (30.0, False)
    now[0] = 129.5
    assert budget.left() == pytest.approx(0.5)
    now[0] = 131.0
    assert (budget.left(), budget.expired(), budget.spent()) == (0.0, True, 31.0)


def test_every_case_of_a_round_is_given_out() -> None:
    stats = {f"GET /{i}": ArmStats(cases=float(i * 7), new=float(i % 3)) for i in range(13)}
    for total in (13, 50, 130, 1001):
        shares = allocate(stats, total)
        assert sum(shares.values()) == total
        assert set(shares) == set(stats)


def test_an_operation_that_found_new_defects_gets_more_than_one_that_did_not() -> None:
    stats = {"GET /yields": ArmStats(cases=40, new=3), "GET /dry": ArmStats(cases=40, new=0)}
    shares = allocate(stats, 100)
    assert shares["GET /yields"] > shares["GET /dry"]


def test_every_operation_keeps_its_floor_share_however_dry() -> None:
    stats = {"GET /hot": ArmStats(cases=10, new=50)} | {f"GET /dry{i}": ArmStats(cases=500, new=0) for i in range(9)}
    shares = allocate(stats, 1000)
    floor = int(FLOOR_SHARE * 1000 / 10)
    assert all(shares[name] >= floor for name in stats)
    assert shares["GET /hot"] > 500


def test_with_fewer_cases_than_operations_each_still_gets_one() -> None:
    stats = {f"GET /{i}": ArmStats() for i in range(5)}
    assert allocate(stats, 3) == {f"GET /{i}": 1 for i in range(5)}


def test_an_untried_operation_is_worth_more_than_an_exhausted_one() -> None:
    stats = {"GET /new": ArmStats(), "GET /old": ArmStats(cases=300, new=0)}
    shares = allocate(stats, 100)
    assert shares["GET /new"] > shares["GET /old"]


def test_yield_fades_round_by_round_until_the_operations_share_alike() -> None:
    stats = {"GET /a": ArmStats(), "GET /b": ArmStats()}
    stats["GET /a"].add(cases=10, new=4)
    stats["GET /b"].add(cases=10, new=0)
    first = allocate(stats, 100)
    for _ in range(12):
        for arm in stats.values():
            arm.decay()
    faded = allocate(stats, 100)
    assert first["GET /a"] - first["GET /b"] > faded["GET /a"] - faded["GET /b"] >= 0
    assert stats["GET /a"].found == 4  # what it found is kept, undecayed


def test_the_allocation_is_a_pure_function_of_its_input() -> None:
    def stats() -> dict[str, ArmStats]:
        return {f"POST /{i}": ArmStats(cases=float(i), new=float(i % 2)) for i in range(7)}

    assert allocate(stats(), 77) == allocate(stats(), 77)
    assert allocate({}, 10) == {}
    assert allocate(stats(), 0) == {}


def test_rounds_grow_and_turn_through_the_generation_modes() -> None:
    assert [round_total(r, 1) for r in (1, 2, 3)] == [10, 15, 22]
    assert round_total(30, 4) == 400  # capped
    assert [round_modes(r) for r in (1, 2, 3, 4)] == [
        ("negative",),
        ("positive",),
        ("positive", "negative"),
        ("negative",),
    ]


def test_round_seeds_are_fresh_per_round_and_operation_and_reproducible() -> None:
    seeds = {round_seed(7, r, op) for r in (1, 2, 3) for op in ("GET /a", "GET /b")}
    assert len(seeds) == 6
    assert round_seed(7, 2, "GET /a") == round_seed(7, 2, "GET /a") != round_seed(8, 2, "GET /a")


def test_progress_lines_carry_the_distinct_defects() -> None:
    line = sweep_line(30, 100, 0, 2, 120.0, defects=17)
    assert "17 distinct defects, 2 server crashes" in line
    budgeted = sweep_line(412, 0, 0, 1, 600.0, defects=5, left=300.0, round_number=3)
    assert budgeted == (
        "[h2oharness] round 3, 412 tests done, 5 distinct defects, 1 server crashes, 10.0 min so far, "
        "5.0 min of the budget left"
    )


def test_run_with_a_budget_runs_pytest_in_one_process(tmp_path: Path) -> None:
    from h2oharness.cli import _parser, pytest_command

    args = _parser().parse_args(["run", "--workers", "2", "--budget", "30m"])
    assert "-n" not in pytest_command(args, "mock", tmp_path, tmp_path, ["contracts/h2o3"])


def test_run_with_a_malformed_budget_is_one_line_and_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    from h2oharness.cli import main

    assert main(["run", "--api", "h2o3", "--budget", "soon"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["h2oharness: error: cannot read the duration 'soon': use e.g. 30s, 2m, 1m30s"]


def test_a_rerun_neither_resends_the_extra_cases_nor_fails_with_what_they_found() -> None:
    from types import SimpleNamespace

    from h2oharness.pytest_plugin import contract

    class Feed:
        asked = 0

        def extra_cases(self, operation: object) -> list[object]:
            self.asked += 1
            return []

    item = SimpleNamespace(stash=pytest.Stash(), user_properties=[("x", 1)])
    found = AssertionError("an extra case found a server error")
    item.stash[contract._EXTRAS] = found  # what round 0 left: the extra cases were sent and one failed
    request = SimpleNamespace(node=item)
    feed = Feed()
    with pytest.raises(AssertionError):  # round 0: every generated case fails with it, consistently
        contract._extras(request, None, feed, None, "h2o3", 0.0)  # type: ignore[arg-type]
    contract.reset_for_rerun(item)  # type: ignore[arg-type]
    contract._extras(request, None, feed, None, "h2o3", 0.0)  # type: ignore[arg-type]
    assert feed.asked == 0  # not sent again
    assert item.user_properties == []


def test_a_round_with_nothing_to_draw_is_skipped_not_a_defect() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from h2oharness.pytest_plugin.budgeted import _drawable

    @given(st.nothing())
    def nothing_to_draw(value: object) -> None:
        raise AssertionError("never called")

    with pytest.raises(pytest.skip.Exception, match="nothing to draw"):
        _drawable(nothing_to_draw, "round 2: GET /3/Cloud has nothing to draw")()
