"""Fixtures for the CorePlexML tests: the mock's state on the hand-driven clock, the client, a dataset."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.client import CorePlexMLClient
from h2oharness.apis.coreplexml.mock import CorePlexMLMockState
from h2oharness.mocks.clock import ManualClock


@pytest.fixture
def state(clock: ManualClock) -> CorePlexMLMockState:
    """Mock state with the default (realistic) timings on a manual clock."""
    return CorePlexMLMockState(clock=clock)


@pytest.fixture
def client(http: httpx.Client) -> CorePlexMLClient:
    """The harness's CorePlexML client on the mock."""
    return CorePlexMLClient(http)


@pytest.fixture
def upload(client: CorePlexMLClient) -> Callable[..., dict[str, str]]:
    """Upload a CSV into a fresh project: returns project id, dataset id and version id."""

    def make(csv: str | None = None, name: str = "train") -> dict[str, str]:
        project = client.create_project("tests")
        answer = client.upload_dataset(project["id"], f"{name}.csv", csv or payloads.classification_csv(), name)
        return {"project": project["id"], "dataset": answer["dataset_id"], "version": answer["dataset_version_id"]}

    return make
