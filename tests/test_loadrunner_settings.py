"""A :class:`LoadRun` made in Python refuses the settings ``h2oharness load`` refuses as options (no Locust runs)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest

from h2oharness.cli import main
from h2oharness.errors import ConfigError
from h2oharness.loadrunner import LoadRun, find_profile

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"users": 0}, "users must be at least 1, got 0"),
        ({"users": -3}, "users must be at least 1, got -3"),
        ({"users": 2.5}, "users must be a whole number, got 2.5"),
        ({"spawn_rate": 0.0}, "spawn_rate must be above 0 users per second and finite, got 0"),
        ({"spawn_rate": math.nan}, "spawn_rate must be above 0 users per second and finite, got nan"),
        ({"run_time": -5.0}, "run_time must be a positive duration of at most a year, got -5 s"),
        ({"run_time": 0.0}, "run_time must be a positive duration of at most a year, got 0 s"),
        ({"max_time": -1.0}, "max_time must be a positive duration of at most a year, got -1 s"),
        ({"arrival_rate": -2.0}, "arrival_rate must be above 0 arrivals per second, got -2"),
        ({"arrival_rate": 0.0}, "arrival_rate must be above 0 arrivals per second, got 0"),
        ({"workers": -1}, "workers must be at least 0 (0: no workers, one Locust process), got -1"),
        ({"stop_timeout": -1.0}, "stop_timeout must be 0 or more seconds, at most a year, got -1"),
        ({"mock_speed": 0.0}, "mock_speed must be above 0 (a stopped clock never ends a job)"),
        ({"max_dispatch_delay": 0.0}, "max_dispatch_delay must be above 0 ms, got 0"),
        ({"request_deadline": -1.0}, "request_deadline must be a positive number of seconds"),
        ({"arrival_process": "bursty"}, "arrival_process must be one of constant, poisson, got 'bursty'"),
        # before, 1e308 arrivals/s ran: the arrivals due but never sent are counted up to a million, the earliest
        # ones, so what came due after them was never counted late and a capacity window judged no delay at all
        (
            {"arrival_rate": 1e308, "run_time": 1.0},
            "arrival_rate 1e+308 for 1 s is more arrivals than the 1,000,000 a run can count",
        ),
    ],
)
def test_a_run_made_in_python_refuses_what_the_cli_refuses(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        LoadRun(find_profile("h2o3.polling", ROOT), **given)
    assert str(caught.value) == message or str(caught.value).startswith(message)


def test_a_changed_copy_is_checked_too() -> None:
    # the capacity search makes each rate's run with dataclasses.replace
    run = LoadRun(find_profile("h2o3.polling", ROOT), users=2, arrival_rate=1.0)
    with pytest.raises(ConfigError, match="arrival_rate must be above 0 arrivals per second, got -1"):
        dataclasses.replace(run, arrival_rate=-1.0)


def test_a_possible_run_is_made() -> None:
    run = LoadRun(find_profile("h2o3.polling", ROOT), users=1, run_time=1.0, arrival_rate=0.5, workers=0)
    assert (run.users, run.arrival_rate) == (1, 0.5)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-u", "0"], "--users must be at least 1, got 0"),
        (["-r", "-1"], "--spawn-rate must be above 0 users per second and finite, got -1"),
        (["--arrival-rate", "-2"], "--arrival-rate must be above 0 arrivals per second, got -2"),
        (["--stop-timeout", "-1"], "--stop-timeout must be 0 or more seconds, at most a year, got -1"),
        (["-t", "-5s"], "--run-time must be a positive duration, got '-5s'"),
        (["--arrival-rate", "1e308"], "--arrival-rate 1e+308 for 1 s is more arrivals than the 1,000,000 a run can"),
    ],
)
def test_the_cli_says_it_in_its_options_words(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["load", "h2o3.polling", "-t", "1s", *argv, "--report-dir", str(tmp_path / "out")])
    assert code == 3
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_profile_file_that_is_not_text_is_one_line(tmp_path: Path) -> None:
    # find_profile read it as UTF-8 unguarded: `load --suite-dir` ended in a UnicodeDecodeError traceback
    (tmp_path / "loadtests").mkdir()
    (tmp_path / "loadtests" / "h2o3.py").write_bytes(b"\xff\xfe\x00class PollingUser")
    with pytest.raises(ConfigError, match=r"h2o3\.py is not a Python source: not UTF-8 text"):
        find_profile("h2o3.polling", tmp_path)
