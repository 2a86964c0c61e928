"""Counts said in the number their noun takes, in the load runner's lines and the reports."""

from __future__ import annotations

from pathlib import Path

from h2oharness.loadrunner import LoadRun, find_profile, start_line
from h2oharness.report.loadsummary import LoadSummary, Totals, count_line
from h2oharness.report.writers import render_load_html
from h2oharness.words import counted

ROOT = Path(__file__).resolve().parent.parent


def test_one_is_singular_and_every_other_count_plural() -> None:
    assert counted(1, "user") == "1 user"
    assert [counted(n, "worker") for n in (0, 2)] == ["0 workers", "2 workers"]
    assert counted(1, "entry", "entries") == "1 entry"
    assert counted(3, "entry", "entries") == "3 entries"
    assert counted(1.5, "second") == "1.5 seconds"


def test_a_large_count_is_said_in_full() -> None:
    """A long run's requests read "1.23457e+06 requests" (format "g")."""
    assert counted(1_234_567, "request") == "1234567 requests"
    assert counted(1e6, "request") == "1000000 requests"
    assert count_line(Totals(2_000_000, 0, 1.0, 0, 0)).startswith("2000000 requests, ")


def test_a_load_of_one_user_and_one_worker_says_so_in_its_first_line() -> None:
    """It said "1 users" and "1 workers"."""
    run = LoadRun(find_profile("h2o3.polling", ROOT), users=1, workers=1, run_time=4.0)
    line = start_line(run, "mock", "http://127.0.0.1:1")
    assert line == "load h2o3.polling: 1 user, 4 s, 1 worker, against mock http://127.0.0.1:1"
    windows = LoadRun(find_profile("h2o3.polling", ROOT), users=2, windows=1, window=5.0)
    assert "2 users, 1 window of 5 s" in start_line(windows, "mock", "u")


def test_one_request_and_one_user_are_singular_in_the_summary_and_the_page() -> None:
    assert count_line(Totals(1, 0, 1.0, 0, 0)).startswith("1 request, 0 failures")
    page = render_load_html(
        LoadSummary("h2o3.polling", {"kind": "mock", "url": "u"}, {"users": 1, "workers": 1}, (), ())
    )
    assert "1 user ·" in page
    assert "1 worker<" in page
    assert "1 users" not in page
