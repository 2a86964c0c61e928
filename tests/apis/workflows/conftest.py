"""Fixtures for the Workflows tests: the mock on a hand-driven clock, served on loopback, and clients."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from h2oharness.apis.workflows.client import WorkflowsClient
from h2oharness.apis.workflows.mock import WorkflowsMockState, make_app
from h2oharness.apis.workflows.mockparts.state import DEFAULT_API_KEY
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when the test says so."""
    return ManualClock()


@pytest.fixture
def state(clock: ManualClock) -> WorkflowsMockState:
    """Mock state with the default (realistic) timings on a manual clock."""
    return WorkflowsMockState(clock=clock)


@pytest.fixture
def url(state: WorkflowsMockState) -> Iterator[str]:
    """The mock served over loopback."""
    with serve(make_app(state)) as served:
        yield served.url


@pytest.fixture
def anon(url: str) -> Iterator[httpx.Client]:
    """An httpx client on the mock without credentials."""
    with httpx.Client(base_url=url, timeout=30.0) as http:
        yield http


@pytest.fixture
def http(url: str) -> Iterator[httpx.Client]:
    """An httpx client on the mock with the long-lived API key."""
    with httpx.Client(base_url=url, timeout=30.0, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as client:
        yield client


@pytest.fixture
def wf(http: httpx.Client) -> WorkflowsClient:
    """The harness's client on the mock."""
    return WorkflowsClient(http)
