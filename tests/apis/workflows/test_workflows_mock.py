"""The Workflows mock on a ManualClock: run lifecycles, cancel and retry, auth and tokens, errors, pagination."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from h2oharness.apis.workflows import payloads
from h2oharness.apis.workflows.client import WorkflowsClient, WorkflowsResponseError, resource_path
from h2oharness.apis.workflows.mock import WorkflowsMockState, make_app
from h2oharness.apis.workflows.mockparts.state import DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN
from h2oharness.mocks.clock import ManualClock

WS = "workspaces/tests"
ORDER = {"STATE_PENDING": 0, "STATE_QUEUED": 0, "STATE_RUNNING": 1, "STATE_SUCCEEDED": 2, "STATE_FAILED": 2}


def _active(client: WorkflowsClient, source: str) -> dict[str, object]:
    return client.activate(client.create_workflow(WS, source)["name"])


def _jobs(client: WorkflowsClient, run: str, attempt: int = 1) -> dict[str, dict[str, object]]:
    return {str(j["jobId"]): j for j in client.list_jobs(f"{run}/attempts/{attempt}")["jobs"]}


def test_a_run_moves_only_forward_through_its_states(client: WorkflowsClient, clock: ManualClock) -> None:
    """QUEUED -> RUNNING -> SUCCEEDED as the clock moves; jobs wait for the jobs they need."""
    flow = _active(client, payloads.succeeding_source("forward"))
    run = client.run_revision(str(flow["activeRevision"]))
    assert run["state"] == "STATE_QUEUED"
    assert run["startTime"] is None
    seen = [run["state"]]
    for _ in range(40):
        clock.advance(0.1)
        current = client.get_run(run["name"])
        assert ORDER[current["state"]] >= ORDER[seen[-1]], f"went back from {seen[-1]} to {current['state']}"
        seen.append(current["state"])
        if current["state"] == "STATE_RUNNING":
            jobs = _jobs(client, run["name"])
            if jobs["build"]["state"] == "STATE_RUNNING":
                assert jobs["report"]["state"] == "STATE_PENDING", "report needs build"
    assert seen[-1] == "STATE_SUCCEEDED"
    assert "STATE_RUNNING" in seen
    final = client.get_run(run["name"])
    assert final["endTime"] >= final["startTime"]
    jobs = _jobs(client, run["name"])
    assert str(jobs["report"]["startTime"]) >= str(jobs["build"]["endTime"])


def test_a_failing_step_fails_its_job_and_the_run_with_the_reasons(client: WorkflowsClient, clock: ManualClock) -> None:
    """exit 3 fails the step (exit code 3), skips the step after it, and fails the run with JOB_FAILED."""
    flow = _active(client, payloads.failing_source("fails", exit_code=3))
    run = client.run_revision(str(flow["activeRevision"]))
    clock.advance(10)
    run = client.get_run(run["name"])
    assert (run["state"], run["failureReason"]) == ("STATE_FAILED", "RUN_FAILURE_REASON_JOB_FAILED")
    assert "broken" in run["failureMessage"]
    assert "code 3" in run["failureMessage"]
    attempt = client.get_attempt(run["name"] + "/attempts/latest")
    assert attempt["failureReason"] == "RUN_ATTEMPT_FAILURE_REASON_JOB_FAILED"
    jobs = _jobs(client, run["name"])
    assert jobs["fine"]["state"] == "STATE_SUCCEEDED"
    assert jobs["broken"]["failureReason"] == "JOB_FAILURE_REASON_STEP_FAILED"
    steps = client.list_steps(str(jobs["broken"]["name"]))["steps"]
    assert [(s["state"], s["exitCode"]) for s in steps] == [("STATE_FAILED", 3), ("STATE_SKIPPED", None)]
    assert steps[0]["failureReason"] == "STEP_FAILURE_REASON_EXECUTION"
    assert client.step_logs(steps[0]["name"], "OUTPUT_STREAM_STDOUT") == "about to fail\n"
    assert "exit status 3" in client.step_logs(steps[0]["name"], "OUTPUT_STREAM_STDERR")
    assert client.step_logs(steps[1]["name"]) == ""


def test_a_dependency_failure_skips_the_jobs_that_need_it(client: WorkflowsClient, clock: ManualClock) -> None:
    """A job needing a failed job is SKIPPED, not run."""
    source = payloads.workflow_source("chain", {"a": ["exit 1"], "b": ["echo b"]}, needs={"b": ["a"]})
    run = client.run_revision(str(_active(client, source)["activeRevision"]))
    clock.advance(10)
    jobs = _jobs(client, run["name"])
    assert (jobs["a"]["state"], jobs["b"]["state"]) == ("STATE_FAILED", "STATE_SKIPPED")
    assert [s["state"] for s in client.list_steps(str(jobs["b"]["name"]))["steps"]] == ["STATE_SKIPPED"]


def test_continue_on_error_lets_the_job_succeed(client: WorkflowsClient, clock: ManualClock) -> None:
    """A failing step with continue_on_error: true fails alone; its job and run succeed."""
    source = (
        "id: tolerant\njobs:\n  j:\n    steps:\n      - run: exit 2\n        continue_on_error: true\n"
        "      - run: echo on\n"
    )
    run = client.run_revision(str(_active(client, source)["activeRevision"]))
    clock.advance(10)
    assert client.get_run(run["name"])["state"] == "STATE_SUCCEEDED"
    steps = client.list_steps(str(_jobs(client, run["name"])["j"]["name"]))["steps"]
    assert [(s["state"], s["continueOnError"]) for s in steps] == [("STATE_FAILED", True), ("STATE_SUCCEEDED", False)]


def test_cancel_stops_a_running_step_and_skips_the_rest(client: WorkflowsClient, clock: ManualClock) -> None:
    """Cancel while a step sleeps: the step FAILED/CANCELED, the next SKIPPED, the run FAILED/CANCELED."""
    source = payloads.workflow_source("cancel-me", {"j": ["echo started && sleep 60 && echo late", "echo next"]})
    run = client.run_revision(str(_active(client, source)["activeRevision"]))
    clock.advance(5)
    assert client.get_run(run["name"])["state"] == "STATE_RUNNING"
    canceled = client.cancel_run(run["name"])
    assert (canceled["state"], canceled["failureReason"]) == ("STATE_FAILED", "RUN_FAILURE_REASON_CANCELED")
    clock.advance(120)
    assert client.get_run(run["name"])["state"] == "STATE_FAILED", "a canceled run stays canceled"
    job = _jobs(client, run["name"])["j"]
    assert (job["state"], job["failureReason"]) == ("STATE_FAILED", "JOB_FAILURE_REASON_CANCELED")
    steps = client.list_steps(str(job["name"]))["steps"]
    assert [(s["state"], s["failureReason"]) for s in steps] == [
        ("STATE_FAILED", "STEP_FAILURE_REASON_CANCELED"),
        ("STATE_SKIPPED", "STEP_FAILURE_REASON_UNSPECIFIED"),
    ]
    assert client.step_logs(steps[0]["name"]) == "started\n", "output after the cancel must not appear"
    with pytest.raises(WorkflowsResponseError) as again:
        client.cancel_run(run["name"])
    assert (again.value.status, again.value.code) == (400, 9)


def test_cancel_while_queued_skips_every_job(client: WorkflowsClient, clock: ManualClock) -> None:
    """A run canceled before it starts never runs a step."""
    run = client.run_revision(str(_active(client, payloads.succeeding_source("early"))["activeRevision"]))
    client.cancel_run(run["name"])
    clock.advance(30)
    assert {j["state"] for j in _jobs(client, run["name"]).values()} == {"STATE_SKIPPED"}
    assert client.get_run(run["name"])["startTime"] is None


def test_retry_modes(client: WorkflowsClient, clock: ManualClock) -> None:
    """Failed-jobs retry (the default) skips succeeded jobs; all-jobs retry runs them again; each is an attempt."""
    run = client.run_revision(str(_active(client, payloads.failing_source("retry-me"))["activeRevision"]))
    with pytest.raises(WorkflowsResponseError) as early:
        client.retry_run(run["name"])
    assert early.value.status == 400, "a run that has not failed cannot be retried"
    clock.advance(10)
    retried = client.retry_run(run["name"])
    assert retried["state"] == "STATE_QUEUED"
    clock.advance(10)
    assert _jobs(client, run["name"], 2)["fine"]["state"] == "STATE_SKIPPED"
    assert _jobs(client, run["name"], 2)["broken"]["state"] == "STATE_FAILED"
    client.retry_run(run["name"], "RETRY_MODE_ALL_JOBS")
    clock.advance(10)
    assert _jobs(client, run["name"], 3)["fine"]["state"] == "STATE_SUCCEEDED"
    assert [a["name"].rsplit("/", 1)[1] for a in client.list_attempts(run["name"])["runAttempts"]] == ["1", "2", "3"]
    with pytest.raises(WorkflowsResponseError) as bad_mode:
        client.retry_run(run["name"], "RETRY_MODE_SOME")
    assert bad_mode.value.code == 3


def test_activation_makes_revisions_and_deactivation_refuses_runs(client: WorkflowsClient) -> None:
    """Activate twice with an edit between: two revisions, the first INACTIVE; deactivated workflows refuse runs."""
    flow = _active(client, payloads.succeeding_source("revs"))
    again = client.activate(str(flow["name"]))
    assert again["activeRevision"] == flow["activeRevision"], "activating an unchanged draft keeps its revision"
    client.update_workflow(str(flow["name"]), payloads.workflow_source("revs", {"only": ["echo v2"]}))
    second = client.activate(str(flow["name"]))
    assert str(second["activeRevision"]).endswith("/revisions/2")
    revisions = client.list_revisions(str(flow["name"]))["workflowRevisions"]
    assert [r["state"] for r in revisions] == ["STATE_INACTIVE", "STATE_ACTIVE"]
    assert client.get_revision(f"{flow['name']}/revisions/active")["name"] == second["activeRevision"]
    with pytest.raises(WorkflowsResponseError):
        client.run_revision(revisions[0]["name"])
    client.deactivate(str(flow["name"]))
    for name in (str(second["activeRevision"]), f"{flow['name']}/revisions/active"):
        with pytest.raises(WorkflowsResponseError) as refused:
            client.run_revision(name)
        assert (refused.value.status, refused.value.code) == (400, 9)


def test_create_refuses_invalid_and_duplicate_sources(client: WorkflowsClient) -> None:
    """An invalid source is 400 naming the field; a second workflow with the same id is 409."""
    with pytest.raises(WorkflowsResponseError) as invalid:
        client.create_workflow(WS, "id: x\njobs: {}\n")
    assert (invalid.value.status, invalid.value.code) == (400, 3)
    assert "jobs" in invalid.value.message
    client.create_workflow(WS, payloads.succeeding_source("dup"))
    with pytest.raises(WorkflowsResponseError) as dup:
        client.create_workflow(WS, payloads.succeeding_source("dup"))
    assert (dup.value.status, dup.value.code) == (409, 6)
    with pytest.raises(WorkflowsResponseError) as renamed:
        client.update_workflow(f"{WS}/workflows/dup", payloads.succeeding_source("other"))
    assert renamed.value.status == 400


@pytest.mark.parametrize(("source", "field_path"), payloads.INVALID_SOURCES)
def test_validate_names_the_problem(client: WorkflowsClient, source: str, field_path: str) -> None:
    """Each invalid source is reported with its fieldPath and a 1-based line."""
    verdict = client.validate(WS, source)
    assert verdict["isValid"] is False
    errors = [e for e in verdict["validationErrors"] if e["severity"] == "SEVERITY_ERROR"]
    assert field_path in {e["fieldPath"] for e in errors}, errors
    assert all(e["line"] >= 1 for e in errors), errors


def test_validate_warns_about_unknown_fields_but_accepts(client: WorkflowsClient) -> None:
    """An unknown key is a warning, not an error."""
    verdict = client.validate(WS, "id: w\ncolour: blue\njobs:\n  a:\n    steps:\n      - run: echo\n")
    assert verdict["isValid"] is True
    assert [(e["fieldPath"], e["severity"], e["line"]) for e in verdict["validationErrors"]] == [
        ("colour", "SEVERITY_WARNING", 2)
    ]


def test_pagination_is_stable_and_ends_empty(client: WorkflowsClient) -> None:
    """Pages of 2 over 5 workflows: 3 pages, no repeats even when one is deleted mid-listing, last token ''."""
    for i in range(5):
        client.create_workflow(WS, payloads.succeeding_source(f"page-{i}"))
    first = client.list_workflows(WS, page_size=2)
    assert len(first["workflows"]) == 2
    assert first["nextPageToken"]
    client.delete_workflow(first["workflows"][0]["name"])
    names = [w["name"] for w in first["workflows"]]
    token = first["nextPageToken"]
    for _ in range(5):
        page = client.list_workflows(WS, page_size=2, page_token=token)
        names += [w["name"] for w in page["workflows"]]
        token = page["nextPageToken"]
        if not token:
            break
    assert token == ""
    assert names == [f"{WS}/workflows/page-{i}" for i in range(5)]
    assert client.list_workflows(WS, page_size=0)["nextPageToken"] == ""
    with pytest.raises(WorkflowsResponseError) as bad:
        client.list_workflows(WS, page_token="not-a-token")
    assert bad.value.code == 3


def test_both_path_forms_reach_the_same_resource(client: WorkflowsClient, http: httpx.Client) -> None:
    """The SDK's %2F-encoded single segment and the contract's explicit segments are one route."""
    name = client.create_workflow(WS, payloads.succeeding_source("forms"))["name"]
    encoded = http.post(resource_path(name, "activate"), json={})
    plain = http.get(f"/v1/{name}")
    assert encoded.status_code == plain.status_code == 200
    assert plain.json()["workflow"]["state"] == "STATE_ACTIVE"


def test_errors_are_rpc_status(http: httpx.Client) -> None:
    """Unknown paths 404, wrong methods 405 with Allow, bad JSON 400: all RpcStatus."""
    missing = http.get("/v1/nowhere")
    assert (missing.status_code, missing.json()["code"]) == (404, 5)
    wrong = http.put(f"/v1/{WS}/workflows")
    assert (wrong.status_code, wrong.json()["code"]) == (405, 12)
    assert wrong.headers["allow"] == "GET, POST"
    broken = http.post(f"/v1/{WS}/workflows", content=b"{nope", headers={"content-type": "application/json"})
    assert (broken.status_code, broken.json()["code"]) == (400, 3)
    odd = http.get("/v1/workspaces/bad id!/workflows")
    assert odd.status_code == 400
    assert set(odd.json()) == {"code", "message", "details"}


def test_missing_unknown_and_expired_tokens_get_401(anon: httpx.Client, clock: ManualClock) -> None:
    """The token endpoint's access tokens work until they expire on the mock's clock; then 401 UNAUTHENTICATED."""
    assert anon.get(f"/v1/{WS}/workflows").status_code == 401
    bogus = anon.get(f"/v1/{WS}/workflows", headers={"Authorization": "Bearer nope"})
    assert (bogus.status_code, bogus.json()["code"]) == (401, 16)
    form = {"grant_type": "refresh_token", "client_id": DEFAULT_CLIENT_ID, "refresh_token": DEFAULT_REFRESH_TOKEN}
    issued = anon.post("/token", data=form).json()
    assert issued["expires_in"] == 300
    auth = {"Authorization": f"Bearer {issued['access_token']}"}
    assert anon.get(f"/v1/{WS}/workflows", headers=auth).status_code == 200
    clock.advance(301)
    expired = anon.get(f"/v1/{WS}/workflows", headers=auth)
    assert expired.status_code == 401
    assert "expired" in expired.json()["message"]
    assert anon.get("/version").status_code == 200, "the reachability probe needs no token"


def test_token_endpoint_refuses_bad_grants(anon: httpx.Client) -> None:
    """OAuth errors: wrong grant type, unknown refresh token, token of another client, JSON body."""
    base = {"grant_type": "refresh_token", "client_id": DEFAULT_CLIENT_ID, "refresh_token": DEFAULT_REFRESH_TOKEN}
    cases = [
        ({**base, "grant_type": "password"}, "unsupported_grant_type"),
        ({**base, "refresh_token": "rt-other"}, "invalid_grant"),
        ({**base, "client_id": "someone-else"}, "invalid_grant"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
    ]
    for form, error in cases:
        resp = anon.post("/token", data=form)
        assert (resp.status_code, resp.json()["error"]) == (400, error), form
    as_json = anon.post("/token", json=base)
    assert as_json.json()["error"] == "invalid_request"
    discovery = anon.get("/.well-known/openid-configuration").json()
    assert discovery["token_endpoint"].endswith("/token")


def test_inputs_are_checked_and_substituted(client: WorkflowsClient, clock: ManualClock) -> None:
    """Declared inputs: defaults apply, unknown or mistyped ones are 400, values reach the step's script."""
    source = payloads.workflow_source(
        "inputs",
        {"j": ["echo hi ${{ inputs.who }} x${{ inputs.n }}"]},
        inputs={"who": {"default": "you"}, "n": {"type": "int"}},
    )
    flow = _active(client, source)
    defs = flow["inputDefinitions"]
    assert [d["parameter"] for d in defs["stringInputs"]] == ["who"]  # type: ignore[index]
    rev = str(flow["activeRevision"])
    with pytest.raises(WorkflowsResponseError):
        client.run_revision(rev, payloads.input_values(strings={"ghost": "x"}))
    with pytest.raises(WorkflowsResponseError):
        client.run_revision(rev, {"intValues": [{"parameter": "n", "value": "many"}]})
    run = client.run_revision(rev, payloads.input_values(ints={"n": 7}))
    assert run["inputs"]["intValues"] == [{"parameter": "n", "value": "7"}]
    clock.advance(10)
    step = client.list_steps(str(_jobs(client, run["name"])["j"]["name"]))["steps"][0]
    assert client.step_logs(step["name"]) == "hi you x7\n"


def test_stream_logs_from_an_offset(client: WorkflowsClient, http: httpx.Client, clock: ManualClock) -> None:
    """:streamLogs answers newline-delimited result chunks with byte offsets."""
    run = client.run_revision(
        str(_active(client, payloads.workflow_source("stream", {"j": ["echo one", "echo two"]}))["activeRevision"])
    )
    clock.advance(10)
    step = client.list_steps(str(_jobs(client, run["name"])["j"]["name"]))["steps"][0]
    lines = http.get(resource_path(step["name"], "streamLogs"), params={"offset": "2"}).text.splitlines()
    chunks = [json.loads(line)["result"] for line in lines]
    assert [base64.b64decode(c["data"]).decode() for c in chunks] == ["e\n"]
    assert chunks[0]["offset"] == "2"


def test_runners_crud(client: WorkflowsClient) -> None:
    """Create (with runnerId), get, duplicate 409, list, delete."""
    runner = client.create_runner(WS, "gpu", "image:1", "template-a")
    assert runner["name"] == f"{WS}/runners/gpu"
    with pytest.raises(WorkflowsResponseError) as dup:
        client.create_runner(WS, "gpu", "image:1", "template-a")
    assert dup.value.status == 409
    assert [r["name"] for r in client.list_runners(WS)["runners"]] == [runner["name"]]
    client.delete_runner(runner["name"])
    assert client.list_runners(WS)["runners"] == []


def test_a_runner_update_changes_only_the_fields_its_mask_names(client: WorkflowsClient, http: httpx.Client) -> None:
    """The SDK sends the whole runner whatever the mask: what the mask leaves out keeps its value on the next read."""
    runner = client.create_runner(WS, "masked", "image:1", "template-a")
    path = resource_path(str(runner["name"]))
    whole = {"sandboxEngineImage": "image:2", "sandboxEngineTemplate": "template-b", "displayName": "GPU"}
    answer = http.patch(path, params={"updateMask": "display_name"}, json=whole)
    assert answer.status_code == 200, answer.text
    [listed] = client.list_runners(WS)["runners"]
    for seen in (answer.json()["runner"], http.get(path).json()["runner"], listed):
        assert (seen["displayName"], seen["sandboxEngineImage"], seen["sandboxEngineTemplate"]) == (
            "GPU",
            "image:1",
            "template-a",
        )
    # a field the mask names and the body leaves out is cleared (AIP-134); output-only paths are ignored
    assert http.patch(path, params={"updateMask": "displayName,createTime"}, json={}).status_code == 200
    assert http.get(path).json()["runner"]["displayName"] == ""


def test_delete_workflow_removes_its_runs(
    client: WorkflowsClient, state: WorkflowsMockState, clock: ManualClock
) -> None:
    """Deleting a workflow deletes its revisions and runs; a run in progress cannot be deleted on its own."""
    flow = _active(client, payloads.slow_source("gone", 100))
    run = client.run_revision(str(flow["activeRevision"]))
    with pytest.raises(WorkflowsResponseError) as busy:
        client.delete_run(run["name"])
    assert busy.value.status == 400
    client.delete_workflow(str(flow["name"]))
    assert not state.runs
    assert not state.revisions
    with pytest.raises(WorkflowsResponseError) as gone:
        client.get_run(run["name"])
    assert gone.value.status == 404
    assert state.internal_errors == []


def test_make_app_keeps_states_apart() -> None:
    """Two apps over two states share nothing."""
    one, two = WorkflowsMockState(clock=ManualClock()), WorkflowsMockState(clock=ManualClock())
    assert make_app(one).state.workflows is one
    assert make_app(two).state.workflows is two
    assert one.board is not two.board


def test_expired_tokens_are_forgotten(state: WorkflowsMockState, clock: ManualClock) -> None:
    """Issuing a token drops the ones already expired, so the table stays bounded under load."""
    old, _ = state.issue_token()
    clock.advance(state.token_lifetime + 1)
    new, lifetime = state.issue_token()
    assert lifetime == state.token_lifetime
    assert old not in state.access_tokens
    assert state.token_problem(old) == "invalid access token"
    assert state.token_problem(new) is None
    assert state.client_credentials().token == "sk-h2oharness-mock"
    assert state.token_problem(state.client_credentials().token) is None, "the long-lived key never expires"


def test_the_mock_routes_are_the_contract_paths() -> None:
    """Every (method, template) the mock serves is an operation of contracts/workflows/openapi.yaml, and back."""
    from pathlib import Path

    import yaml

    from h2oharness.apis.workflows.mock import ROUTES

    doc = yaml.safe_load((Path(__file__).parents[3] / "contracts/workflows/openapi.yaml").read_text())
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item if p.startswith("/v1/")}
    assert {(m, t) for m, t, _ in ROUTES} == documented


@pytest.mark.parametrize("body", [b"null", b"[]", b'"x"', b"3"])
def test_a_body_that_is_not_an_object_is_invalid_argument(
    client: WorkflowsClient, http: httpx.Client, body: bytes
) -> None:
    name = _active(client, payloads.succeeding_source("not-an-object"))["name"]
    resp = http.post(f"/v1/{name}:deactivate", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["code"] == 3
    assert "expected an object" in resp.json()["message"]
    assert client.get_workflow(str(name))["state"] == "STATE_ACTIVE"  # nothing happened


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("retry", {"retryMode": []}),
        ("retry", {"retryMode": {"x": 1}}),
        ("retry", {"retryMode": 3}),
        ("run", {"inputs": {"stringValues": 0}}),
        ("run", {"inputs": {"boolValues": ""}}),
        ("run", {"inputs": {"intValues": [{"parameter": "n", "value": "1234567890123456789"}]}}),
        ("runner", {"sandboxEngineImage": "i", "sandboxEngineTemplate": "t", "aliases": ""}),
        ("runner", {"sandboxEngineImage": "i", "sandboxEngineTemplate": "t", "aliases": {}}),
    ],
)
def test_a_field_of_the_wrong_type_is_invalid_argument(
    client: WorkflowsClient,
    http: httpx.Client,
    state: WorkflowsMockState,
    clock: ManualClock,
    action: str,
    body: object,
) -> None:
    """A field the contract types (enum, repeated field, int64 pattern) refuses other JSON with 400, not a bug."""
    source = payloads.workflow_source("typed", {"j": ["exit 1"]}, inputs={"n": {"type": "int"}})
    revision = str(_active(client, source)["activeRevision"])
    run = client.run_revision(revision, payloads.input_values(ints={"n": 1}))
    clock.advance(10)
    assert client.get_run(run["name"])["state"] == "STATE_FAILED", "a run :retry accepts"
    target = {
        "retry": resource_path(run["name"], "retry"),
        "run": resource_path(revision, "run"),
        "runner": resource_path(WS) + "/runners?runnerId=typed",
    }[action]
    resp = http.post(target, json=body)
    assert (resp.status_code, resp.json()["code"]) == (400, 3), resp.text
    assert state.internal_errors == []
    assert len(client.list_attempts(run["name"])["runAttempts"]) == 1, "nothing happened"


def test_a_stream_offset_must_be_ascii_digits(
    client: WorkflowsClient, http: httpx.Client, state: WorkflowsMockState
) -> None:
    """'²' passes str.isdigit() but not int(): it is a bad offset (400), not a mock bug."""
    run = client.run_revision(str(_active(client, payloads.succeeding_source("offset"))["activeRevision"]))
    step = f"{run['name']}/attempts/1/jobs/build/steps/1"
    resp = http.get(resource_path(step, "streamLogs"), params={"offset": "²"})
    assert (resp.status_code, resp.json()["code"]) == (400, 3), resp.text
    assert state.internal_errors == []


def test_runs_beyond_the_cap_drop_the_oldest_finished(
    client: WorkflowsClient, state: WorkflowsMockState, clock: ManualClock
) -> None:
    """A load that never deletes keeps at most max_runs runs; a run still in progress is never dropped."""
    state.max_runs = 3
    slow = str(_active(client, payloads.slow_source("slow", 1000))["activeRevision"])
    fast = str(_active(client, payloads.succeeding_source("fast"))["activeRevision"])
    live = client.run_revision(slow)["name"]
    names = []
    for _ in range(6):
        names.append(client.run_revision(fast)["name"])
        clock.advance(10)
        assert len(state.runs) <= 3
    assert sorted(state.runs) == sorted([live, *names[-2:]]), "the live run stays, the oldest finished ones go"
    assert state.internal_errors == []


def test_echo_redirected_to_stderr_is_in_the_stderr_log_only(client: WorkflowsClient, clock: ManualClock) -> None:
    """``echo … 1>&2`` (and ``>&2``) write the step's stderr; stdout keeps the rest; combined has both in order."""
    source = "id: streams\njobs:\n  talk:\n    steps:\n      - run: echo out && echo err 1>&2 && >&2 echo err2\n"
    flow = _active(client, source)
    run = client.run_revision(str(flow["activeRevision"]))
    clock.advance(60)
    step = f"{run['name']}/attempts/1/jobs/talk/steps/1"

    def log(stream: str) -> str:
        answer = client.request("GET", resource_path(step, "logs"), params={"stream": stream})
        return base64.b64decode(str(answer["data"])).decode()

    assert log("OUTPUT_STREAM_STDOUT") == "out\n"
    assert log("OUTPUT_STREAM_STDERR") == "err\nerr2\n"
    assert log("OUTPUT_STREAM_COMBINED") == "out\nerr\nerr2\n"


def test_update_mask_takes_field_paths_of_the_workflow(client: WorkflowsClient, clock: ManualClock) -> None:
    """A comma-separated mask applies sourceContents and ignores output-only paths; an unknown path is 400."""
    wf = client.create_workflow(WS, payloads.succeeding_source("masked"))
    changed = payloads.succeeding_source("masked").replace("build", "compile")
    same = client.update_workflow(str(wf["name"]), changed, update_mask="display_name,state")
    assert same["sourceContents"] == wf["sourceContents"]
    updated = client.update_workflow(str(wf["name"]), changed, update_mask="source_contents,display_name")
    assert updated["sourceContents"] == changed
    with pytest.raises(WorkflowsResponseError) as err:
        client.update_workflow(str(wf["name"]), changed, update_mask="colour")
    assert err.value.status == 400
