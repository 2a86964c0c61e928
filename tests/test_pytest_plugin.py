"""The pytest plugin in inner sessions: targets per API kind, what counts as an operation in the report."""

from __future__ import annotations

import json
import shutil
import sys
import threading
import types
from pathlib import Path

import pytest
import yaml


def test_an_api_without_a_local_server_is_skipped_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_kinds="""
        def test_coreplexml(coreplexml_target):
            assert coreplexml_target.kind == "mock"
        """
    )
    result = pytester.runpytest_inprocess("--harness-target", "local", "-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*CorePlexML Experiments has no local target (it has: mock, live)*"])


def test_several_kinds_run_an_api_only_on_those_it_has(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_kinds="""
        def test_coreplexml(coreplexml_target):
            assert coreplexml_target.kind == "mock"
            assert coreplexml_target.credentials.token
        """
    )
    result = pytester.runpytest_inprocess("--harness-target", "mock,local", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_coreplexml?mock? PASSED*"])


def test_only_schemathesis_items_count_as_operations(pytester: pytest.Pytester) -> None:
    pytester.mkdir("contracts")
    pytester.mkdir("contracts/h2o3")
    (pytester.path / "contracts" / "h2o3" / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /3/Ping:\n    get:\n"
        "      responses:\n        '200': {description: ok}\n"
    )
    (pytester.path / "contracts" / "h2o3" / "test_ids.py").write_text(
        "import pytest, schemathesis\n"
        "from pathlib import Path\n"
        "from hypothesis import settings\n\n"
        "schema = schemathesis.openapi.from_path(str(Path(__file__).with_name('openapi.yaml')))\n\n"
        "@schema.parametrize()\n"
        "@settings(max_examples=1, database=None)\n"
        "def test_contract(case):\n"
        "    assert case.operation.path == '/3/Ping'\n\n"
        "@pytest.mark.parametrize('what', ['x'], ids=['GET /3/LooksLikeAnOperation'])\n"
        "def test_drift_like(what):\n"
        "    assert what == 'x'\n"
    )
    report = pytester.path / "out"
    result = pytester.runpytest_inprocess("--harness-report-dir", str(report), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    data = json.loads((report / "conformance.json").read_text())
    (api,) = data["apis"]
    assert [(op["method"], op["path"], op["outcome"]) for op in api["operations"]] == [("GET", "/3/Ping", "passed")]
    # a test of contracts/ that is no operation's (a flow, a seed replay) is reported as a flow, not a scenario
    (flow,) = api["scenarios"]
    assert (flow["name"], flow["flow"]) == ("test_drift_like[GET /3/LooksLikeAnOperation]", True)


_SENDING = """
import pytest, schemathesis
from pathlib import Path
from hypothesis import HealthCheck, settings
from h2oharness.mocks.serve import serve
from h2oharness.targets import Target

SEEN = []

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    SEEN.append(scope["path"])
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})

schema = schemathesis.openapi.from_path(str(Path(__file__).with_name("openapi.yaml")))

@pytest.fixture(scope="module")
def url():
    with serve(app) as served:
        yield served.url

@schema.include(path="/3/Ping").parametrize()
@settings(max_examples=5, database=None, suppress_health_check=list(HealthCheck))
def test_contract(case, url, harness_sweep):
    harness_sweep.call(case, Target("mock", url))

def test_sent_is_what_the_server_saw():
    Path("seen.txt").write_text(str(SEEN.count("/3/Ping")))
"""


def test_an_operation_counts_the_requests_its_cases_sent_through_the_sweep(pytester: pytest.Pytester) -> None:
    pytester.mkdir("contracts")
    pytester.mkdir("contracts/h2o3")
    (pytester.path / "contracts" / "h2o3" / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /3/Ping:\n    get:\n"
        "      parameters: [{name: n, in: query, required: true, schema: {type: integer}}]\n"
        "      responses:\n        '200': {description: ok}\n"
        "  /3/Pong:\n    get:\n      responses:\n        '200': {description: ok}\n"
    )
    (pytester.path / "contracts" / "h2o3" / "test_sent.py").write_text(_SENDING)
    report = pytester.path / "out"
    result = pytester.runpytest_inprocess("--harness-report-dir", str(report), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    # every request the server got for the operation, whatever its method (not the sweep's health probes)
    seen = int((pytester.path / "seen.txt").read_text())
    assert seen >= 2
    (api,) = json.loads((report / "conformance.json").read_text())["apis"]
    cases = {(op["path"], op["outcome"]): op["cases"] for op in api["operations"]}
    assert cases == {("/3/Ping", "passed"): seen, ("/3/Pong", "untested"): 0}


_ANSWERING = """
import pytest, schemathesis
from pathlib import Path
from urllib.parse import parse_qs
from hypothesis import HealthCheck, settings
from h2oharness.mocks.serve import serve
from h2oharness.targets import Target

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    query = parse_qs(scope["query_string"].decode())
    valid = scope["method"] == "GET" and [v.lstrip("-").isdigit() for v in query.get("n", [])] == [True]
    status = 404 if scope["path"] in ("/3/Gone", "/3/Todo") else 200 if valid else 400
    # what our mocks answer for an operation they do not implement
    headers = [(b"x-h2oharness-unimplemented", b"/3/Todo")] if scope["path"] == "/3/Todo" else []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})

schema = schemathesis.openapi.from_path(str(Path(__file__).with_name("openapi.yaml")))

@pytest.fixture(scope="module")
def url():
    with serve(app) as served:
        yield served.url

@schema.parametrize()
@settings(max_examples=5, database=None, suppress_health_check=list(HealthCheck))
def test_contract(case, url, harness_sweep):
    harness_sweep.call(case, Target("mock", url))
"""


def test_each_operation_reports_what_its_valid_requests_were_answered_and_whether_any_succeeded_or_was_unimplemented(
    pytester: pytest.Pytester,
) -> None:
    pytester.mkdir("contracts")
    pytester.mkdir("contracts/h2o3")
    query = "      parameters: [{name: n, in: query, required: true, schema: {type: integer}}]\n"
    (pytester.path / "contracts" / "h2o3" / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n"
        f"  /3/Ping:\n    get:\n{query}"
        "      responses:\n        '200': {description: ok}\n        '400': {description: bad n}\n"
        f"  /3/Gone:\n    get:\n{query}"
        "      responses:\n        '200': {description: ok}\n        '404': {description: none}\n"
        f"  /3/Todo:\n    get:\n{query}"
        "      responses:\n        '200': {description: ok}\n        '404': {description: none}\n"
    )
    (pytester.path / "contracts" / "h2o3" / "test_answering.py").write_text(_ANSWERING)
    report = pytester.path / "out"
    result = pytester.runpytest_inprocess("--harness-report-dir", str(report), "-p", "no:cacheprovider", "-rs")
    # the mock's 404 for what it does not implement tests nothing: untested, not passed
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*the mock does not implement GET /3/Todo: untested*"])
    (api,) = json.loads((report / "conformance.json").read_text())["apis"]
    outcomes = {op["path"]: op["outcome"] for op in api["operations"]}
    assert outcomes == {"/3/Gone": "passed", "/3/Ping": "passed", "/3/Todo": "untested"}
    answers = {op["path"]: op["answers"] for op in api["operations"]}
    # only the valid requests: the invalid n that got a 400 are the negative cases', not counted
    assert set(answers["/3/Ping"]) == {"200"}
    assert set(answers["/3/Gone"]) == {"404"}
    assert min(answers["/3/Ping"]["200"], answers["/3/Gone"]["404"]) >= 1
    page = (report / "conformance.html").read_text()
    assert page.count("no 2xx: only its error answers were checked") == 1
    assert "(1 never answered a valid request with 2xx)" in page


def test_a_target_the_cli_started_keeps_its_version(monkeypatch: pytest.MonkeyPatch) -> None:
    from h2oharness.settings import Settings
    from h2oharness.targets import Target

    monkeypatch.setenv("HARNESS_H2O3_URL", "http://127.0.0.1:54321")
    monkeypatch.setenv("HARNESS_H2O3_KIND", "local")
    monkeypatch.setenv("HARNESS_H2O3_VERSION", "3.46.0.12")
    handed = Settings.from_env().handed["H2O3"]
    target = Target.from_handed(handed)
    assert (target.kind, target.url, target.version) == ("local", "http://127.0.0.1:54321", "3.46.0.12")
    assert "H2OGPTE" not in Settings.from_env().handed


def test_an_interrupted_run_resumes_where_it_stopped_and_reports_whole(pytester: pytest.Pytester) -> None:
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2o3_flows.py").write_text(
        "def test_first():\n    assert True is not False\n\n"
        "def test_second():\n    assert 1 + 1 == 2\n\n"
        "def test_third():\n    assert 'a' < 'b'\n"
    )
    report = pytester.path / "out"
    first = pytester.runpytest_inprocess("--harness-report-dir", str(report), "-k", "first", "-p", "no:cacheprovider")
    first.assert_outcomes(passed=1, deselected=2)
    again = pytester.runpytest_inprocess(
        "--harness-report-dir", str(report), "--harness-resume", "-p", "no:cacheprovider"
    )
    again.assert_outcomes(passed=2, deselected=1)  # test_first is not run again
    again.stdout.fnmatch_lines(
        ["[[]h2oharness[]] 2/2 tests done (and 1 before the resume), * distinct defects, 0 server crashes, *"]
    )
    (api,) = json.loads((report / "conformance.json").read_text())["apis"]
    assert sorted(s["name"] for s in api["scenarios"]) == ["test_first", "test_second", "test_third"]
    assert not any(s["flow"] for s in api["scenarios"])
    fresh = pytester.runpytest_inprocess("--harness-report-dir", str(report), "-k", "third", "-p", "no:cacheprovider")
    fresh.assert_outcomes(passed=1, deselected=2)
    (api,) = json.loads((report / "conformance.json").read_text())["apis"]
    assert [s["name"] for s in api["scenarios"]] == ["test_third"]  # without --harness-resume a run starts over


def test_a_resumed_runs_junit_xml_holds_the_tests_of_the_sessions_before_it(pytester: pytest.Pytester) -> None:
    # pytest wrote junit.xml over with the resumed session's tests alone: a failure before the stop left CI's view
    import xml.etree.ElementTree as ET

    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2o3_resumed.py").write_text(
        "def test_first():\n    assert 'a' < 'b'\n\n"
        "def test_broken():\n    assert 1 + 1 == 3, 'the sum is off'\n\n"
        "def test_third():\n    assert 'b' < 'c'\n"
    )
    report = pytester.path / "out"
    junit = report / "junit.xml"
    common = ["--harness-report-dir", str(report), "--junitxml", str(junit), "-p", "no:cacheprovider"]
    pytester.runpytest_inprocess(*common, "-k", "first or broken").assert_outcomes(passed=1, failed=1, deselected=1)
    pytester.runpytest_inprocess(*common, "--harness-resume").assert_outcomes(passed=1, deselected=2)
    suite = ET.parse(junit).getroot().find("testsuite")  # noqa: S314
    assert suite is not None
    assert {name: suite.get(name) for name in ("tests", "failures", "errors", "skipped")} == {
        "tests": "3",
        "failures": "1",
        "errors": "0",
        "skipped": "0",
    }
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == ["test_first", "test_broken", "test_third"]
    failure = cases["test_broken"].find("failure")
    assert failure is not None
    assert "the sum is off" in (failure.get("message") or "") + (failure.text or "")


def test_a_resume_with_another_scope_is_a_usage_error_naming_it(pytester: pytest.Pytester) -> None:
    # progress.jsonl kept no options: the records of a run of other tests or scope were reported as this one's
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2o3_flows.py").write_text("def test_first():\n    pass\n")
    (pytester.path / "scenarios" / "test_workflows_flows.py").write_text("def test_other():\n    pass\n")
    report = pytester.path / "out"
    args = ("--harness-report-dir", str(report), "-p", "no:cacheprovider")
    pytester.runpytest_inprocess(*args, "scenarios/test_h2o3_flows.py").assert_outcomes(passed=1)
    other = pytester.runpytest_inprocess(*args, "--harness-resume", "scenarios/test_workflows_flows.py")
    assert other.ret == pytest.ExitCode.USAGE_ERROR
    other.stderr.fnmatch_lines(
        [
            "*cannot resume the run in *out: it was made with other options (the tests (--api) "
            "scenarios/test_h2o3_flows.py then, scenarios/test_workflows_flows.py now)*"
        ]
    )
    wider = pytester.runpytest_inprocess(
        *args, "--harness-resume", "--harness-all-operations", "scenarios/test_h2o3_flows.py"
    )
    assert wider.ret == pytest.ExitCode.USAGE_ERROR
    wider.stderr.fnmatch_lines(["*(--all-operations false then, true now)*"])
    same = pytester.runpytest_inprocess(*args, "--harness-resume", "scenarios/test_h2o3_flows.py")
    same.assert_outcomes(deselected=1)  # done before: nothing left to run


def test_collect_only_leaves_the_report_folder_as_it_was(pytester: pytest.Pytester) -> None:
    """``--collect-only`` runs nothing: before, it wrote an empty report over the last run's and emptied its
    progress.jsonl, so that run could neither be read nor resumed."""
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2o3_flows.py").write_text(
        "def test_first():\n    assert True is not False\n\n\ndef test_second():\n    assert 1 + 1 == 2\n"
    )
    report = pytester.path / "out"
    args = ("--harness-report-dir", str(report), "-p", "no:cacheprovider")
    pytester.runpytest_inprocess(*args, "-k", "first").assert_outcomes(passed=1, deselected=1)
    before = {path.name: path.read_bytes() for path in report.iterdir()}
    listed = pytester.runpytest_inprocess(*args, "--collect-only", "--harness-resume")
    listed.stdout.fnmatch_lines(["*test_second*"])
    assert "test_first" not in listed.stdout.str()  # what a resume would run
    assert {path.name: path.read_bytes() for path in report.iterdir()} == before


def test_a_users_own_test_meets_an_unusable_target_as_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test of the user's own (not under contracts/ or scenarios/) asking for a live target that refuses the key:
    before, pytest showed the plugin's fixture source with the error at its end."""
    from h2oharness.apis.coreplexml.mock import make_app
    from h2oharness.mocks.serve import serve

    pytester.makepyfile(
        test_mine="def test_mine(coreplexml_http):\n    assert coreplexml_http\n\n\n"
        "def test_mine_too(coreplexml_http):\n    assert coreplexml_http\n"
    )
    with serve(make_app()) as served:
        monkeypatch.setenv("COREPLEXML_URL", served.url)
        monkeypatch.setenv("COREPLEXML_API_KEY", "not-the-key")
        result = pytester.runpytest_inprocess("--harness-target", "live", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            f"test_mine.py::test_mine: the live target could not be used: {served.url} refused the credentials*",
            f"test_mine.py::test_mine_too: not run, the live target could not be used: {served.url} refused the*",
        ]
    )
    # the second has the reason short, not what to do again; not "as above", which junit.xml's case has nothing above
    assert not [line for line in result.stdout.lines if "test_mine_too" in line and " -> " in line]
    assert "def target(" not in result.stdout.str()


def test_a_resumed_run_runs_the_tests_its_target_kept_from_running(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from h2oharness.apis.coreplexml.mock import make_app
    from h2oharness.apis.coreplexml.mockparts.state import DEFAULT_API_KEY
    from h2oharness.mocks.serve import serve

    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_coreplexml_reach.py").write_text(
        "def test_one(coreplexml_target):\n    assert coreplexml_target.url\n\n\n"
        "def test_two(coreplexml_target):\n    assert coreplexml_target.url\n"
    )
    report = pytester.path / "out"
    args = ("--harness-target", "live", "--harness-report-dir", str(report), "-p", "no:cacheprovider")
    with serve(make_app()) as served:
        monkeypatch.setenv("COREPLEXML_URL", served.url)
        monkeypatch.setenv("COREPLEXML_API_KEY", "wrong")
        pytester.runpytest_inprocess(*args).assert_outcomes(errors=2)  # refused: nothing ran
        monkeypatch.setenv("COREPLEXML_API_KEY", DEFAULT_API_KEY)
        again = pytester.runpytest_inprocess(*args, "--harness-resume")
    again.assert_outcomes(passed=2)  # before, both were "done" and the resumed run ran nothing
    (api,) = json.loads((report / "conformance.json").read_text())["apis"]
    assert [(s["name"], s["outcome"]) for s in api["scenarios"]] == [("test_one", "passed"), ("test_two", "passed")]
    assert api["errors"] == []


def test_real_keys_are_asked_for_by_option_and_handed_to_the_contract_modules(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # set through monkeypatch so that what the inner session writes into os.environ is undone afterwards
    monkeypatch.setenv("HARNESS_REAL_KEYS", "0")
    pytester.makepyfile(
        test_keys="""
        import os

        def test_flag():
            assert os.environ.get("HARNESS_REAL_KEYS") == "1"
        """
    )
    pytester.runpytest_inprocess("--harness-real-keys", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_without_pytest_terminal_the_collector_says_each_test_and_collection_errors(pytester: pytest.Pytester) -> None:
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2o3_flows.py").write_text(
        "import pytest\n\n"
        "def test_fine():\n    assert True is not False\n\n"
        "def test_broken():\n    raise AssertionError('job FAILED:\\n out of memory')\n\n"
        "def test_later():\n    pytest.skip('no data set')\n"
    )
    (pytester.path / "scenarios" / "test_h2o3_typo.py").write_text("def test_x(:\n")
    report = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        "--harness-report-dir", str(report), "-p", "no:terminal", "-p", "no:cacheprovider",
        "--continue-on-collection-errors",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.outlines == []  # pytest's own terminal is off: no dots, no argv, no summary
    result.stderr.fnmatch_lines(
        [
            "[[]h2oharness[]] cannot collect scenarios/test_h2o3_typo.py: *SyntaxError*",
            "[[]h2oharness[]] 3 tests collected; a line per test as it finishes",
            "[[]1/3[]] h2o3 *scenario test_fine * passed (*s)",
            "[[]2/3[]] h2o3 *scenario test_broken * FAILED: job FAILED: out of memory (*s)",
            "[[]3/3[]] h2o3 *scenario test_later * skipped: no data set (*s)",
        ]
    )


def test_with_pytest_terminal_the_collector_adds_no_line_per_test(pytester: pytest.Pytester) -> None:
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2o3_flows.py").write_text("def test_fine():\n    assert True\n")
    result = pytester.runpytest_inprocess("--harness-report-dir", str(pytester.path / "out"), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "[1/1]" not in result.stdout.str() + result.stderr.str()


def test_drift_does_not_carry_the_runs_scratch_folder(pytester: pytest.Pytester) -> None:
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2o3_drifts.py").write_text(
        "def test_d(harness_drift, tmp_path):\n"
        "    harness_drift(source='s', what='w', expected='e', observed=f'Key not loaded: {tmp_path}/train.csv')\n"
    )
    report = pytester.path / "out"
    pytester.runpytest_inprocess("--harness-report-dir", str(report), "-p", "no:cacheprovider").assert_outcomes(
        passed=1
    )
    (api,) = json.loads((report / "conformance.json").read_text())["apis"]
    # the same drift reads the same on every run, so a report diff does not call it new
    assert [d["observed"] for d in api["drift"]] == ["Key not loaded: <tmp>/train.csv"]


def test_junit_carries_drift_as_json_not_a_python_repr(pytester: pytest.Pytester) -> None:
    # before: value="{'source': 's', 'what': ...}", a dict's repr that no CI tool or JSON reader could read
    import xml.etree.ElementTree as ET

    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2o3_drifting.py").write_text(
        "def test_d(harness_drift):\n    harness_drift(source='s', what=\"the 'key'\", expected='e', observed='o é')\n"
    )
    report = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        "--harness-report-dir", str(report), "--junitxml", str(report / "junit.xml"), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
    found = ET.parse(report / "junit.xml").getroot().iter("property")  # noqa: S314 (the test's own file)
    values = [json.loads(p.get("value", "")) for p in found if p.get("name") == "h2oharness-drift"]
    assert values == [{"source": "s", "what": "the 'key'", "expected": "e", "observed": "o é"}]
    (api,) = json.loads((report / "conformance.json").read_text())["apis"]
    assert [(d["what"], d["observed"]) for d in api["drift"]] == [("the 'key'", "o é")]


def test_the_report_records_the_scope_of_the_run(pytester: pytest.Pytester) -> None:
    # before: conformance.json did not say what the run set out to test, so report diff could not say it changed
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2o3_scoped.py").write_text("def test_a():\n    pass\n")
    report = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        "scenarios", "--harness-report-dir", str(report), "--harness-max-examples", "3", "--harness-all-operations",
        "-k", "test_a", "-p", "no:cacheprovider",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    scope = json.loads((report / "conformance.json").read_text())["scope"]
    assert scope == {
        "tests": "scenarios",
        "all_operations": "true",
        "include_destructive": "false",
        "real_keys": "false",
        "max_examples": "3",
        "budget": "",
        "select": "-k test_a",
    }


def test_progress_and_junit_carry_no_secret_of_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "planted-h2o3-p4ssword"
    monkeypatch.setenv("H2O3_PASSWORD", secret)
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2o3_flows.py").write_text(
        f"def test_echo():\n    assert 'server said: {secret}' == ''\n"
    )
    report = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        "--harness-report-dir", str(report), "--junitxml", str(report / "junit.xml"), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    junit = (report / "junit.xml").read_text()
    assert "server said: [REDACTED]" in junit  # the failure is there, its secret is not
    assert secret not in junit
    assert secret not in (report / "progress.jsonl").read_text()
    assert "[REDACTED]" in (report / "progress.jsonl").read_text()


def test_a_live_target_that_cannot_be_used_leaves_its_tests_unrun_and_the_other_kinds_go_on(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    import h2oharness.targets

    probes: list[str] = []
    real_probe = h2oharness.targets.probe

    def counted(url: str, *args: object, **kwargs: object) -> str:
        probes.append(url)
        return real_probe(url, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(h2oharness.targets, "probe", counted)
    monkeypatch.setenv("COREPLEXML_URL", "http://127.0.0.1:9")  # nothing listens there
    contract = Path(__file__).resolve().parent.parent / "contracts" / "coreplexml" / "openapi.yaml"
    pytester.mkdir("contracts")
    pytester.mkdir("contracts/coreplexml")
    (pytester.path / "contracts" / "coreplexml" / "openapi.yaml").write_text(contract.read_text())
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_coreplexml_reach.py").write_text(
        "def test_one(coreplexml_target):\n    assert coreplexml_target.url\n\n\n"
        "def test_two(coreplexml_target):\n    assert coreplexml_target.url\n"
    )
    report = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        "--harness-target", "live,mock", "--harness-report-dir", str(report), "-p", "no:cacheprovider"
    )
    # before, the first test's probe ended the whole session: the mock's tests unrun, a report of nothing, exit 0
    result.assert_outcomes(passed=2, errors=2)
    assert probes == ["http://127.0.0.1:9"]  # met once, not once per test
    data = json.loads((report / "conformance.json").read_text())
    assert data["exit_code"] == 3
    live, mock = sorted(data["apis"], key=lambda api: api["target"])
    assert (live["target"], live["target_url"]) == ("live", "http://127.0.0.1:9")
    assert live["counts"]["scenarios_skipped"] == 2
    assert [e.split(": GET")[0] for e in live["errors"]] == [
        "the live target could not be used: cannot reach http://127.0.0.1:9"
    ]
    assert (mock["target"], mock["counts"]["scenarios_passed"], mock["errors"]) == ("mock", 2, [])


def test_a_malformed_openapi_document_given_for_an_api_is_its_error_in_the_report(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = pytester.path / "bad.yaml"
    bad.write_text("openapi: 3.0.3\ninfo: {title: t\npaths: {}\n")
    monkeypatch.setenv("HARNESS_COREPLEXML_SPEC", str(bad))  # what run --spec hands down
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_coreplexml_reach.py").write_text(
        "def test_one(coreplexml_target):\n    assert coreplexml_target.url\n"
    )
    report = pytester.path / "out"
    result = pytester.runpytest_inprocess("--harness-report-dir", str(report), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    # before, building the report parsed the document again and the session ended in a YAML traceback, no report
    (api,) = json.loads((report / "conformance.json").read_text())["apis"]
    (error,) = api["errors"]
    assert error.startswith(f"the OpenAPI document given for coreplexml: {bad} is not valid YAML/JSON: "), error


def test_a_document_given_for_an_api_is_checked_once_by_the_xdist_controller_not_again_in_each_worker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "contracts" / "coreplexml", pytester.path / "contracts" / "coreplexml")
    given = pytester.path / "given.yaml"
    shutil.copy(root / "contracts" / "coreplexml" / "openapi.yaml", given)
    monkeypatch.setenv("HARNESS_COREPLEXML_SPEC", str(given))
    # under xdist this test runs in a worker, whose name the session it starts would inherit
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    log = pytester.path / "validated.log"
    # each process (controller, workers) notes each full check it makes of a document
    pytester.makeconftest(
        f"""
import os
import h2oharness.openapi as openapi

_real = openapi.validate_openapi

def _noted(document):
    with open({str(log)!r}, "a") as out:
        out.write(os.environ.get("PYTEST_XDIST_WORKER", "controller") + "\\n")
    return _real(document)

openapi.validate_openapi = _noted

def pytest_deselected(items):
    with open({str(log)!r}, "a") as out:
        out.write(f"{{os.environ.get('PYTEST_XDIST_WORKER', 'controller')}}-deselected-{{len(items)}}\\n")
"""
    )
    # the workers collect everything, then run nothing (xdist runs --collect-only in one process)
    args = ("-n", "2", "-k", "no_test_has_this_name", "-p", "no:cacheprovider", "contracts")
    pytester.runpytest_subprocess(*args)
    # before, the controller checked nothing and each worker the whole document (~6 s of CPU for H2O-3's 2 MB)
    assert sorted(log.read_text().split()) == ["controller", "gw0-deselected-26", "gw1-deselected-26"]


def test_a_document_given_for_an_api_is_read_for_the_report_while_the_tests_run_not_after_them(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from h2oharness.pytest_plugin import conformance

    given = pytester.path / "given.yaml"
    given.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
        "paths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n"
    )
    events = types.SimpleNamespace(seen=[])
    monkeypatch.setitem(sys.modules, "h2oharness_events", events)
    read = conformance.documented_operations

    def documented(path: Path) -> list[tuple[str, str]]:
        events.seen.append(f"read {path.name} in {threading.current_thread().name}")
        return read(path)

    monkeypatch.setattr(conformance, "documented_operations", documented)
    monkeypatch.setenv("HARNESS_COREPLEXML_SPEC", str(given))
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_coreplexml_reach.py").write_text(
        "import h2oharness_events\n\ndef test_one(coreplexml_target):\n    h2oharness_events.seen.append('test')\n"
    )
    report = pytester.path / "out"
    result = pytester.runpytest_inprocess("--harness-report-dir", str(report), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    # before, the report read it once the tests were over (in the main thread, where a stop's last call could cut it
    # short): seconds for a large one, spent past a --max-time's stop; now once, from the session's start on
    assert sorted(events.seen) == ["read given.yaml in h2oharness-read-specs", "test"]
    (api,) = json.loads((report / "conformance.json").read_text())["apis"]
    assert api["errors"] == []
    assert [(op["method"], op["path"], op["outcome"]) for op in api["operations"]] == [("GET", "/a", "untested")]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("--harness-target", "staging"), "ERROR: unknown target 'staging'; choose one of: mock, local, live"),
        (("--harness-max-examples", "0"), "ERROR: --harness-max-examples must be at least 1, got 0"),
        (("--harness-max-restarts", "-1"), "ERROR: --harness-max-restarts must be 0 or more, got -1"),
        (("--harness-confirm-replays", "-5"), "ERROR: --harness-confirm-replays must be 0 or more, got -5"),
        # httpx refused the negative timeout in every request: each test was an internal error
        (("--harness-request-deadline", "-1"), "ERROR: --harness-request-deadline must be a positive number"),
        # every test failed with setitimer's OverflowError, a traceback each
        (("--harness-test-deadline", "inf"), "ERROR: --harness-test-deadline must be a positive number"),
        (("--harness-run-deadline", "1e12"), "ERROR: --harness-run-deadline must be a positive number"),
        (
            ("--harness-target", "live", "--harness-url", "ftp://x"),
            "ERROR: --harness-url must start with http:// or https://, got 'ftp://x'",
        ),
        (("--harness-report-dir", "test_x.py"), "ERROR: --harness-report-dir test_x.py: cannot make that folder"),
        # it ran every test again, as a run of its own: no folder had the progress to go on from
        (
            ("--harness-resume",),
            "ERROR: --harness-resume goes on from the progress.jsonl of a report folder: give it --harness-report-dir",
        ),
        # ignored, as they were, the run against the mock passed for one against the server named
        (("--harness-url", "http://staging:8080"), "ERROR: --harness-url is for --harness-target live; mock would"),
        (
            ("--harness-target", "mock,local", "--harness-api-key", "k"),
            "ERROR: --harness-api-key is for --harness-target live; mock, local would ignore it",
        ),
    ],
)
def test_options_that_cannot_mean_a_run_are_one_usage_error_before_collection(
    pytester: pytest.Pytester, args: tuple[str, ...], line: str
) -> None:
    # before: an error with pluggy's teardown noise per module, hypothesis' error per contract module, or every
    # live test failing with the same bad URL
    pytester.makepyfile(test_x="def test_x(coreplexml_target):\n    assert coreplexml_target.url\n")
    result = pytester.runpytest_subprocess(*args, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.lines[0].startswith(line), result.stderr.lines


@pytest.mark.parametrize("value", ["", " "])
@pytest.mark.parametrize(
    "option",
    [
        "--harness-target",
        "--harness-url",
        "--harness-username",
        "--harness-password",
        "--harness-api-key",
        "--harness-report-dir",
        "--harness-mock-faults",
        "--harness-budget",
    ],
)
def test_an_option_given_an_empty_or_blank_value_is_a_usage_error(
    pytester: pytest.Pytester, option: str, value: str
) -> None:
    """An empty value is a mistake, not the option left out: ``--harness-report-dir ''`` wrote no report at all,
    ``--harness-mock-faults ''`` injected no faults, and the run passed."""
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest_inprocess(option, value, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    word = "blank" if value else "empty"
    result.stderr.fnmatch_lines([f"*error: argument {option}: {value!r} is {word}: give a value, or leave it out"])


def test_an_in_process_session_leaves_no_scope_to_the_next(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the plugin exports its scope for the contract modules and the xdist workers; a session run in-process left
    # HARNESS_ALL_OPERATIONS set, and a later run of the same worker (the CLI in-process) tested every operation
    import os

    monkeypatch.delenv("HARNESS_ALL_OPERATIONS", raising=False)
    monkeypatch.setenv("HARNESS_MAX_EXAMPLES", "7")
    pytester.makepyfile(
        "import os\n\ndef test_scope():\n    assert os.environ['HARNESS_ALL_OPERATIONS'] == '1'\n"
        "    assert os.environ['HARNESS_MAX_EXAMPLES'] == '3'\n"
    )
    flags = ("--harness-all-operations", "--harness-max-examples", "3", "-p", "no:cacheprovider")
    result = pytester.runpytest_inprocess(*flags)
    result.assert_outcomes(passed=1)  # exported while the session ran
    assert "HARNESS_ALL_OPERATIONS" not in os.environ
    assert os.environ["HARNESS_MAX_EXAMPLES"] == "7"  # what was there before is put back


def test_an_unusable_spec_given_for_an_api_is_one_line_where_its_contract_module_is_collected(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it was schemathesis' traceback, ending in "FileNotFoundError: [Errno 2] No such file or directory"
    missing = pytester.path / "missing.yaml"
    monkeypatch.setenv("HARNESS_COREPLEXML_SPEC", str(missing))
    pytester.mkdir("contracts")
    pytester.mkdir("contracts/coreplexml")
    (pytester.path / "contracts" / "coreplexml" / "test_c.py").write_text(
        "from pathlib import Path\n\nfrom h2oharness.pytest_plugin.contract import contract_tests\n\n"
        "test_contract, test_flow = contract_tests('coreplexml', Path(__file__).parent)\n"
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    said = f"HARNESS_COREPLEXML_SPEC: cannot read {missing}: No such file or directory"
    lines = result.stdout.lines
    heading = next(n for n, line in enumerate(lines) if "ERROR collecting contracts/coreplexml/test_c.py" in line)
    assert lines[heading + 1] == said, lines
    assert not [line for line in lines if "Traceback" in line or "FileNotFoundError" in line]


def test_a_missing_path_under_xdist_is_refused_as_pytest_alone_refuses_it(pytester: pytest.Pytester) -> None:
    # xdist lost the workers' "file or directory not found": nothing ran, the existing file's test neither, and the
    # run said only "no tests ran" (exit 5)
    pytester.makepyfile(test_here="def test_here():\n    assert 'here'.upper() == 'HERE'\n")
    result = pytester.runpytest_subprocess("-n", "1", "-p", "no:cacheprovider", "test_here.py", "test_nope.py::test_x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*file or directory not found: test_nope.py"])
    # the paths that exist run as before, with or without a test named after them
    ran = pytester.runpytest_subprocess("-n", "1", "-p", "no:cacheprovider", "test_here.py::test_here", ".")
    assert ran.ret == pytest.ExitCode.OK


def test_a_session_that_selects_no_test_reports_pytests_exit_status_not_a_pass(pytester: pytest.Pytester) -> None:
    """pytest exits 5 when ``-k`` deselects every test; its report recorded exit 0 and read "conforms"."""
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2o3_flows.py").write_text("def test_first():\n    assert 1 + 1 == 2\n")
    report = pytester.path / "out"
    result = pytester.runpytest_inprocess("--harness-report-dir", str(report), "-k", "nothing_matches")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    written = json.loads((report / "conformance.json").read_text())
    assert written["exit_code"] == pytest.ExitCode.NO_TESTS_COLLECTED
    assert written["summary"].startswith("No test ran")
    html = (report / "conformance.html").read_text()
    assert ">no test ran</span>" in html
    assert "conforms" not in html
    assert "No new failures" not in html


@pytest.mark.parametrize("kind", ["live", "mock"])
def test_the_h2o3_scenario_brings_its_own_data_and_leaves_h2o3_dataset_path_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # H2O3_DATASET_PATH is the server's CSV for the contract flows: on live the scenario imported it and failed on
    # its own columns ("assert 4 == 5"); on mock and local it wrote its CSV over the file
    import shutil
    from pathlib import Path

    from h2oharness.apis.h2o3.mock import default_state, make_app
    from h2oharness.mocks.serve import serve

    root = Path(__file__).resolve().parents[1]
    pytester.mkdir("scenarios")
    # under a name of its own: a session in this process that ran the suite's scenario has imported a module of that
    # name, and the in-process run refused the copy ("import file mismatch")
    shutil.copy(
        root / "scenarios" / "test_h2o3_parse_train_predict.py",
        pytester.path / "scenarios" / "test_h2o3_own_data_copy.py",
    )
    dataset = pytester.path / "users.csv"
    dataset.write_text("a,b,c,y\n" + "".join(f"{i},{i % 3},x,{'yes' if i % 2 else 'no'}\n" for i in range(30)))
    before = dataset.read_text()
    monkeypatch.setenv("H2O3_DATASET_PATH", str(dataset))
    with serve(make_app(default_state(speed=20))) as served:
        monkeypatch.setenv("H2O3_URL", served.url)
        result = pytester.runpytest_inprocess("--harness-target", kind, "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    assert dataset.read_text() == before


def test_a_fault_plan_whose_path_meets_no_route_is_refused_with_pytest_too(pytester: pytest.Pytester) -> None:
    # `h2oharness run` refused it, naming the closest routes; pytest took it and the fault never fired
    plan = pytester.path / "faults.yaml"
    plan.write_text("rules:\n  - {path: /3/Jobz/*, fault: status=503}\n")
    pytester.makepyfile(test_x="def test_x():\n    assert 'x' * 2 == 'xx'\n")
    result = pytester.runpytest_subprocess("--harness-mock-faults", str(plan), "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*rule 1: path '/3/Jobz/[*]' matches no route of the h2o3 or *did you mean '/3/Jobs'*"]
    )
    # a glob of any API's routes is taken: which APIs the session tests is known only once it has collected
    plan.write_text("rules:\n  - {path: /api/v1/collections*, fault: status=503}\n")
    assert pytester.runpytest_subprocess("--harness-mock-faults", str(plan), "-p", "no:cacheprovider").ret == 0


def test_a_given_document_libyaml_cannot_read_is_read_with_pyyamls_parser_for_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the report's fast read (libyaml) failed on a document the full check (PyYAML) took; it then read it again with
    # libyaml, unguarded, and the exception went up through the report's build
    from h2oharness.pytest_plugin import conformance

    given = tmp_path / "given.yaml"
    given.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
        "paths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n"
    )
    read = conformance.documented_operations

    def libyaml_stops(path: Path, fast: bool = True) -> list[tuple[str, str]]:
        if fast:
            raise yaml.YAMLError("libyaml's own nesting limit")
        return read(path, fast=False)

    monkeypatch.setattr(conformance, "documented_operations", libyaml_stops)
    conformance._given_operations.cache_clear()
    assert conformance.given_operations(given) == ([("GET", "/a")], "")
    conformance._given_operations.cache_clear()
