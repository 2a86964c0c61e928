"""Fixtures for the CorePlexML tests: the mock on loopback over a hand-driven clock, the client, a dataset."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.client import CorePlexMLClient
from h2oharness.apis.coreplexml.mock import CorePlexMLMockState, make_app
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve


@pytest.fixture
def manual_clock() -> ManualClock:
    """A clock that moves only when the test says so."""
    return ManualClock()


@pytest.fixture
def mock_state(manual_clock: ManualClock) -> CorePlexMLMockState:
    """Mock state with the default (realistic) timings on a manual clock."""
    return CorePlexMLMockState(clock=manual_clock)


@pytest.fixture
def mock_url(mock_state: CorePlexMLMockState) -> Iterator[str]:
    """The mock served over loopback."""
    with serve(make_app(mock_state)) as served:
        yield served.url


@pytest.fixture
def mock_http(mock_url: str, mock_state: CorePlexMLMockState) -> Iterator[httpx.Client]:
    """An httpx client on the mock with a valid API key."""
    headers = mock_state.client_credentials().headers()
    with httpx.Client(base_url=mock_url, headers=headers, timeout=30.0) as client:
        yield client


@pytest.fixture
def client(mock_http: httpx.Client) -> CorePlexMLClient:
    """The harness's CorePlexML client on the mock."""
    return CorePlexMLClient(mock_http)


@pytest.fixture
def upload(client: CorePlexMLClient) -> Callable[..., dict[str, str]]:
    """Upload a CSV into a fresh project: returns project id, dataset id and version id."""

    def make(csv: str | None = None, name: str = "train") -> dict[str, str]:
        project = client.create_project("tests")
        answer = client.upload_dataset(project["id"], f"{name}.csv", csv or payloads.classification_csv(), name)
        return {"project": project["id"], "dataset": answer["dataset_id"], "version": answer["dataset_version_id"]}

    return make
