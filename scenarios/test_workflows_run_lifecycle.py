"""Seed 001's flow end to end: login -> create -> validate -> activate -> run -> poll -> steps and logs ->
cancel one run and retry a failed one -> list with pagination -> deactivate -> delete."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import httpx
import pytest

from h2oharness.apis.workflows import payloads
from h2oharness.apis.workflows.client import (
    RefreshingBearer,
    WorkflowsClient,
    WorkflowsResponseError,
    login_at_target,
    token_from_environment,
)
from h2oharness.apis.workflows.mock import RUN_TIMEOUT
from h2oharness.apis.workflows.mockparts.state import DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN
from h2oharness.errors import JobFailed
from h2oharness.settings import variable
from h2oharness.targets import Target, job_timeout, request_deadline


def _access_token(target: Target) -> str | None:
    """Log in with the refresh-token grant: against the mock's own issuer, or the live one when configured."""
    if target.kind == "mock":
        return login_at_target(
            target.url, DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN, timeout=min(10.0, request_deadline())
        )
    # None for a live target with WORKFLOWS_API_KEY: the plugin's client already carries it
    return token_from_environment()


@pytest.fixture
def client(workflows_target: Target, workflows_http: httpx.Client) -> Iterator[WorkflowsClient]:
    """The harness's client, logged in through the token endpoint when there is one, and again when its token expires:
    a run may take as long as an access token lives (300 s each on the mock, and a real issuer's may be as short)."""
    token = _access_token(workflows_target)
    if token is None:
        yield WorkflowsClient(workflows_http)
        return
    with Target(workflows_target.kind, workflows_target.url).client() as http:
        http.auth = RefreshingBearer(lambda: _access_token(workflows_target) or token, token)
        yield WorkflowsClient(http)


def _run_timeout(target: Target) -> float:
    """WORKFLOWS_RUN_TIMEOUT, else a few seconds' runs' bound on the mock and 300 s on a real server."""
    return job_timeout(target, "WORKFLOWS_RUN_TIMEOUT", mock=RUN_TIMEOUT, real=300)


def _by_id(jobs: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(j["jobId"]): j for j in jobs}


def test_run_lifecycle(client: WorkflowsClient, workflows_target: Target) -> None:
    """Runs succeed, fail with the right reason, cancel and retry as the enums say; pages end; deletes stick."""
    timeout = _run_timeout(workflows_target)
    ws = f"workspaces/{variable('WORKFLOWS_WORKSPACE') or 'h2oharness'}"
    tag = uuid.uuid4().hex[:8]
    ids = {"good": f"hh-good-{tag}", "bad": f"hh-fail-{tag}", "slow": f"hh-slow-{tag}"}
    created: list[str] = []
    try:
        ok = client.validate(ws, payloads.succeeding_source(ids["good"]))
        assert ok["isValid"] is True, ok
        for source, field_path in payloads.INVALID_SOURCES:
            verdict = client.validate(ws, source)
            assert verdict["isValid"] is False, f"accepted an invalid source:\n{source}"
            errors = [e for e in verdict["validationErrors"] if e["severity"] == "SEVERITY_ERROR"]
            assert errors, verdict
            assert all(e["message"] for e in errors), verdict
            if field_path:
                assert field_path in {e["fieldPath"] for e in errors}, (field_path, errors)
            else:
                assert errors[0]["line"] >= 1 or errors[0]["fieldPath"] == "", errors

        with pytest.raises(WorkflowsResponseError) as refused:
            client.create_workflow(ws, payloads.INVALID_SOURCES[2][0])
        assert (refused.value.status, refused.value.code) == (400, 3), refused.value

        good = client.create_workflow(ws, payloads.succeeding_source(ids["good"]))
        created.append(good["name"])
        assert good["name"] == f"{ws}/workflows/{ids['good']}"
        assert (good["state"], good["activeRevision"]) == ("STATE_INACTIVE", "")
        good = client.activate(good["name"])
        assert good["state"] == "STATE_ACTIVE"
        assert good["activeRevision"].startswith(good["name"] + "/revisions/")
        revision = client.get_revision(good["activeRevision"])
        assert revision["state"] == "STATE_ACTIVE"
        assert revision["sourceContents"] == good["sourceContents"]

        run = client.run_revision(good["activeRevision"])
        assert run["state"] in ("STATE_QUEUED", "STATE_RUNNING", "STATE_PENDING"), run
        client.wait(run["name"], timeout=timeout)
        run = client.get_run(run["name"])
        assert (run["state"], run["failureReason"]) == ("STATE_SUCCEEDED", "RUN_FAILURE_REASON_UNSPECIFIED")
        assert run["startTime"]
        assert run["endTime"]
        assert run["endTime"] >= run["startTime"]
        attempts = client.list_all("runAttempts", run["name"])
        assert [a["state"] for a in attempts] == ["STATE_SUCCEEDED"]
        jobs = _by_id(client.list_all("jobs", attempts[0]["name"]))
        assert {k: j["state"] for k, j in jobs.items()} == {"build": "STATE_SUCCEEDED", "report": "STATE_SUCCEEDED"}
        assert jobs["report"]["dependsOn"] == ["build"]
        assert str(jobs["report"]["startTime"]) >= str(jobs["build"]["endTime"]), "report ran before build ended"
        steps = client.list_all("steps", str(jobs["build"]["name"]))
        assert [(s["refId"], s["state"], s["exitCode"]) for s in steps] == [
            ("s1", "STATE_SUCCEEDED", 0),
            ("s2", "STATE_SUCCEEDED", 0),
        ]
        assert "building" in client.step_logs(steps[0]["name"])
        assert "built" in client.step_logs(steps[1]["name"], "OUTPUT_STREAM_STDOUT")

        bad = client.activate(client.create_workflow(ws, payloads.failing_source(ids["bad"]))["name"])
        created.append(bad["name"])
        failing = client.run_revision(bad["activeRevision"])
        with pytest.raises(JobFailed) as failed:
            client.wait(failing["name"], timeout=timeout)
        assert "RUN_FAILURE_REASON_JOB_FAILED" in str(failed.value), "the failure must be reported with its reason"
        failing = client.get_run(failing["name"])
        assert (failing["state"], failing["failureReason"]) == ("STATE_FAILED", "RUN_FAILURE_REASON_JOB_FAILED")
        first = client.list_all("runAttempts", failing["name"])[0]
        jobs = _by_id(client.list_all("jobs", first["name"]))
        assert jobs["fine"]["state"] == "STATE_SUCCEEDED"
        assert (jobs["broken"]["state"], jobs["broken"]["failureReason"]) == (
            "STATE_FAILED",
            "JOB_FAILURE_REASON_STEP_FAILED",
        )
        steps = client.list_all("steps", str(jobs["broken"]["name"]))
        assert [(s["state"], s["failureReason"]) for s in steps] == [
            ("STATE_FAILED", "STEP_FAILURE_REASON_EXECUTION"),
            ("STATE_SKIPPED", "STEP_FAILURE_REASON_UNSPECIFIED"),
        ]
        assert steps[0]["exitCode"] == 1

        retried = client.retry_run(failing["name"])  # default: failed jobs only
        assert retried["name"] == failing["name"]
        retried = client.wait_final(retried["name"], timeout=timeout)
        assert (retried["state"], retried["failureReason"]) == ("STATE_FAILED", "RUN_FAILURE_REASON_JOB_FAILED")
        attempts = client.list_all("runAttempts", failing["name"])
        assert len(attempts) == 2
        second = _by_id(client.list_all("jobs", attempts[1]["name"]))
        assert second["fine"]["state"] == "STATE_SKIPPED", "a succeeded job is not re-run by a failed-jobs retry"
        assert second["broken"]["state"] == "STATE_FAILED"
        client.retry_run(failing["name"], "RETRY_MODE_ALL_JOBS")
        client.wait_final(failing["name"], timeout=timeout)
        third = _by_id(client.list_all("jobs", client.get_attempt(failing["name"] + "/attempts/latest")["name"]))
        assert third["fine"]["state"] == "STATE_SUCCEEDED", "an all-jobs retry re-runs the succeeded job"

        slow = client.activate(client.create_workflow(ws, payloads.slow_source(ids["slow"]))["name"])
        created.append(slow["name"])
        long_run = client.run_revision(slow["activeRevision"])
        canceled = client.cancel_run(long_run["name"])
        assert (canceled["state"], canceled["failureReason"]) == ("STATE_FAILED", "RUN_FAILURE_REASON_CANCELED")
        with pytest.raises(WorkflowsResponseError) as again:
            client.cancel_run(long_run["name"])
        assert again.value.status == 400, "cancelling a finished run must be refused"

        names: list[str] = []
        token, pages = "", 0
        for pages in range(1, 200):  # noqa: B007 - the count is asserted below
            page = client.list_workflows(ws, page_size=2, page_token=token)
            assert len(page["workflows"]) <= 2
            names += [w["name"] for w in page["workflows"]]
            token = page["nextPageToken"]
            if not token:
                break
        assert token == "", "the listing never reached its last page"
        assert len(names) == len(set(names)), "a workflow came back on two pages"
        assert set(created) <= set(names)
        assert pages >= 2

        good = client.deactivate(good["name"])
        assert (good["state"], good["activeRevision"]) == ("STATE_INACTIVE", "")
        assert client.get_revision(revision["name"])["state"] == "STATE_INACTIVE"
        with pytest.raises(WorkflowsResponseError) as inactive:
            client.run_revision(revision["name"])
        assert inactive.value.status == 400, "a deactivated workflow must refuse runs"
    finally:
        for name in created:
            with contextlib.suppress(WorkflowsResponseError):
                client.delete_workflow(name)
    for name in created:
        with pytest.raises(WorkflowsResponseError) as gone:
            client.get_workflow(name)
        assert gone.value.status == 404, f"{name} is still there after delete"
