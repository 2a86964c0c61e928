"""The official ``h2o_workflows`` client (1.1.2) runs the seed flow against the mock through login_custom, in a
subprocess (the token provider and generated clients keep process-wide state)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from h2oharness.apis.workflows.mock import WorkflowsMockState, make_app
from h2oharness.apis.workflows.mockparts.state import DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN, WorkflowsTimings
from h2oharness.mocks.clock import ManualClock, MonotonicClock
from h2oharness.mocks.serve import serve

DRIVER = Path(__file__).with_name("workflows_official_driver.py")

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("h2o_workflows") is None, reason="the official h2o_workflows client is not installed"
)


@pytest.fixture
def state() -> WorkflowsMockState:
    """The mock with realistic timings on a clock twenty times faster than wall time."""
    return WorkflowsMockState(clock=MonotonicClock(speed=20.0))


def test_h2o_workflows_runs_the_seed_flow(
    url: str, state: WorkflowsMockState, drive: Callable[..., dict[str, Any]]
) -> None:
    """login_custom, create, validate, activate, run, steps and logs, retry, cancel, pages, deactivate, delete."""
    out = drive(url, DEFAULT_REFRESH_TOKEN, DEFAULT_CLIENT_ID, timeout=180)
    assert (out["valid"], out["invalid"]) == (True, False)
    assert out["bad_paths"] == ["id", "jobs.a.steps"]
    assert out["created"] == ["workspaces/official/workflows/ok-flow", "STATE_INACTIVE", "Official client flow"]
    assert out["active_revision"] == "workspaces/official/workflows/ok-flow/revisions/1"
    assert out["revision_state"] == "STATE_ACTIVE"
    assert out["first_state"] == "STATE_QUEUED"
    assert out["run"] == ["STATE_SUCCEEDED", "RUN_FAILURE_REASON_UNSPECIFIED"]
    assert out["jobs"] == [["after", "STATE_SUCCEEDED"], ["hello", "STATE_SUCCEEDED"]]
    assert out["steps"] == [["greet", "STATE_SUCCEEDED", 0]]
    assert out["log"] == out["streamed"] == "hello world\n"
    assert out["failed"][:2] == ["STATE_FAILED", "RUN_FAILURE_REASON_JOB_FAILED"]
    assert "exited with code 3" in out["failed"][2]
    assert out["attempts"] == 2
    assert out["retry_jobs"] == {"ok": "STATE_SKIPPED", "broken": "STATE_FAILED"}
    assert out["canceled"] == ["STATE_FAILED", "RUN_FAILURE_REASON_CANCELED"]
    assert out["listed"] == [3, 2]
    assert out["deactivated"] == ["STATE_INACTIVE", ""]
    assert out["refused"].startswith("400")
    assert out["gone"].startswith("404")

    calls = [(r.method, r.path) for r in state.requests]
    assert calls[:3] == [("GET", "/.well-known/openid-configuration"), ("POST", "/token"), ("GET", "/version")]
    token_call = state.recorded("POST", "/token")[0]
    assert token_call.content_type.startswith("application/x-www-form-urlencoded")
    api = [r for r in state.requests if r.path.startswith("/v1/")]
    assert api, "the client made no API call"
    assert all(r.authorized for r in api), "every API call carries the access token from the token endpoint"
    assert all("%2F" in r.raw_path for r in api), "the SDK sends resource names %2F-encoded in one segment"
    assert all(r.user_agent.startswith("OpenAPI-Generator/1.1.2") for r in api)
    listed = [r for r in state.recorded("GET") if r.path == "/v1/workspaces/official/workflows"]
    assert listed[0].query == {"pageSize": "2", "pageToken": ""}
    assert [r.status for r in api if r.status >= 400] == [400, 404], "only the refused run and the deleted get fail"
    assert state.internal_errors == []


def test_login_custom_with_a_wrong_refresh_token_fails_at_login(url: str, state: WorkflowsMockState) -> None:
    """The token endpoint's invalid_grant surfaces as a login error, before any API call."""
    done = subprocess.run(
        [sys.executable, str(DRIVER), url, "rt-wrong", DEFAULT_CLIENT_ID],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "invalid_grant" in done.stderr or "TokenEndpointError" in done.stderr, done.stderr[-2000:]
    assert not state.recorded(path_prefix="/v1/")


def test_login_custom_probes_version_at_the_root_of_a_prefixed_endpoint() -> None:
    """The urljoin quirk: with endpoint http://h/wf, /version goes to http://h/version while the API keeps /wf/v1."""
    state = WorkflowsMockState(clock=MonotonicClock(speed=20.0), path_prefix="/wf")
    with serve(make_app(state)) as served:
        probe = (
            "import sys, h2o_workflows; cl = h2o_workflows.login_custom(endpoint=sys.argv[1] + '/wf/', "
            "refresh_token=sys.argv[2], issuer_url=sys.argv[1], client_id=sys.argv[3]); "
            "print(cl.workflow.list_workflows('workspaces/p').next_page_token == '')"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe, served.url, DEFAULT_REFRESH_TOKEN, DEFAULT_CLIENT_ID],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "True"
    raw = [r.raw_path for r in state.requests]
    assert "/version" in raw, "the probe lost the /wf prefix"
    assert "/wf/version" not in raw
    assert any(p.startswith("/wf/v1/") for p in raw), "API calls keep the prefix"


def test_every_public_client_method_works_on_the_mock(
    url: str, state: WorkflowsMockState, drive: Callable[..., dict[str, Any]]
) -> None:
    """Every public method of every client login_custom returns (found by introspection) against the mock:
    at least 95% succeed, and the ones that fail are exactly those DEVIATIONS lists with a reason."""
    from h2oharness.apis.workflows.mock import DEVIATIONS

    outcomes: dict[str, str] = drive(url, DEFAULT_REFRESH_TOKEN, DEFAULT_CLIENT_ID, "surface", timeout=180)["outcomes"]

    failing = {method for method, outcome in outcomes.items() if outcome != "ok"}
    listed = {key.removeprefix("sdk ") for key in DEVIATIONS if key.startswith("sdk ")}
    assert failing == listed, {method: outcomes.get(method, "not called") for method in failing ^ listed}
    assert len(outcomes) >= 41, sorted(outcomes)
    assert (len(outcomes) - len(failing)) / len(outcomes) >= 0.95
    for client in ("ActionClient", "ActionRevisionClient", "RunnerClient", "StepClient", "JobClient"):
        assert any(method.startswith(client + ".") for method in outcomes), client
    assert state.internal_errors == []
    assert all(r.status < 500 for r in state.requests)
    # list_jobs sent its filter and order, and the mock took them (a 200, not a refusal)
    listed_jobs = [r for r in state.requests if r.path.endswith("/jobs") and "orderBy=" in r.query_string]
    assert listed_jobs
    assert all(r.status == 200 for r in listed_jobs)
    assert state.recorded("POST", "/v1/workspaces/surface/actions/greeter:publish")[0].status == 200


def test_h2o_workflows_reads_back_what_the_seed_flow_does_not(drive: Callable[..., dict[str, Any]]) -> None:
    """The methods whose answers the seed flow never reads (get/update of a workflow, revisions, runs by revision,
    attempt/job/step by name, run deletion, every runner and action call) give back what was made, on a hand
    clock where every run ends when it starts."""
    state = WorkflowsMockState(clock=ManualClock(), timings=WorkflowsTimings.instant())
    with serve(make_app(state)) as served:
        out = drive(served.url, DEFAULT_REFRESH_TOKEN, DEFAULT_CLIENT_ID, "readback", timeout=180)
    flow = "workspaces/readback/workflows/flow"
    assert out["got"] == [flow, "Official client flow", "STATE_INACTIVE", True]
    assert out["got_inputs"] == [["who", "world"]]
    assert out["updated"] == ["Renamed flow", True]
    assert out["reread"] == "Renamed flow"
    assert out["revisions"] == [f"{flow}/revisions/1", f"{flow}/revisions/2", True], "page_size=1 pages revisions"
    assert out["revision_list"] == [[f"{flow}/revisions/1", "STATE_INACTIVE"], [f"{flow}/revisions/2", "STATE_ACTIVE"]]
    assert out["runs"] == [True, ""]
    assert out["run_inputs"] == [["who", "reader"]]
    assert out["run_trigger"] == "TRIGGER_MANUAL"
    assert out["attempt"] == [True, "STATE_SUCCEEDED", "RUN_ATTEMPT_FAILURE_REASON_UNSPECIFIED"]
    assert out["job"] == [True, "hello", "STATE_SUCCEEDED", "TYPE_STEPS", "Say hello"]
    assert out["step"] == [True, "greet", "STATE_SUCCEEDED", "TYPE_RUN", 0]
    assert out["step_log"] == "hello reader\n", "the run's input reached the step"
    assert out["run_deleted"] == ["404", True], "the other run is gone, the first one stays"

    runners = "workspaces/readback/runners"
    assert out["runner"] == [f"{runners}/r1", "Small", ["small"], "images/python"]
    assert out["runner_got"] == "templates/small"
    assert out["runner_updated"] == ["Still small", "images/python-2", ["small"]]
    assert out["runner_pages"] == [1, True]
    assert out["all_runners"] == [f"{runners}/r1", f"{runners}/r2"], "list_all_runners follows nextPageToken"
    assert out["applied"] == [f"{runners}/c{i}" for i in range(3)], "apply_runners replaced r1 and r2"
    assert out["runner_deleted"] == ["404", 2]
    assert out["runners_left"] == []

    action = "workspaces/readback/actions/greeter"
    assert out["action_valid"] == [True, False, ["steps"]]
    assert out["action"] == [action, "Greeter", ["greeting"]]
    assert out["action_got"] == "Greeter"
    assert out["actions"] == [action]
    assert out["action_updated"] == "Greeter two"
    assert out["published"] == [f"{action}/revisions/1", "Greeter", f"{action}/revisions/2", "Greeter two"]
    assert out["revision_got"] == [f"{action}/revisions/1", "Greeter", True], "a revision keeps its snapshot"
    assert out["action_revisions"] == [f"{action}/revisions/1", f"{action}/revisions/2"]
    assert out["action_deleted"] == ["404", "404"], "an action's revisions go with it"

    assert state.internal_errors == []
    updates = [r for r in state.requests if r.method == "PATCH"]
    assert [r.query.get("updateMask") for r in updates] == ["*"] * len(updates)
    assert len(updates) == 4
