"""Fixtures for the Workflows tests: the mock's state on the hand-driven clock, and the client."""

from __future__ import annotations

import httpx
import pytest

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
