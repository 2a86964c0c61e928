"""A test's deadline and the run's, in inner pytest sessions: named failures, the rest not run, the report written."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator

import pytest

from h2oharness.pytest_plugin.deadlines import alarm

SLOW = """
import time

def test_a_slow():
    time.sleep(30)

def test_b_quick():
    pass

def test_c_never_reached():
    pass
"""


def test_a_test_past_its_deadline_fails_by_name_and_the_run_goes_on(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_slow=SLOW)
    result = pytester.runpytest_inprocess("--harness-test-deadline", "0.3", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, passed=2)
    expected = "*DeadlineExceeded: test_slow.py::test_a_slow: did not finish within its deadline of 0.3 s"
    result.stdout.fnmatch_lines([expected])


#: hypothesis cut short by the alarm inside a stateful flow raises FlakyStrategyDefinition: while it handles the
#: alarm (chained to it), or later, outside its handler, once it has caught it (nothing chains it then)
AFTER_THE_ALARM = {
    "while_handling": "        raise RuntimeError('Inconsistent data generation!')\n",
    "after_swallowing": "        pass\n    raise RuntimeError('Inconsistent data generation!')\n",
}


@pytest.mark.parametrize("when", sorted(AFTER_THE_ALARM))
def test_an_error_raised_once_the_alarm_went_off_is_still_the_deadline(pytester: pytest.Pytester, when: str) -> None:
    # read as an internal error in junit.xml, when the target was only too slow
    body = "import time\n\ndef test_a_slow_flow():\n    try:\n        time.sleep(30)\n    except BaseException:\n"
    pytester.makepyfile(test_flow=body + AFTER_THE_ALARM[when])
    result = pytester.runpytest_inprocess("--harness-test-deadline", "0.3", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    expected = "*DeadlineExceeded: test_flow.py::test_a_slow_flow: did not finish within its deadline of 0.3 s"
    result.stdout.fnmatch_lines([expected])
    result.stdout.no_fnmatch_line("*RuntimeError*")


def test_the_run_deadline_fails_the_running_test_stops_the_run_and_writes_the_report(pytester: pytest.Pytester) -> None:
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2o3_slow.py").write_text(SLOW)
    report = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        "--harness-run-deadline", "0.5", "--harness-report-dir", str(report), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_a_slow: the run's deadline of 0.5 s passed while it ran*"])
    data = json.loads((report / "conformance.json").read_text())
    assert data["exit_code"] == 1
    (api,) = data["apis"]
    (scenario,) = api["scenarios"]
    assert scenario["name"] == "test_a_slow"
    assert scenario["message"] == (
        "scenarios/test_h2o3_slow.py::test_a_slow: the run's deadline of 0.5 s passed while it ran"
    )
    assert "Traceback" not in json.dumps(data)


def test_no_deadline_leaves_the_alarm_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_alarm="""
        import signal

        def test_no_timer():
            assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def _outer(signum: int, frame: object) -> None:
    raise AssertionError("the outer alarm is not due in this test")


@pytest.fixture
def outer_alarm() -> Iterator[None]:
    """An alarm armed before the test's, as the run's --max-time or a worker's hard stop is: 60 s away."""
    previous = signal.signal(signal.SIGALRM, _outer)
    before = signal.setitimer(signal.ITIMER_REAL, 60)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)
    signal.setitimer(signal.ITIMER_REAL, *before)


@pytest.mark.usefixtures("outer_alarm")
def test_a_test_deadline_gives_the_alarm_armed_before_it_back_when_it_ends() -> None:
    with alarm(5):
        assert signal.getsignal(signal.SIGALRM) is not _outer
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 5
    assert signal.getsignal(signal.SIGALRM) is _outer
    assert 55 < signal.getitimer(signal.ITIMER_REAL)[0] <= 60


@pytest.mark.usefixtures("outer_alarm")
def test_an_alarm_armed_before_and_due_first_is_left_as_it_is() -> None:
    with alarm(120):
        assert signal.getsignal(signal.SIGALRM) is _outer
        assert 55 < signal.getitimer(signal.ITIMER_REAL)[0] <= 60
    assert signal.getsignal(signal.SIGALRM) is _outer
    assert 55 < signal.getitimer(signal.ITIMER_REAL)[0] <= 60
