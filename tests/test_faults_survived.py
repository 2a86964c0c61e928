"""The harness survives every fault a mock injects, for each API: ``h2oharness run`` ends in bounded time with a named
failed check naming each faulted request, and no traceback, in one run of the four APIs' contract tests.

Each API's contract is cut down to a few operations (``--spec``), each hit by one fault of one plan
(``--mock-faults``); the run has short deadlines. The subprocess timeout is a guard against a hang, not a measure.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from h2oharness.apis import APIS, get_api
from h2oharness.apis.coreplexml.mock import EXPERIMENT_TIMEOUT
from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mock import JOB_TIMEOUT
from h2oharness.apis.h2ogpte.mock import INGEST_TIMEOUT
from h2oharness.apis.workflows.mock import RUN_TIMEOUT
from h2oharness.errors import JobTimeout, ProgressRegressed
from h2oharness.http.polling import Backoff, JobStatus, wait_for_job
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.faults import FaultPlan
from h2oharness.targets import serve_mock

ROOT = Path(__file__).resolve().parent.parent
#: per API: the operation each fault hits, plus its health check's operation, left alone
FAULTED: dict[str, dict[str, str]] = {
    "h2o3": {
        "GET /3/About": "reset",
        "GET /3/Capabilities": "drip=0.2",
        "GET /3/Capabilities/API": "truncate",
        "GET /3/Capabilities/Core": "latency=5",
        "GET /3/Frames": "malformed",
        "GET /3/InitID": "status=503",
        "GET /3/Jobs": "content-type=text/html",
        "GET /3/Jobs/{job_id}": "expire",
    },
    "coreplexml": {
        "GET /api/projects": "reset",
        "GET /api/experiments/capabilities": "drip=0.2",
        "POST /api/projects": "truncate",
        "GET /api/projects/{project_id}": "latency=5",
        "GET /api/datasets/{dataset_id}": "malformed",
        "GET /api/experiments": "status=503",
        "GET /api/experiments/{experiment_id}": "content-type=text/html",
        "GET /api/experiments/{experiment_id}/status": "expire",
    },
    "workflows": {
        "GET /version": "reset",
        "GET /v1/workspaces/{workspace}/runners": "drip=0.2",
        "GET /.well-known/openid-configuration": "truncate",
        "GET /v1/workspaces/{workspace}/runners/{runner}": "latency=5",
        "GET /v1/workspaces/{workspace}/workflows/{workflow}": "malformed",
        "GET /v1/workspaces/{workspace}/workflows": "status=503",
        "GET /v1/workspaces/{workspace}/workflows/{workflow}/revisions": "content-type=text/html",
        "GET /v1/workspaces/{workspace}/workflows/{workflow}/revisions/{revision}": "expire",
    },
    "h2ogpte": {
        "GET /rpc/health/readiness": "reset",
        "GET /rpc/health/liveness": "drip=0.2",
        "GET /api/v1/models": "truncate",
        "GET /openai_api/v1/models": "latency=5",
        "GET /api/v1/collections": "malformed",
        "GET /api/v1/chats": "status=503",
        "GET /api/v1/agents/tools": "content-type=text/html",
        "GET /api/v1/memory_blocks": "expire",
    },
}
#: what a fault's failed check is called in the report
CHECKS = {
    "reset": "NoAnswer",
    "drip": "NoAnswer",
    "truncate": "NoAnswer",
    "latency": "NoAnswer",
    "malformed": "ST",
    # a 503, an HTML answer and refused credentials are answers: schemathesis's checks name what is wrong with them
    "status": "ST",
    "content-type": "ST",
    "expire": "ST",
}


def _glob(template: str) -> str:
    """The path glob of an operation's template: ``/a/{x}/b`` -> ``/a/*/b``."""
    return "/".join("*" if part.startswith("{") else part for part in template.split("/"))


def _suite(tmp_path: Path) -> tuple[Path, list[str], Path]:
    """A suite folder with each API's contract test (not its flow), cut-down documents and one fault plan."""
    suite, specs, rules = tmp_path / "suite", [], []
    (suite / "scenarios").mkdir(parents=True)
    for slug, faults in FAULTED.items():
        folder = suite / "contracts" / slug
        folder.mkdir(parents=True)
        (folder / "schemathesis.toml").write_text((ROOT / "contracts" / slug / "schemathesis.toml").read_text())
        (folder / f"test_{slug}_contract.py").write_text(
            "from pathlib import Path\n\nfrom h2oharness.pytest_plugin.contract import contract_tests\n\n"
            f"test_{slug}_contract, _flow = contract_tests({slug!r}, Path(__file__).parent)\n"
        )
        document = yaml.safe_load((ROOT / "contracts" / slug / "openapi.yaml").read_text())
        kept: dict[str, Any] = {}
        for operation, fault in faults.items():
            method, path = operation.split(" ", 1)
            item = document["paths"][path][method.lower()]
            for response in item["responses"].values():
                response.pop("links", None)
            kept.setdefault(path, {})[method.lower()] = item
            kept[path].update({k: v for k, v in document["paths"][path].items() if k == "parameters"})
            rules.append({"method": method, "path": _glob(path), "fault": fault})
        spec = tmp_path / f"{slug}.yaml"
        spec.write_text(yaml.safe_dump({**document, "paths": kept}))
        specs += ["--spec", f"{slug}={spec}"]
    plan = tmp_path / "faults.yaml"
    plan.write_text(yaml.safe_dump({"seed": 1, "rules": rules}))
    return suite, specs, plan


@pytest.fixture(scope="module")
def faulted_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    tmp_path = tmp_path_factory.mktemp("faults")
    suite, specs, plan = _suite(tmp_path)
    command = [sys.executable, "-m", "h2oharness.cli", "run", "--target", "mock", "--workers", "0"]
    command += [arg for slug in FAULTED for arg in ("--api", slug)]
    command += ["--suite-dir", str(suite), "--report-dir", str(tmp_path / "report"), *specs]
    command += ["--mock-faults", str(plan), "--request-deadline", "0.5", "--test-deadline", "15"]
    command += ["--max-examples", "1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    # the guard against a hang: 32 operations, each bounded by its 15 s test deadline and far less in practice
    done = subprocess.run(command, capture_output=True, text=True, timeout=360, env=env, cwd=tmp_path, check=False)
    report = json.loads((tmp_path / "report" / "conformance.json").read_text())
    return done, report


def test_every_api_is_covered() -> None:
    assert set(FAULTED) == set(APIS)


@pytest.mark.slow
def test_the_run_fails_by_name_without_a_traceback(faulted_run: tuple[Any, dict[str, Any]]) -> None:
    done, report = faulted_run
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "Traceback" not in json.dumps(report)


@pytest.mark.slow
@pytest.mark.parametrize("slug", sorted(FAULTED))
def test_each_fault_is_a_failed_check_naming_its_request(faulted_run: tuple[Any, dict[str, Any]], slug: str) -> None:
    _, report = faulted_run
    api = next(a for a in report["apis"] if a["slug"] == slug)
    seen = {f"{op['method']} {op['path']}": op for op in api["operations"]}
    for operation, fault in FAULTED[slug].items():
        entry = seen[operation]
        assert entry["outcome"] == "failed", (operation, fault, entry)
        checks = [f["check"] for f in entry["failures"]]
        assert any(check.startswith(CHECKS[fault.split("=")[0]]) for check in checks), (operation, fault, checks)
        if CHECKS[fault.split("=")[0]] == "NoAnswer":
            assert any(f["message"].startswith(f"{operation}: no complete answer") for f in entry["failures"])


def _parse_job(client: H2O3Client, tmp_path: Path) -> str:
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n1,2\n3,4\n")
    setup = client.parse_setup(client.import_files(str(csv))["destination_frames"])
    return str(client.parse(setup, destination_frame="f")["job"]["key"]["name"])


@pytest.mark.parametrize(("fault", "error"), [("regress", ProgressRegressed), ("stuck", JobTimeout)])
def test_job_faults_end_the_poll_by_name(tmp_path: Path, fault: str, error: type[Exception]) -> None:
    """The harness's poller against a job whose progress goes back, or that never ends: a named violation."""
    clock = ManualClock()
    plan = FaultPlan.from_data([{"method": "POST", "path": "/3/Parse", "fault": fault}])
    with serve_mock(get_api("h2o3"), clock=clock, faults=plan) as target, target.client() as http:
        client = H2O3Client(http)
        job = _parse_job(client, tmp_path)

        def status() -> JobStatus:
            clock.advance(0.15)  # the job's life moves on between polls, not in real time
            return client.job_status(job)

        fast = Backoff(initial=0.01, maximum=0.01, minimum=0.01)
        with pytest.raises(error, match=re.escape(f"H2O-3 job {job}")):
            wait_for_job(status, timeout=2.0, backoff=fast, what=f"H2O-3 job {job}")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("slug", "method", "path"),
    [
        ("coreplexml", "GET", "/api/projects"),
        ("h2ogpte", "GET", "/api/v1/chats"),
        ("workflows", "GET", "/v1/workspaces/{workspace}/runners"),
    ],
)
def test_a_positive_case_refused_as_expired_fails_a_check(slug: str, method: str, path: str) -> None:
    """The run's valid credentials refused (``expire``): a documented 401 is still no answer to a valid request."""
    import hypothesis
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.core.failures import FailureGroup

    folder = ROOT / "contracts" / slug
    schema = schemathesis.openapi.from_path(
        str(folder / "openapi.yaml"), config=schemathesis.Config.from_path(folder / "schemathesis.toml")
    )
    operation = schema[path][method]
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    case = hypothesis.find(strategy, lambda _: True, settings=hypothesis.settings(database=None))
    plan = FaultPlan.from_data([{"operation": f"{method} {path}", "fault": "expire"}])
    with serve_mock(get_api(slug), faults=plan) as target, target.client() as http:
        response = case.call(base_url=target.url, headers=dict(http.headers))
        assert response.status_code == 401, response.text
        with pytest.raises(FailureGroup, match="Valid data should have been accepted"):
            case.validate_response(response)


#: the scenarios that wait on a job: the request that submits it, what the wait calls it when it never ends, and the
#: mock's bound on the wait
STUCK_SCENARIOS: dict[str, tuple[str, str, dict[str, str], str, float]] = {
    "coreplexml": (
        "test_coreplexml_experiment_lifecycle.py",
        "test_experiment_lifecycle",
        {"method": "POST", "path": "/api/experiments"},
        "CorePlexML experiment *-*-*-*-* still running (progress *) after {:.1f} s and * polls",
        EXPERIMENT_TIMEOUT,
    ),
    "h2o3": (
        "test_h2o3_parse_train_predict.py",
        "test_parse_train_predict",
        {"method": "POST", "path": "/3/Parse"},
        "H2O-3 job * still RUNNING (progress *) after {:.1f} s and * polls",
        JOB_TIMEOUT,
    ),
    "h2ogpte": (
        "test_h2ogpte_upload_ingest_agent_query.py",
        "test_upload_ingest_agent_query",
        {"method": "POST", "path": "/api/v1/uploads/*/ingest"},
        "ingestion into collection * still 0/1 documents (progress 0.0) after {:.1f} s and * polls",
        INGEST_TIMEOUT,
    ),
    "workflows": (
        "test_workflows_run_lifecycle.py",
        "test_run_lifecycle",
        {"method": "POST", "path": "*:run"},
        "run workspaces/*/workflows/hh-good-*/runs/* still STATE_RUNNING (progress None) after {:.1f} s and * polls",
        RUN_TIMEOUT,
    ),
}

#: what overrides the mock's bounds
JOB_TIMEOUT_VARIABLES = (
    "COREPLEXML_EXPERIMENT_TIMEOUT",
    "WORKFLOWS_RUN_TIMEOUT",
    "H2O3_JOB_TIMEOUT",
    "H2OGPTE_INGEST_TIMEOUT",
)


@pytest.mark.slow
@pytest.mark.parametrize("slug", sorted(STUCK_SCENARIOS))
def test_a_stuck_job_fails_its_scenario_by_name_within_the_mocks_bound(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, slug: str
) -> None:
    """Against the mock a job that never ends fails the scenario soon, as a JobTimeout naming the job (it waited
    30 min for an experiment, 5 min for a run, which then failed as an expired token instead, 2 min for a parse
    and 3 min for an ingestion)."""
    name, test, rule, message, bound = STUCK_SCENARIOS[slug]
    plan = pytester.path / "faults.yaml"
    plan.write_text(yaml.safe_dump({"rules": [{**rule, "fault": "stuck"}]}))
    monkeypatch.setenv("HARNESS_MOCK_FAULTS", str(plan))
    for variable in (
        "COREPLEXML_EXPERIMENT_TIMEOUT",
        "WORKFLOWS_RUN_TIMEOUT",
        "H2O3_JOB_TIMEOUT",
        "H2OGPTE_INGEST_TIMEOUT",
    ):
        monkeypatch.delenv(variable, raising=False)
    pytester.mkdir("scenarios")
    # under a name of its own: a session that ran the scenario itself already holds a module of its name
    (pytester.path / "scenarios" / f"test_{slug}_stuck.py").write_text((ROOT / "scenarios" / name).read_text())
    # the test deadline only stops a wait that runs to a real server's timeout: three times the mock's bound
    deadline = str(3 * bound)
    result = pytester.runpytest_inprocess(
        "--harness-target", "mock", "--harness-test-deadline", deadline, "-p", "no:cacheprovider", "-k", test
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*JobTimeout: {message.format(bound)}*"])
    assert "HTTP 401" not in result.stdout.str()
    assert "expired" not in result.stdout.str()
