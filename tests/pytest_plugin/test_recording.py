"""junit.xml, as ``h2oharness run`` leaves it: a failure of the target is one readable line, never a traceback.

One run of the CLI against the h2oGPTe mock with a fault plan (a reset, a stream cut half way, an answer slower
than the request's deadline), all on loopback; and a bug of the harness itself, which keeps its traceback and
says what it is.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from h2oharness.errors import EXIT_HARNESS_ERROR

ROOT = Path(__file__).resolve().parents[2]
#: what pytest's long report and Python's traceback print for a frame
FRAMES = re.compile(r'Traceback \(most recent call last\)|File "[^"]+", line \d+|^\S+\.py:\d+: ', re.MULTILINE)
FAULTS = {
    ("GET", "/api/v1/models"): "reset",
    ("GET", "/api/v1/collections"): "latency=3",
    ("POST", "/api/v1/chats/*/completions"): "truncate=2",
}


def _suite(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A suite with h2oGPTe's contract test on two operations and its stream tests; a spec and a fault plan."""
    folder = tmp_path / "suite" / "contracts" / "h2ogpte"
    folder.mkdir(parents=True)
    (tmp_path / "suite" / "scenarios").mkdir()
    source = ROOT / "contracts" / "h2ogpte"
    (folder / "schemathesis.toml").write_text((source / "schemathesis.toml").read_text())
    (folder / "test_h2ogpte_streams.py").write_text((source / "test_h2ogpte_streams.py").read_text())
    (folder / "test_h2ogpte_contract.py").write_text(
        "from pathlib import Path\n\nfrom h2oharness.pytest_plugin.contract import contract_tests\n\n"
        "test_h2ogpte_contract, _flow = contract_tests('h2ogpte', Path(__file__).parent)\n"
    )
    document = yaml.safe_load((source / "openapi.yaml").read_text())
    kept: dict[str, Any] = {}
    for path in ("/api/v1/models", "/api/v1/collections"):
        item = {"get": document["paths"][path]["get"]}
        for response in item["get"]["responses"].values():
            response.pop("links", None)
        kept[path] = item
    spec = tmp_path / "h2ogpte.yaml"
    spec.write_text(yaml.safe_dump({**document, "paths": kept}))
    plan = tmp_path / "faults.yaml"
    rules = [{"method": method, "path": path, "fault": fault} for (method, path), fault in FAULTS.items()]
    plan.write_text(yaml.safe_dump({"seed": 1, "rules": rules}))
    return tmp_path / "suite", spec, plan


@pytest.fixture(scope="module")
def faulted(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    tmp_path = tmp_path_factory.mktemp("junit")
    suite, spec, plan = _suite(tmp_path)
    report = tmp_path / "report"
    command = [sys.executable, "-m", "h2oharness.cli", "run", "--target", "mock", "--api", "h2ogpte"]
    command += ["--suite-dir", str(suite), "--spec", f"h2ogpte={spec}", "--mock-faults", str(plan)]
    command += ["--report-dir", str(report), "--request-deadline", "1", "--test-deadline", "30"]
    # two workers, as a run has by default: each test's report crosses from its worker to the one writing junit.xml
    command += ["--max-examples", "1", "--workers", "2", "--max-time", "3m"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    # the guard against a hang: 6 tests, each bounded by its 30 s deadline and by --max-time
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path, check=False)
    return done, report


def _failures(report: Path, tag: str = "failure") -> dict[str, str]:
    """Each failed test case of junit.xml: its name -> its failure's (or error's) message and text."""
    found = {}
    # our own run's file, not untrusted input
    for case in ET.parse(report / "junit.xml").iter("testcase"):  # noqa: S314
        for failure in case.iter(tag):
            found[str(case.get("name"))] = f"{failure.get('message')}\n{failure.text}"
    return found


@pytest.mark.parametrize(
    ("test", "says"),
    [
        ("test_h2ogpte_contract[GET /api/v1/models]", "the target reset the connection"),
        ("test_h2ogpte_contract[GET /api/v1/collections]", "timed out"),
        ("test_completion_jsonl_stream", "JSONL stream cut before its end"),
    ],
)
def test_a_failure_of_the_target_is_one_readable_line_in_junit(
    faulted: tuple[subprocess.CompletedProcess[str], Path], test: str, says: str
) -> None:
    done, report = faulted
    failures = _failures(report)
    assert test in failures, (done.stderr[-3000:], sorted(failures))
    text = failures[test]
    assert not FRAMES.search(text), text
    line = text.splitlines()[0]
    assert line.startswith("FAILED h2ogpte "), line
    assert "against http://127.0.0.1:" in line, line
    assert says in line, line
    assert " -> " in line, line  # what to do about it


def test_the_failures_still_fail_the_run_and_the_report(faulted: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, report = faulted
    assert done.returncode == 1, done.stderr[-3000:]
    conformance = json.loads((report / "conformance.json").read_text())
    outcomes = {(op["method"], op["path"]): op["outcome"] for api in conformance["apis"] for op in api["operations"]}
    assert outcomes[("GET", "/api/v1/models")] == "failed"
    assert outcomes[("GET", "/api/v1/collections")] == "failed"
    assert not FRAMES.search((report / "junit.xml").read_text())
    assert not FRAMES.search(done.stderr), done.stderr[-3000:]


def _closed_port() -> int:
    """A loopback port nothing listens on (bound for a moment, closed again)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_inner(pytester: pytest.Pytester, report: Path) -> pytest.RunResult:
    """The inner suite in-process, with the harness's report and junit.xml in ``report``."""
    return pytester.runpytest_inprocess(
        "--harness-report-dir", str(report), "--junitxml", str(report / "junit.xml"), "-p", "no:cacheprovider"
    )


def test_a_bug_of_the_harness_keeps_its_traceback_and_says_so(pytester: pytest.Pytester) -> None:
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2ogpte_flows.py").write_text(
        "def test_broken():\n    {}['missing']\n\n\ndef test_check():\n    assert 401 == 200, 'the key was refused'\n"
    )
    report = pytester.path / "out"
    result = _run_inner(pytester, report)
    result.assert_outcomes(failed=2)
    failures = _failures(report)
    assert failures["test_broken"].startswith("internal error of h2oharness in h2ogpte scenario test_broken")
    assert "KeyError: 'missing'" in failures["test_broken"]
    assert FRAMES.search(failures["test_broken"])
    assert failures["test_check"].startswith("FAILED h2ogpte scenario test_check against the target: ")
    assert "the key was refused" in failures["test_check"]
    assert not FRAMES.search(failures["test_check"])
    # the report blames the harness, not the API: an error of the run, and the per-test line says which
    conformance = json.loads((report / "conformance.json").read_text())
    (api,) = conformance["apis"]
    assert [e for e in api["errors"] if e.startswith("internal error of h2oharness: KeyError: 'missing'")]
    scenarios = {s["name"]: s for s in api["scenarios"]}
    assert scenarios["test_broken"]["message"].startswith("internal error of h2oharness")
    assert "the key was refused" in scenarios["test_check"]["message"]
    assert conformance["exit_code"] == EXIT_HARNESS_ERROR


def test_the_openai_clients_connection_error_is_the_targets_failure(pytester: pytest.Pytester) -> None:
    # the openai scenario against a target that went away: the official client's own error, not a bug of ours
    pytest.importorskip("openai")
    port = _closed_port()
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2ogpte_openai_down.py").write_text(
        "import openai\n\n\ndef test_models():\n"
        f"    url = 'http://127.0.0.1:{port}/openai_api/v1'\n"
        "    openai.OpenAI(base_url=url, api_key='k', max_retries=0, timeout=10).models.list()\n"
    )
    report = pytester.path / "out"
    result = _run_inner(pytester, report)
    result.assert_outcomes(failed=1)
    text = _failures(report)["test_models"]
    # the client says only "Connection error."; the check names the request it sent, as the sweep's NoAnswer does
    prefix = "FAILED h2ogpte scenario test_models against the target: NoAnswer: GET /openai_api/v1/models: no complete"
    assert text.startswith(prefix), text
    assert "check that the target is up" in text
    assert not FRAMES.search(text), text


def test_a_cleanup_the_target_fails_is_one_readable_line(pytester: pytest.Pytester) -> None:
    # a scenario's fixture deletes what it made, and the target is gone by then
    port = _closed_port()
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_coreplexml_cleanup.py").write_text(
        "import httpx\nimport pytest\n\n\n@pytest.fixture\ndef project():\n    yield 'p1'\n"
        f"    httpx.delete('http://127.0.0.1:{port}/api/projects/p1', timeout=10)\n\n\n"
        "def test_lifecycle(project):\n    assert project\n"
    )
    report = pytester.path / "out"
    result = _run_inner(pytester, report)
    result.assert_outcomes(passed=1, errors=1)
    text = _failures(report, "error")["test_lifecycle"]
    prefix = "scenario test_lifecycle (its cleanup) against the target: NoAnswer: DELETE /api/projects/p1: no complete"
    assert prefix in text, text
    assert "check that the target is up" in text
    assert not FRAMES.search(text), text


def test_an_answer_an_official_client_cannot_parse_is_the_targets_failure(pytester: pytest.Pytester) -> None:
    # the openai scenario against a mock answering malformed JSON: the client lets the response's JSONDecodeError
    # through as it is; the harness's own json.loads of a file of its own stays a bug of the harness
    pytest.importorskip("openai")
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "test_h2ogpte_openai_malformed.py").write_text(
        "import json\n\nimport openai\n\nfrom h2oharness.apis import get_api\n"
        "from h2oharness.mocks.faults import FaultPlan\nfrom h2oharness.targets import serve_mock\n\n\n"
        "def test_models():\n"
        "    plan = FaultPlan.from_data([{'fault': 'malformed'}])\n"
        "    with serve_mock(get_api('h2ogpte'), faults=plan) as target:\n"
        "        key = target.credentials.token\n"
        "        with openai.OpenAI(base_url=f'{target.url}/openai_api/v1', api_key=key, max_retries=0) as client:\n"
        "            client.models.list()\n\n\n"
        "def test_own_file():\n    json.loads('{\"broken')\n"
    )
    report = pytester.path / "out"
    result = _run_inner(pytester, report)
    result.assert_outcomes(failed=2)
    failures = _failures(report)
    text = failures["test_models"]
    assert text.startswith("FAILED h2ogpte scenario test_models against the target: JSONDecodeError: "), text
    assert not FRAMES.search(text), text
    assert failures["test_own_file"].startswith("internal error of h2oharness in h2ogpte scenario test_own_file")
