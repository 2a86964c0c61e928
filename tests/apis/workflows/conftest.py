"""Fixtures for the Workflows tests: the mock's state on the hand-driven clock, and the client."""

from __future__ import annotations

import httpx
import pytest

from h2oharness.apis.workflows import payloads
from h2oharness.apis.workflows.client import WorkflowsClient
from h2oharness.apis.workflows.mock import WorkflowsMockState
from h2oharness.mocks.clock import ManualClock


@pytest.fixture
def state(clock: ManualClock) -> WorkflowsMockState:
    """Mock state with the default (realistic) timings on a manual clock."""
    return WorkflowsMockState(clock=clock)


@pytest.fixture
def client(http: httpx.Client) -> WorkflowsClient:
    """The harness's Workflows client on the mock."""
    return WorkflowsClient(http)


@pytest.fixture
def fuzz_names(fuzz_http: httpx.Client, clock: ManualClock) -> dict[str, str]:
    """A workflow with a failed run (retry and logs have something to work on) and a runner, in workspace fuzz."""
    client = WorkflowsClient(fuzz_http)
    flow = client.activate(client.create_workflow("workspaces/fuzz", payloads.failing_source("fuzz"))["name"])
    run = client.run_revision(str(flow["activeRevision"]))
    clock.advance(60)
    client.create_runner("workspaces/fuzz", "fuzz", "image:1", "template")
    names = {"workspace": "fuzz", "workflow": "fuzz", "revision": "1", "attempt": "1", "job": "broken", "step": "1"}
    return {**names, "run": str(run["name"]).rsplit("/", 1)[1], "runner": "fuzz"}
