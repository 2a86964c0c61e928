"""The harness's Workflows client and its refresh-token login, against the mock on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from h2oharness.apis.workflows import payloads
from h2oharness.apis.workflows.client import (
    RefreshingBearer,
    WorkflowsClient,
    WorkflowsResponseError,
    login_at_target,
    login_refresh_token,
    resource_path,
    run_status,
)
from h2oharness.apis.workflows.mock import WorkflowsMockState, WorkflowsTimings, make_app
from h2oharness.apis.workflows.mockparts.state import DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN
from h2oharness.errors import ContractViolation, JobFailed, TargetAuthError, TargetUnavailable
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve

WS = "workspaces/client"


@pytest.fixture
def instant_url() -> Iterator[str]:
    """A mock whose runs end when they start."""
    state = WorkflowsMockState(clock=ManualClock(), timings=WorkflowsTimings.instant(), client_secrets={"conf": "s3"})
    state.refresh_tokens["rt-conf"] = "conf"
    with serve(make_app(state)) as served:
        yield served.url


def test_resource_path_encodes_the_whole_name() -> None:
    """As the SDK: one %2F-encoded segment, then the verb."""
    assert resource_path("workspaces/w/workflows/x", "activate") == "/v1/workspaces%2Fw%2Fworkflows%2Fx:activate"
    assert resource_path("workspaces/w") == "/v1/workspaces%2Fw"


def test_login_refresh_token_gets_a_token_the_api_accepts(instant_url: str) -> None:
    """Discovery, then the refresh grant; the access token opens the API."""
    token = login_refresh_token(instant_url, DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN)
    with httpx.Client(base_url=instant_url, headers={"Authorization": f"Bearer {token}"}) as http:
        assert WorkflowsClient(http).list_workflows(WS) == {"workflows": [], "nextPageToken": ""}


def test_login_refuses_a_wrong_token_or_secret(instant_url: str) -> None:
    """invalid_grant and invalid_client are TargetAuthError; the secret is sent when given."""
    with pytest.raises(TargetAuthError, match="invalid"):
        login_refresh_token(instant_url, DEFAULT_CLIENT_ID, "rt-wrong")
    with pytest.raises(TargetAuthError):
        login_refresh_token(instant_url, "conf", "rt-conf", "not-the-secret")
    assert login_refresh_token(instant_url, "conf", "rt-conf", "s3").startswith("at-")


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/token"])
def test_a_dripping_issuer_is_target_unavailable_within_the_login_timeout(path: str) -> None:
    """Discovery or the grant answered a byte a second: the login's timeout bounds the whole answer, not each read."""
    from h2oharness.mocks.faults import FaultPlan

    state = WorkflowsMockState(clock=ManualClock(), timings=WorkflowsTimings.instant())
    state.faults = FaultPlan.from_data([{"path": path, "fault": "drip=1"}])
    with serve(make_app(state)) as served, pytest.raises(TargetUnavailable, match="timed out"):
        login_refresh_token(served.url, DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN, timeout=0.5)


@pytest.mark.parametrize(
    ("path", "fault"),
    [("/.well-known/openid-configuration", "reset"), ("/token", "status=503"), ("/token", "malformed")],
)
def test_a_target_that_is_its_own_issuer_failing_the_login_fails_a_check(path: str, fault: str) -> None:
    """The mock's discovery and token endpoints are the API under test's: their fault is no harness error (exit 3)."""
    from h2oharness.errors import HarnessError
    from h2oharness.mocks.faults import FaultPlan

    state = WorkflowsMockState(clock=ManualClock(), timings=WorkflowsTimings.instant())
    state.faults = FaultPlan.from_data([{"path": path, "fault": fault}])
    with serve(make_app(state)) as served:
        with pytest.raises(ContractViolation, match="the target's own login") as failed:
            login_at_target(served.url, DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN, timeout=5)
        assert not isinstance(failed.value, HarnessError)
        state.faults = FaultPlan()
        assert login_at_target(served.url, DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN).startswith("at-")


def test_login_to_an_unreachable_issuer_is_target_unavailable() -> None:
    """No server on the issuer's port: a one-line TargetUnavailable."""
    with pytest.raises(TargetUnavailable, match="OpenID configuration"):
        login_refresh_token("http://127.0.0.1:9", DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN, timeout=2)


def test_login_with_a_malformed_issuer_or_token_endpoint_is_target_unavailable() -> None:
    """A URL httpx cannot send (a port that is not a number) is a one-line TargetUnavailable, not InvalidURL."""
    with pytest.raises(TargetUnavailable, match="Invalid port"):
        login_refresh_token("http://127.0.0.1:x", DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN, timeout=2)
    discovery = httpx.MockTransport(lambda request: httpx.Response(200, json={"token_endpoint": "http://h:x/t"}))
    with httpx.Client(transport=discovery) as http, pytest.raises(TargetUnavailable, match="token endpoint"):
        login_refresh_token("http://127.0.0.1:9", DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN, http=http)


def test_errors_carry_the_rpc_status(instant_url: str) -> None:
    """A 401 and a 404 come back with their gRPC codes and messages."""
    with httpx.Client(base_url=instant_url) as http:
        with pytest.raises(WorkflowsResponseError) as unauthenticated:
            WorkflowsClient(http).get_workflow(f"{WS}/workflows/x")
        assert (unauthenticated.value.status, unauthenticated.value.code) == (401, 16)
        token = login_refresh_token(instant_url, DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN, http=http)
        http.headers["Authorization"] = f"Bearer {token}"
        with pytest.raises(WorkflowsResponseError) as missing:
            WorkflowsClient(http).get_workflow(f"{WS}/workflows/x")
        assert (missing.value.status, missing.value.code) == (404, 5)
        assert "not found" in str(missing.value)


def test_wait_fails_fast_with_the_reason(instant_url: str) -> None:
    """A failed run is JobFailed naming RUN_FAILURE_REASON_JOB_FAILED, not a timeout; a good one returns final."""
    token = login_refresh_token(instant_url, DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN)
    with httpx.Client(base_url=instant_url, headers={"Authorization": f"Bearer {token}"}) as http:
        client = WorkflowsClient(http)
        bad = client.activate(client.create_workflow(WS, payloads.failing_source("c-bad"))["name"])
        run = client.run_revision(bad["activeRevision"])
        with pytest.raises(JobFailed, match="RUN_FAILURE_REASON_JOB_FAILED"):
            client.wait(run["name"], timeout=10)
        assert client.wait_final(run["name"], timeout=10)["state"] == "STATE_FAILED"
        good = client.activate(client.create_workflow(WS, payloads.succeeding_source("c-good"))["name"])
        result = client.wait(client.run_revision(good["activeRevision"])["name"], timeout=10)
        assert result.status.state == "STATE_SUCCEEDED"
        assert [w["name"] for w in client.list_all("workflows", WS, page_size=1)] == [bad["name"], good["name"]]


def test_a_wait_that_outlives_its_access_token_logs_in_again() -> None:
    """The token expires mid-flow (the clock moves past its life): the refused request logs in and is sent again."""
    clock = ManualClock()
    state = WorkflowsMockState(clock=clock, timings=WorkflowsTimings.instant())
    with serve(make_app(state)) as served:
        auth = RefreshingBearer(lambda: login_refresh_token(served.url, DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN))
        with httpx.Client(base_url=served.url, auth=auth) as http:
            client = WorkflowsClient(http)
            flow = client.activate(client.create_workflow(WS, payloads.succeeding_source("c-renew"))["name"])
            clock.advance(state.token_lifetime + 1)
            run = client.run_revision(flow["activeRevision"])  # a POST: its body goes again with the new token
            assert auth.renewals == 1
            clock.advance(state.token_lifetime + 1)
            assert client.wait(run["name"], timeout=10).status.state == "STATE_SUCCEEDED"
            assert auth.renewals == 2


def test_a_token_refused_after_a_fresh_login_is_the_servers_answer(instant_url: str) -> None:
    """A 401 that a new login does not cure is returned after one login, not retried for ever."""
    auth = RefreshingBearer(lambda: "at-never-issued")
    with httpx.Client(base_url=instant_url, auth=auth) as http, pytest.raises(WorkflowsResponseError) as refused:
        WorkflowsClient(http).get_workflow(f"{WS}/workflows/x")
    assert refused.value.status == 401
    assert auth.renewals == 1


def test_run_status_mapping() -> None:
    """Only SUCCEEDED and FAILED are final; FAILED carries reason and message."""
    assert run_status({"state": "STATE_RUNNING"}).final is False
    failed = run_status(
        {"state": "STATE_FAILED", "failureReason": "RUN_FAILURE_REASON_CANCELED", "failureMessage": "x"}
    )
    assert (failed.final, failed.failed) == (True, True)
    assert failed.message == "RUN_FAILURE_REASON_CANCELED: x"


def test_a_non_object_answer_is_a_contract_violation() -> None:
    """A JSON list where an object is due is the server's fault."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=[1, 2]))
    with httpx.Client(base_url="http://127.0.0.1", transport=transport) as http, pytest.raises(ContractViolation):
        WorkflowsClient(http).get_run("workspaces/w/workflows/x/revisions/1/runs/r")
