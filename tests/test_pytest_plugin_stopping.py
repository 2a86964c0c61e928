"""The plugin's stopping: a signal or the run's deadline ends the session after the running test, report written."""

from __future__ import annotations

import json
import signal
import time
import types
from pathlib import Path

import pytest

from h2oharness.pytest_plugin.stopping import LAST_CALL, Stopping

pytestmark = pytest.mark.slow

TESTS = """
import os, signal, time

def test_first():
    {first}

def test_second():
    pass
"""


def run(pytester: pytest.Pytester, first: str) -> tuple[pytest.RunResult, list[str]]:
    """An inner session (a process of its own: it gets signals) run as ``h2oharness run`` runs it; the tests passed."""
    pytester.makepyfile(test_stop=TESTS.format(first=first))
    report = pytester.path / "reports"
    result = pytester.runpytest_subprocess("--harness-report-dir", str(report), "-p", "no:cacheprovider", "-rA")
    assert json.loads((report / "conformance.json").read_text())["exit_code"] is not None  # the report is written
    return result, [line.split("::")[-1] for line in result.outlines if line.startswith("PASSED ")]


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_signal_lets_the_running_test_finish_and_runs_no_other(pytester: pytest.Pytester, signum: str) -> None:
    result, passed = run(pytester, f"os.kill(os.getpid(), signal.{signum}); time.sleep(0.2)")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert passed == ["test_first"]  # not interrupted half way, and test_second never began


def test_a_second_signal_interrupts_at_once(pytester: pytest.Pytester) -> None:
    result, passed = run(pytester, "os.kill(os.getpid(), signal.SIGTERM); os.kill(os.getpid(), signal.SIGTERM)")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert passed == []


def test_the_deadline_stops_the_session_after_the_running_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_DEADLINE", str(int(time.time()) + 1))
    # the alarm goes off at least a second after the session starts; the first test outlasts that
    result, passed = run(pytester, "time.sleep(3)")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert passed == ["test_first"]


def test_a_test_that_outlasts_the_last_call_is_interrupted_and_the_report_written(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import h2oharness.pytest_plugin.stopping as stopping\nstopping.LAST_CALL = 1\n")
    # without the last call, the first test would pass after its 30 s
    result, passed = run(pytester, "os.kill(os.getpid(), signal.SIGTERM); time.sleep(30)")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert passed == []


def test_a_test_cut_short_at_the_last_call_leaves_no_nameless_case_in_junit_xml(pytester: pytest.Pytester) -> None:
    # pytest opens a junit case at a test's setup and names it at its call: the cut-short test was <testcase time=...
    # /> with no name, which CI listed as a test without one
    import xml.etree.ElementTree as ET

    pytester.makeconftest("import h2oharness.pytest_plugin.stopping as stopping\nstopping.LAST_CALL = 1\n")
    pytester.makepyfile(test_stop=TESTS.format(first="os.kill(os.getpid(), signal.SIGTERM); time.sleep(30)"))
    junit = pytester.path / "reports" / "junit.xml"
    result = pytester.runpytest_subprocess(
        "--harness-report-dir", str(junit.parent), "--junitxml", str(junit), "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    cases = list(ET.parse(junit).iter("testcase"))  # noqa: S314
    assert [case.get("name") for case in cases if not case.get("name")] == []


def test_a_stopped_run_s_report_says_which_api_s_tests_it_did_not_run(pytester: pytest.Pytester) -> None:
    # before, the report of a stopped run read as a whole one (exit 0): a baseline from it dropped the findings of
    # the tests it never ran, and report diff took the run for one that chose to test less
    pytester.mkdir("scenarios")
    first = "os.kill(os.getpid(), signal.SIGINT); time.sleep(0.2)"
    (pytester.path / "scenarios" / "test_coreplexml_stop.py").write_text(TESTS.format(first=first))
    (pytester.path / "scenarios" / "test_h2o3_stop.py").write_text("def test_never():\n    pass\n")
    report = pytester.path / "reports"
    result = pytester.runpytest_subprocess("--harness-report-dir", str(report), "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    conformance = json.loads((report / "conformance.json").read_text())
    errors = {api["slug"]: api["errors"] for api in conformance["apis"]}
    assert errors == {
        "coreplexml": ["the run was stopped: 1 of its 2 tests did not run (a resumed run runs them)"],
        "h2o3": ["the run was stopped: 1 of its 1 tests did not run (a resumed run runs them)"],
    }
    assert conformance["exit_code"] == 3


def test_a_stopped_run_s_junit_xml_has_an_error_per_api_for_the_tests_it_did_not_run_which_a_resume_drops(
    pytester: pytest.Pytester,
) -> None:
    # before, junit.xml held the tests that ran, all passed: CI reading it (not the exit code) showed the run green
    import xml.etree.ElementTree as ET

    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_coreplexml_stop.py").write_text(
        TESTS.format(first="os.kill(os.getpid(), signal.SIGINT); time.sleep(0.2)")
    )
    report = pytester.path / "reports"
    junit = report / "junit.xml"
    common = ["--harness-report-dir", str(report), "--junitxml", str(junit), "-p", "no:cacheprovider"]
    assert pytester.runpytest_subprocess(*common).ret == pytest.ExitCode.INTERRUPTED
    suite = ET.parse(junit).getroot().find("testsuite")  # noqa: S314
    assert suite is not None
    cases = {case.get("name"): case.find("error") for case in suite.iter("testcase")}
    assert list(cases) == ["test_first", "coreplexml: tests not run"]
    error = cases["coreplexml: tests not run"]
    assert error is not None
    assert error.get("message") == "the run was stopped: 1 of its 2 tests did not run (a resumed run runs them)"
    assert (suite.get("tests"), suite.get("errors")) == ("2", "1")
    # the resumed run ran them: the error case is not carried over
    resumed = pytester.runpytest_subprocess(*common, "--harness-resume")
    assert resumed.ret == pytest.ExitCode.OK
    suite = ET.parse(junit).getroot().find("testsuite")  # noqa: S314
    assert suite is not None
    assert [case.get("name") for case in suite.iter("testcase")] == ["test_first", "test_second"]
    assert (suite.get("tests"), suite.get("errors")) == ("2", "0")


def test_a_run_stopped_while_collecting_reports_the_apis_it_had_not_collected_yet(pytester: pytest.Pytester) -> None:
    # run --max-time shorter than the collection of four APIs (about 20 s): the report held the APIs collected before
    # the stop, and the one still to collect was missing from it, as if the run had not been asked to test it
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_coreplexml_a.py").write_text("def test_a():\n    pass\n")
    stop = "import os, signal, time\nos.kill(os.getpid(), signal.SIGTERM)\ntime.sleep(0.2)\n"
    (pytester.path / "scenarios" / "test_h2o3_b.py").write_text(stop + "def test_b():\n    pass\n")
    (pytester.path / "scenarios" / "test_workflows_c.py").write_text("def test_c():\n    pass\n")
    report = pytester.path / "reports"
    files = [f"scenarios/test_{name}.py" for name in ("coreplexml_a", "h2o3_b", "workflows_c")]
    result = pytester.runpytest_subprocess("--harness-report-dir", str(report), "-p", "no:cacheprovider", *files)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    conformance = json.loads((report / "conformance.json").read_text())
    errors = {api["slug"]: api["errors"] for api in conformance["apis"]}
    assert errors["workflows"] == [
        "the run was stopped before it collected this API's tests: none of them ran (a resumed run runs them)"
    ]
    assert errors["coreplexml"] == ["the run was stopped: 1 of its 1 tests did not run (a resumed run runs them)"]
    assert conformance["exit_code"] == 3


def test_a_last_call_after_the_tests_lets_the_report_be_written_while_xdist_ends_its_workers(
    pytester: pytest.Pytester,
) -> None:
    # the last call went off inside xdist's wait for a worker slow to end: a traceback, and no conformance.json
    pytester.makeconftest(
        "import time\n"
        "import h2oharness.pytest_plugin.stopping as stopping\n"
        # the test's outcome reaches the controller well within the last call, even on a busy machine
        "stopping.LAST_CALL = 3\n"
        "def pytest_unconfigure(config):\n"
        "    if hasattr(config, 'workerinput'):\n"
        "        time.sleep(6)  # a worker slow to end, as one whose session fixture stops a server\n"
    )
    stop = "os.kill(os.getppid(), signal.SIGTERM); os.kill(os.getpid(), signal.SIGTERM); time.sleep(0.2)"
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_coreplexml_stop.py").write_text(TESTS.format(first=stop))
    report = pytester.path / "reports"
    result = pytester.runpytest_subprocess("--harness-report-dir", str(report), "-p", "no:cacheprovider", "-n", "1")
    assert "Traceback" not in result.stdout.str() + result.stderr.str(), result.stderr.str()[-2000:]
    assert result.ret == pytest.ExitCode.INTERRUPTED
    (api,) = json.loads((report / "conformance.json").read_text())["apis"]
    assert api["errors"] == ["the run was stopped: 1 of its 2 tests did not run (a resumed run runs them)"]


CRASHING = """
import json, os, signal
from h2oharness.sweep import CRASH

def test_kills(record_property):
    failure = {"check": "server_crash", "message": "POST /api/experiments: the server died",
               "signature": "server crash: POST /api/experiments", "curl": "curl -X POST http://127.0.0.1:1/"}
    request = {"method": "POST", "path": "/api/experiments"}
    record_property(CRASH, json.dumps({"api": "coreplexml", "kind": "", "method": "POST", "id": "one",
                                       "path": "/api/experiments", "request": request, "failure": failure}))
    os.kill(os.getpid(), signal.SIGTERM)
"""


def _crashing_suite(pytester: pytest.Pytester, replay: str, *, stop: bool = False, api: str = "coreplexml") -> Path:
    """A suite of one test recording a crash of ``api`` (and stopping the run, with ``stop``), the crash replays
    replaced by ``replay`` (the source of a ``replay(crash, budget)`` function); the report folder."""
    pytester.makeconftest(
        "import os, signal, time\n"
        "import h2oharness.pytest_plugin.collector as collector\n"
        "import h2oharness.pytest_plugin.stopping as stopping\n"
        f"{replay}"
        "collector.confirm_recorded_crash = replay\n"
    )
    pytester.mkdir("scenarios")
    test = CRASHING if stop else CRASHING.replace("    os.kill(os.getpid(), signal.SIGTERM)\n", "")
    (pytester.path / "scenarios" / f"test_{api}_crash.py").write_text(test.replace('"coreplexml"', f'"{api}"'))
    return pytester.path / "reports"


def test_a_stopped_run_replays_no_crash_and_its_report_says_so(pytester: pytest.Pytester) -> None:
    # a stopped run went on to replay every crash on fresh servers, minutes of work after the user asked it to end
    replayed = pytester.path / "replayed"
    report = _crashing_suite(
        pytester,
        "def replay(crash, budget):\n"
        f"    open({str(replayed)!r}, 'w').close()\n"
        "    return {**crash, 'confirmed': False}\n",
        stop=True,
    )
    result = pytester.runpytest_subprocess("--harness-report-dir", str(report), "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert not replayed.exists()
    (defect,) = [d for api in json.loads((report / "conformance.json").read_text())["apis"] for d in api["defects"]]
    assert defect["reproduced"] == "not replayed: the run was stopped (a resumed run replays it)"
    # progress.jsonl keeps the crash unconfirmed, for the resumed run to replay
    lines = [json.loads(line) for line in (report / "progress.jsonl").read_text().splitlines()]
    assert [line["crash"].get("confirmed") for line in lines if "crash" in line] == [None]


def test_a_stop_during_the_crash_replays_cuts_them_short_at_the_last_call_and_the_report_says_so(
    pytester: pytest.Pytester,
) -> None:
    # the replays come after the tests: a stop then waited for every one of them (minutes on a real server)
    report = _crashing_suite(
        pytester,
        "stopping.LAST_CALL = 1\n"
        "def replay(crash, budget):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(30)  # a replay that restarts a server again and again\n"
        "    return {**crash, 'confirmed': False}\n",
    )
    result = pytester.runpytest_subprocess("--harness-report-dir", str(report), "-p", "no:cacheprovider")
    assert "Traceback" not in result.stdout.str() + result.stderr.str(), result.stderr.str()[-2000:]
    (defect,) = [d for api in json.loads((report / "conformance.json").read_text())["apis"] for d in api["defects"]]
    assert defect["reproduced"] == "not replayed: the run was stopped (a resumed run replays it)"


def test_the_crash_replays_after_the_tests_are_announced_and_each_outcome_said(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the replays restart servers for minutes after the last test's line, and nothing was said: the run looked hung
    # an H2O-3 crash: the harness replays those on fresh local servers (the others' are said at once, below)
    report = _crashing_suite(
        pytester,
        "def replay(crash, budget):\n"
        "    failure = {**crash['failure'], 'reproduced': f'not confirmed in {budget} replays'}\n"
        "    return {**crash, 'confirmed': False, 'failure': failure}\n",
        api="h2o3",
    )
    monkeypatch.setenv("HARNESS_CONFIRM_REPLAYS", "5")
    result = pytester.runpytest_subprocess(
        "--harness-report-dir", str(report), "-p", "no:cacheprovider", "-p", "no:terminal"
    )
    result.stderr.fnmatch_lines(
        [
            "[[]h2oharness] replaying 1 crash on fresh local servers to confirm and reduce it (at most 5 replays "
            "each, HARNESS_CONFIRM_REPLAYS); the report so far is written; Ctrl-C skips this",
            "[[]h2oharness] crash POST /api/experiments: not confirmed in 5 replays (* s)",
        ]
    )
    (defect,) = [d for api in json.loads((report / "conformance.json").read_text())["apis"] for d in api["defects"]]
    assert defect["reproduced"] == "not confirmed in 5 replays"


DOWN = """
from h2oharness.pytest_plugin.fixtures import SWEEP
from h2oharness.sweep import Sweep

def test_a_request_kills_the_live_target(coreplexml_target, request):
    sweep = request.config.stash.setdefault(SWEEP, Sweep())
    sweep.down[coreplexml_target.url] = ("2026-12-05T14:04:12Z", "GET /api/experiments got no answer either")

def test_a_later_scenario(coreplexml_http):
    coreplexml_http.get("/api/experiments")

def test_a_later_flow(coreplexml_session):
    pass

def test_a_later_stateful_flow(coreplexml_fresh_target):
    pass
"""


def test_a_flow_or_scenario_after_the_target_stayed_down_skips_as_the_contract_cases_do(
    pytester: pytest.Pytester,
) -> None:
    # a live H2O-3 killed by a sweep: the seed replay and the scenario after it failed on "connection refused",
    # two new failures that were the crash's consequence
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_coreplexml_down.py").write_text(DOWN)
    report = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        "--harness-report-dir", str(report), "-p", "no:cacheprovider", "-p", "no:randomly", "-rs"
    )
    assert result.parseoutcomes() == {"passed": 1, "skipped": 3}, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(["*target is down since 2026-12-05T14:04:12Z (server_crash recorded): GET*"])


ANSWERED_THEN_DOWN = """
import socket
from dataclasses import dataclass, field
from typing import Any

from h2oharness.targets import Target


@dataclass
class Operation:
    method: str = "get"
    path: str = "/api/experiments"


@dataclass
class Case:
    query: dict = field(default_factory=dict)
    body: Any = None
    media_type: Any = None
    path_parameters: dict = field(default_factory=dict)
    operation: Operation = field(default_factory=Operation)
    sent_method: Any = None
    method: str = "GET"
    formatted_path: str = "/api/experiments"

    def as_curl_command(self, headers=None, *, base_url=None):
        return f"curl -X GET '{base_url}/api/experiments'"

    def call(self, base_url=None, session=None, **kwargs):
        return "ok"  # answered; nothing listens there afterwards: the server went down after this answer


def test_answered_then_the_server_went_down(harness_sweep):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    assert harness_sweep.call(Case(), Target("live", url)) == "ok"
"""


def test_a_crash_seen_after_a_test_leaves_the_next_module_s_tests_alone(pytester: pytest.Pytester) -> None:
    # the sweep's fixture raised its ServerCrash (a BaseException, kept from hypothesis) in teardown: pytest passes
    # on Exceptions only there, left the module set up, and the next module's first test failed with "previous item
    # was not torn down properly" (a live CorePlexML killed mid-run: the seed test after the stateful flow)
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_coreplexml_a.py").write_text(ANSWERED_THEN_DOWN)
    (pytester.path / "scenarios" / "test_coreplexml_b.py").write_text("def test_unrelated():\n    pass\n")
    report = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        "--harness-report-dir", str(report), "-p", "no:cacheprovider", "-p", "no:randomly", "-rA"
    )
    assert "previous item was not torn down properly" not in result.stdout.str(), result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(["PASSED scenarios/test_coreplexml_b.py::test_unrelated"])
    lines = [json.loads(line) for line in (report / "progress.jsonl").read_text().splitlines()]
    assert {line["crash"]["path"] for line in lines if "crash" in line} == {"/api/experiments"}  # still recorded


def test_a_crash_of_an_api_the_harness_cannot_start_is_not_announced_as_replays(pytester: pytest.Pytester) -> None:
    # a live CorePlexML killed mid-run: "replaying 1 crash on fresh local servers ..." then "not replayed: the harness
    # cannot start a fresh CorePlexML Experiments"
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_coreplexml_crash.py").write_text(
        CRASHING.replace("    os.kill(os.getpid(), signal.SIGTERM)\n", "")
    )
    report = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        "--harness-report-dir", str(report), "-p", "no:cacheprovider", "-p", "no:terminal"
    )
    assert "replaying" not in result.stderr.str(), result.stderr.str()[-2000:]
    result.stderr.fnmatch_lines(
        ["[[]h2oharness] crash POST /api/experiments: not replayed: the harness cannot start a fresh CorePlexML*"]
    )


def test_the_lines_the_collector_says_mask_the_credentials_it_knows(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a server's words in a line (a replay's outcome, a failure's message) may echo a credential: the report masked
    # it, the terminal line did not
    report = _crashing_suite(
        pytester,
        "def replay(crash, budget):\n"
        "    failure = {**crash['failure'], 'reproduced': 'the server said: bad password s3cr3t-pass-77'}\n"
        "    return {**crash, 'confirmed': False, 'failure': failure}\n",
        api="h2o3",
    )
    monkeypatch.setenv("H2O3_PASSWORD", "s3cr3t-pass-77")
    result = pytester.runpytest_subprocess(
        "--harness-report-dir", str(report), "-p", "no:cacheprovider", "-p", "no:terminal"
    )
    assert "s3cr3t-pass-77" not in result.stderr.str() + result.stdout.str()
    result.stderr.fnmatch_lines(
        ["[[]h2oharness] crash POST /api/experiments: the server said: bad password [[]REDACTED]*"]
    )


@pytest.mark.parametrize(
    ("workers", "collected", "last_call"),
    [(2, 0, 1), (2, 81, int(LAST_CALL)), (None, 0, 1), (None, 81, int(LAST_CALL))],
)
def test_a_controller_stopped_before_the_collection_ended_makes_its_last_call_at_once(
    monkeypatch: pytest.MonkeyPatch, workers: int | None, collected: int, last_call: int
) -> None:
    # run --max-time 40s with a 2 MB --spec: the stop came while the workers still collected (30 s and more), no test
    # ran whose outcome to wait for, and the controller waited the whole last call (15 s) before writing its report
    report = types.SimpleNamespace(total=collected)  # the report collector: how many tests the workers collected
    config = types.SimpleNamespace(
        option=types.SimpleNamespace(numprocesses=workers),
        pluginmanager=types.SimpleNamespace(get_plugin=lambda name: report if name == "h2oharness-report" else None),
    )
    session = types.SimpleNamespace(shouldstop=False, config=config)
    stopping = Stopping(deadline=None, controller=True)
    stopping.session = session  # type: ignore[assignment]
    stopping.collected = bool(collected)  # without xdist, its own collection (pytest_collection_finish)
    alarms: list[int] = []
    monkeypatch.setattr(signal, "alarm", alarms.append)
    try:
        stopping._terminate(signal.SIGTERM, None)
    finally:
        stopping.pytest_unconfigure(config)  # type: ignore[arg-type]
    assert session.shouldstop == "stopped by SIGTERM"
    assert alarms[0] == last_call
