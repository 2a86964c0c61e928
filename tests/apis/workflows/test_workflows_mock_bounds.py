"""The Workflows mock keeps its memory bounded whatever clients send: workflows, revisions, runners and actions by
count, their sources by bytes, the oldest going first as if deleted and never a workflow's active revision."""

from __future__ import annotations

from collections.abc import Callable

from h2oharness.apis.workflows import payloads
from h2oharness.apis.workflows.client import WorkflowsClient, WorkflowsResponseError
from h2oharness.apis.workflows.mock import WorkflowsMockState
from h2oharness.mocks.clock import ManualClock

WS = "workspaces/bounds"


def _status(call: Callable[..., object], *args: str) -> int:
    """The status a client call ends with: 200, or the refusal's."""
    try:
        call(*args)
    except WorkflowsResponseError as exc:
        return exc.status
    return 200


def test_workflows_and_runners_are_bounded_by_count(client: WorkflowsClient, state: WorkflowsMockState) -> None:
    state.max_objects = 2
    flows = [str(client.create_workflow(WS, payloads.succeeding_source(f"w{i}"))["name"]) for i in range(4)]
    assert list(state.workflows) == flows[-2:]
    assert [w["name"] for w in client.list_workflows(WS)["workflows"]] == flows[-2:]
    assert _status(client.get_workflow, flows[0]) == 404
    runners = [str(client.create_runner(WS, f"r{i}", "image:1", "t")["name"]) for i in range(3)]
    assert [r["name"] for r in client.list_runners(WS)["runners"]] == runners[-2:]
    assert state.internal_errors == []


def test_revisions_are_bounded_but_the_active_one_stays(
    client: WorkflowsClient, state: WorkflowsMockState, clock: ManualClock
) -> None:
    state.max_objects = 2
    flow = str(_activated(client, "revs")["name"])
    for i in range(4):
        client.update_workflow(flow, payloads.workflow_source("revs", {"only": [f"echo v{i}"]}))
        active = str(client.activate(flow)["activeRevision"])
    assert active.endswith("/revisions/5")
    names = [r["name"] for r in client.list_revisions(flow)["workflowRevisions"]]
    assert names == [f"{flow}/revisions/4", active]
    assert _status(client.get_revision, f"{flow}/revisions/1") == 404
    # the active revision still runs, and its runs are read back
    run = client.run_revision(active)
    clock.advance(60)
    assert client.get_run(str(run["name"]))["state"] == "STATE_SUCCEEDED"
    assert state.internal_errors == []


def test_an_evicted_revision_takes_its_runs(
    client: WorkflowsClient, state: WorkflowsMockState, clock: ManualClock
) -> None:
    flow = _activated(client, "failing", payloads.failing_source("failing"))
    run = str(client.run_revision(str(flow["activeRevision"]))["name"])
    clock.advance(60)
    state.max_objects = 1
    client.update_workflow(str(flow["name"]), payloads.succeeding_source("failing"))
    client.activate(str(flow["name"]))
    # its revision went: the run is not found (never a retry on a revision no longer held)
    assert _status(client.get_run, run) == 404
    assert _status(client.retry_run, run) == 404
    assert state.internal_errors == []


def test_sources_are_bounded_by_bytes_newest_kept(client: WorkflowsClient, state: WorkflowsMockState) -> None:
    small = payloads.succeeding_source("s0")
    state.max_source_bytes = 3 * len(small) + 2
    flows = [str(client.create_workflow(WS, payloads.succeeding_source(f"s{i}"))["name"]) for i in range(5)]
    assert sum(len(w.source) for w in state.workflows.values()) <= state.max_source_bytes
    assert list(state.workflows) == flows[-3:]
    assert _status(client.get_workflow, flows[0]) == 404
    # activating copies a source into a revision: both count, and the active revision is never dropped
    active = str(client.activate(flows[-1])["activeRevision"])
    assert active in state.revisions
    assert flows[-1] in state.workflows
    held = sum(len(w.source) for w in state.workflows.values()) + sum(len(r.source) for r in state.revisions.values())
    assert held <= state.max_source_bytes
    assert state.internal_errors == []


def _activated(client: WorkflowsClient, name: str, source: str | None = None) -> dict[str, object]:
    return client.activate(str(client.create_workflow(WS, source or payloads.succeeding_source(name))["name"]))
